"""Layer change versions (PostGIS): one step per committed writing transaction, in order."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from tests.stores import ready_store
from twin.changes import changed_ids, layer_version

TOUCH = {"building": "UPDATE building SET version = version WHERE false",
         "grid": "UPDATE grid SET version = version WHERE false"}


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Iterator[Engine]:
    with ready_store("postgis", tmp_path_factory.mktemp("changes")) as engine:
        yield engine


def versions(engine: Engine) -> tuple[int | None, int | None]:
    with engine.connect() as conn:
        return layer_version(conn, "building"), layer_version(conn, "grid")


def test_a_commit_counts_once_and_a_rollback_not_at_all(store):
    building, grid = versions(store)
    with store.begin() as conn:
        for _ in range(3):
            conn.execute(text(TOUCH["building"]))
        # Inside the writing transaction nothing is counted yet: the step comes at commit.
        assert layer_version(conn, "building") == building
    assert versions(store) == (building + 1, grid)
    with store.connect() as conn:
        conn.execute(text(TOUCH["building"]))
        conn.execute(text(TOUCH["grid"]))
        conn.rollback()
    assert versions(store) == (building + 1, grid)
    with store.begin() as conn:
        conn.execute(text("SELECT count(*) FROM building"))  # a read: no step
        conn.execute(text(TOUCH["grid"]))
    assert versions(store) == (building + 1, grid + 1)


def test_writers_of_two_layers_in_opposite_orders_both_commit(store):
    building, grid = versions(store)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(order: list[str]) -> None:
        try:
            with store.begin() as conn:
                conn.execute(text(TOUCH[order[0]]))
                barrier.wait(timeout=10)
                conn.execute(text(TOUCH[order[1]]))
                barrier.wait(timeout=10)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(order,))
               for order in (["building", "grid"], ["grid", "building"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert versions(store) == (building + 2, grid + 2)


def test_a_reader_that_sees_a_version_sees_its_write(store):
    """The version and the rows it counts come from one snapshot, whatever commits when."""
    stop = threading.Event()
    seen: list[tuple[int, int]] = []

    def write() -> None:
        while not stop.is_set():
            with store.begin() as conn:
                conn.execute(text("UPDATE grid SET version = version + 1 "
                                  "WHERE id = (SELECT min(id) FROM grid)"))

    with store.begin() as conn:
        conn.execute(text("INSERT INTO grid (code, name, community_code, geom, version) "
                          "SELECT 'G-TEST', 'test', code, "
                          "ST_Multi(ST_MakeEnvelope(113.9, 22.5, 113.91, 22.51, 4490)), 1 "
                          "FROM admin_area WHERE level = 'village' LIMIT 1"))
    with store.connect() as conn:
        base_rows = int(conn.execute(text("SELECT version FROM grid "
                                          "WHERE id = (SELECT min(id) FROM grid)")).scalar_one())
    base_version = versions(store)[1]
    writers = [threading.Thread(target=write) for _ in range(2)]
    for thread in writers:
        thread.start()
    try:
        for _ in range(100):
            with store.connect() as conn:
                row = conn.execute(text(
                    "SELECT (SELECT version FROM layer_version WHERE layer = 'grid'), "
                    "(SELECT version FROM grid WHERE id = (SELECT min(id) FROM grid))")).one()
                seen.append((int(row[0]), int(row[1])))
    finally:
        stop.set()
        for thread in writers:
            thread.join(timeout=30)
    # Each committed update raises both by one, so within one snapshot they move together.
    assert {v - base_version - (r - base_rows) for v, r in seen} == {0}
    assert seen[-1][0] > base_version


def test_the_ids_written_since_a_version_are_known(store):
    with store.begin() as conn:
        conn.execute(text("INSERT INTO grid (code, name, community_code, geom, version) "
                          "SELECT 'G-' || n, 'test', a.code, "
                          "ST_Multi(ST_MakeEnvelope(113.9, 22.5, 113.91, 22.51, 4490)), 1 "
                          "FROM generate_series(1, 3) n, (SELECT code FROM admin_area "
                          "WHERE level = 'village' LIMIT 1) a"))
    since = versions(store)[1]
    with store.begin() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM grid ORDER BY id LIMIT 3"))]
        conn.execute(text("UPDATE grid SET name = 'moved' WHERE id = :i"), {"i": ids[0]})
        conn.execute(text("DELETE FROM grid WHERE id = :i"), {"i": ids[1]})
    with store.begin() as conn:
        conn.execute(text("UPDATE grid SET name = 'again' WHERE id = :i"), {"i": ids[0]})
    with store.connect() as conn:
        assert sorted(changed_ids(conn, "grid", since)) == sorted(ids[:2])
        assert changed_ids(conn, "grid", versions(store)[1]) == []
    with store.connect() as conn:
        divisions = layer_version(conn, "admin_area")
    with store.begin() as conn:  # divisions have no ids to list: read them whole
        conn.execute(text("UPDATE admin_area SET name = name WHERE code = '440305000000'"))
    with store.connect() as conn:
        assert changed_ids(conn, "admin_area", divisions) is None


def test_a_statement_too_large_to_list_says_read_it_whole(store):
    since = versions(store)[1]
    with store.begin() as conn:
        conn.execute(text("INSERT INTO grid (code, name, community_code, geom, version) "
                          "SELECT 'BULK-' || n, 'bulk', a.code, "
                          "ST_Multi(ST_MakeEnvelope(113.9, 22.5, 113.91, 22.51, 4490)), 1 "
                          "FROM generate_series(1, 10001) n, (SELECT code FROM admin_area "
                          "WHERE level = 'village' LIMIT 1) a"))
    with store.connect() as conn:
        assert changed_ids(conn, "grid", since) is None
        assert conn.execute(text("SELECT count(*) FROM layer_change WHERE feature_id IS NULL "
                                 "AND touch_id = (SELECT max(id) FROM layer_touch)")).scalar() == 1
    with store.begin() as conn:
        conn.execute(text("DELETE FROM grid WHERE code LIKE 'BULK-%'"))
