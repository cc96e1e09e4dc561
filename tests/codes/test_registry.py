import pytest
from sqlalchemy import select

from twin import models
from twin.codes import registry
from twin.codes.registry import CodeRequest
from twin.codes.schemes import BUILDING
from twin.errors import Conflict, NotFound


def building_request(key: str, township="440305001", year=2001) -> CodeRequest:
    return CodeRequest("building", key, {"township": township, "year": year, "household": 0})


def test_issue_is_idempotent_by_natural_key(store):
    with store.begin() as conn:
        first = registry.issue(conn, building_request("bld-a"))
        again = registry.issue(conn, building_request("bld-a"))
        other = registry.issue(conn, building_request("bld-b"))
    assert first.created and not again.created and other.created
    assert first.code == again.code != other.code
    assert BUILDING.parse(first.code).values()["building"] == 1
    assert BUILDING.parse(other.code).values()["building"] == 2
    with store.begin() as conn:
        assert registry.issue(conn, building_request("bld-a")).code == first.code


def test_sequences_count_within_their_prefix(store):
    with store.begin() as conn:
        issued = registry.issue_many(conn, [
            building_request("k1"), building_request("k2", year=1990),
            building_request("k3"), building_request("k4", township="440305002"),
            building_request("k1"),  # repeated in one call → same code
        ])
    seqs = [BUILDING.parse(i.code).values()["building"] for i in issued]
    assert seqs == [1, 1, 2, 1, 1]
    assert issued[0].code == issued[4].code


def test_counters_start_past_codes_already_in_the_store(store):
    taken = BUILDING.generate(township="440305001", year=2001, building=41, household=0)
    with store.begin() as conn:
        conn.execute(models.Building.__table__.insert().values(
            code=taken, geom="SRID=4490;MULTIPOLYGON(((113.9 22.5,113.901 22.5,113.901 22.501,"
            "113.9 22.5)))"))
    with store.begin() as conn:
        code = registry.issue(conn, building_request("new")).code
    assert BUILDING.parse(code).values()["building"] == 42


def test_a_rolled_back_transaction_leaves_nothing_and_numbers_are_not_lost(store):
    with pytest.raises(RuntimeError, match="crash mid-chunk"), store.begin() as conn:
        registry.issue(conn, building_request("crash"))
        raise RuntimeError("crash mid-chunk")
    with store.connect() as conn:
        assert registry.find_by_natural_keys(conn, "building", ["crash"]) == {}
    with store.begin() as conn:
        code = registry.issue(conn, building_request("crash")).code
    assert BUILDING.parse(code).values()["building"] == 1


def test_split_merge_demolish_and_history(store):
    with store.begin() as conn:
        old = registry.issue(conn, building_request("old")).code
        parts = registry.split(conn, old, [building_request("old/1"), building_request("old/2")])
    with store.begin() as conn:
        rec = registry.lookup(conn, old)
        assert rec.status == "retired" and rec.successors == [p.code for p in parts]
        assert rec.events[0]["action"] == "split"
        assert registry.lookup(conn, parts[0].code).predecessors == [old]
        merged = registry.merge(conn, [p.code for p in parts], building_request("merged"))
    with store.begin() as conn:
        chain = registry.history(conn, merged.code)
        assert [v.code for v in chain][0] == old
        assert {v.code for v in chain} == {old, parts[0].code, parts[1].code, merged.code}
        gone = registry.demolish(conn, merged.code)
        assert gone.status == "retired" and gone.events[-1]["action"] == "demolish"
        # retired codes are never handed out again, not even for a new key
        fresh = registry.issue(conn, building_request("after")).code
        assert fresh not in {old, merged.code, *(p.code for p in parts)}
        # retiring twice the same way is a no-op; differently, a conflict
        registry.retire(conn, old, reason="split", successors=[p.code for p in parts])
        with pytest.raises(Conflict):
            registry.retire(conn, old, successors=[fresh])
        with pytest.raises(NotFound):
            registry.history(conn, "44030500120010099000001")


def test_demolish_marks_the_building(store):
    with store.begin() as conn:
        code = registry.issue(conn, building_request("doomed")).code
        conn.execute(models.Building.__table__.insert().values(
            code=code, geom="SRID=4490;MULTIPOLYGON(((113.9 22.5,113.901 22.5,113.901 22.501,"
            "113.9 22.5)))"))
        registry.demolish(conn, code)
        status = conn.execute(select(models.Building.status).where(
            models.Building.code == code)).scalar()
    assert status == "demolished"


def test_a_full_sequence_is_a_conflict_or_an_empty_answer(store):
    from twin.codes.scheme import CodeScheme

    tiny = CodeScheme.model_validate({
        "name": "tiny", "title": "two per community", "object_type": "building",
        "segments": [{"kind": "admin", "name": "community", "length": 12},
                     {"kind": "sequence", "name": "n", "length": 1, "alphabet": "012"}]})
    requests = [CodeRequest("tiny", f"t{i}", {"community": "440305001001"}) for i in range(3)]
    with store.begin() as conn:
        answers = registry.issue_many(conn, requests, schemes={"tiny": tiny}, full="skip")
    assert [a.code for a in answers] == ["4403050010011", "4403050010012", ""]
    assert answers[2].full == "440305001001"
    with pytest.raises(Conflict, match="exhausted"), store.begin() as conn:
        registry.issue_many(conn, [CodeRequest("tiny", "t9", {"community": "440305001001"})],
                            schemes={"tiny": tiny})
