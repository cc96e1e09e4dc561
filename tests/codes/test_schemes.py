import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.codes.check import luhn, mod11_2, mod97_10, uscc_check
from twin.codes.scheme import CodeScheme
from twin.codes.schemes import ADDRESS, BUILDING, COMPONENT, CodeSettings, all_schemes, get_scheme
from twin.errors import InvalidInput, NotFound


def test_mod11_2_matches_gb11643_examples():
    assert mod11_2("11010519491231002") == "X"
    # By hand: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 give 180; 180 mod 11 = 4 -> "8".
    assert mod11_2("44030519900101001") == "8"
    assert uscc_check("91350100M000100Y4") == "3"
    assert luhn("7992739871") == "3"
    assert mod97_10("794") == "44"  # ISO 7064 annex example


@given(st.text(alphabet="0123456789", min_size=1, max_size=30))
def test_mod11_2_detects_every_single_digit_error(body):
    check = mod11_2(body)
    for i, ch in enumerate(body):
        for other in "0123456789":
            if other != ch:
                assert mod11_2(body[:i] + other + body[i + 1 :]) != check


def test_building_code_layout():
    code = BUILDING.generate(township="440305001", year=1998, building=12, household=0)
    assert len(code) == 23 and code.startswith("440305001" "1998" "0012" "00000")
    parsed = BUILDING.parse(code)
    assert parsed["township"].meaning.endswith("南头街道")
    assert parsed.values() == {"township": "440305001", "year": 1998, "building": 12,
                               "household": 0}
    house = BUILDING.generate(parsed.values() | {"household": 301})
    assert BUILDING.parse(house)["household"].value == 301


@given(
    st.sampled_from(["440305001", "440305002", "440305009", "110105001"]),
    st.integers(min_value=1900, max_value=2030) | st.just(0),
    st.integers(min_value=1, max_value=9999),
    st.integers(min_value=0, max_value=99999),
)
def test_generate_parse_round_trip(township, year, building, household):
    values = {"township": township, "year": year, "building": building, "household": household}
    code = BUILDING.generate(values)
    assert BUILDING.parse(code).values() == values
    assert BUILDING.is_valid(code)


def test_validation_names_the_wrong_segment():
    good = BUILDING.generate(township="440305001", year=1998, building=12, household=0)
    with pytest.raises(InvalidInput, match="check character"):
        BUILDING.parse(good[:-1] + ("1" if good[-1] != "1" else "2"))
    with pytest.raises(InvalidInput, match="township") as exc:
        BUILDING.generate(township="440305999", year=1998, building=1, household=0)
    assert exc.value.field == "township"
    with pytest.raises(InvalidInput, match="county, not a township"):
        BUILDING.generate(township="440305000", year=1998, building=1, household=0)
    with pytest.raises(InvalidInput, match="23 characters"):
        BUILDING.parse(good + "0")
    with pytest.raises(InvalidInput, match="year"):
        BUILDING.generate(township="440305001", year=1700, building=1, household=0)
    with pytest.raises(InvalidInput, match="sequence 'building'"):
        BUILDING.generate(township="440305001", year=1998, building=0, household=0)


def test_address_and_component_schemes():
    road = ADDRESS.generate(admin="440305001000", road=3, door=0, room=0)
    door = ADDRESS.generate(admin="440305001001", road=3, door=15, room=0)
    assert len(road) == len(door) == 26
    assert ADDRESS.parse(door)["admin"].meaning.endswith("南头城社区居委会")
    comp = COMPONENT.generate({"county": "440305", "class": "01", "subclass": "02",
                               "sequence": 7})
    assert comp == "4403050102000007"
    assert COMPONENT.parse(comp)["class"].meaning == "公用设施"
    with pytest.raises(InvalidInput, match="class"):
        COMPONENT.generate({"county": "440305", "class": "99", "subclass": "02", "sequence": 1})


LOCAL_25 = {
    "name": "sz-building",
    "title": "深圳市本地建筑物编码 (25 digits)",
    "object_type": "building",
    "segments": [
        {"kind": "admin", "name": "community", "length": 12, "level": "village"},
        {"kind": "year", "name": "year"},
        {"kind": "sequence", "name": "building", "length": 4},
        {"kind": "sequence", "name": "floor", "length": 3, "start": 0},
        {"kind": "constant", "name": "version", "value": "1"},
        {"kind": "check", "algorithm": "mod11-2"},
    ],
}


def test_a_city_scheme_from_configuration(tmp_path, monkeypatch):
    path = tmp_path / "schemes.json"
    path.write_text(json.dumps({"schemes": [LOCAL_25]}), encoding="utf-8")
    monkeypatch.setenv("TWIN_CODE_SCHEMES", str(path))
    scheme = get_scheme("sz-building", CodeSettings())
    assert scheme.length == 25
    code = scheme.generate(community="440305001001", year=2015, building=42, floor=0)
    assert len(code) == 25 and code[:12] == "440305001001" and code[-2] == "1"
    assert scheme.parse(code).values()["building"] == 42
    assert not scheme.is_valid(code[:-1] + ("0" if code[-1] != "0" else "1"))
    assert set(all_schemes(CodeSettings())) >= {"building", "address", "component",
                                                "sz-building"}


def test_yaml_scheme_file_and_bad_entries(tmp_path):
    import yaml

    good = tmp_path / "s.yaml"
    good.write_text(yaml.safe_dump([LOCAL_25], allow_unicode=True), encoding="utf-8")
    assert get_scheme("sz-building", CodeSettings(code_schemes=good)).length == 25
    bad = tmp_path / "bad.json"
    broken = dict(LOCAL_25, segments=[*LOCAL_25["segments"][:-1],
                                      {"kind": "check", "algorithm": "crc99"}])
    bad.write_text(json.dumps([broken]), encoding="utf-8")
    with pytest.raises(InvalidInput, match="entry 0.*crc99"):
        get_scheme("sz-building", CodeSettings(code_schemes=bad))
    with pytest.raises(NotFound, match="schemes are"):
        get_scheme("nope", CodeSettings())


def test_check_segment_must_come_last():
    with pytest.raises(ValueError, match="last"):
        CodeScheme.model_validate(dict(LOCAL_25, segments=[{"kind": "check"},
                                                          *LOCAL_25["segments"][:-1]]))
