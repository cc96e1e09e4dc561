"""Layer change versions on both stores: committed writes step them, in order, with the ids.

PostGIS steps a layer once per committed writing transaction (statement triggers, 0003);
SpatiaLite once per row written (row triggers, 0009), or once for a bulk write.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine, text

from tests.stores import STORES, on_postgis, ready_store
from twin.bulk import write_rows
from twin.changes import LIST_LIMIT, changed_ids, layer_version
from twin.layers import LAYERS

SQUARE = ("ST_Multi(ST_GeomFromText('POLYGON((113.9 22.5, 113.91 22.5, 113.91 22.51, "
          "113.9 22.51, 113.9 22.5))', 4490))")
VILLAGE = "(SELECT code FROM admin_area WHERE level = 'village' ORDER BY code LIMIT 1)"
# Grids coded `prefix` 1..n (n from a recursive count both stores take).
GRIDS = ("INSERT INTO grid (code, name, community_code, geom, version) "
         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n) "
         f"SELECT :prefix || i, 'test', {VILLAGE}, {SQUARE}, 1 FROM n")
FIRST_BUILDING = "UPDATE building SET version = version WHERE id = (SELECT min(id) FROM building)"
FIRST_GRID = "UPDATE grid SET version = version WHERE id = (SELECT min(id) FROM grid)"
# Statements that write no row: PostGIS's statement triggers still note the layer touched.
NO_ROW = {"building": "UPDATE building SET version = version WHERE false",
          "grid": "UPDATE grid SET version = version WHERE false"}


@pytest.fixture(scope="module", params=STORES)
def store(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Engine]:
    with ready_store(request.param, tmp_path_factory.mktemp("changes")) as engine:
        with engine.begin() as conn:  # a few grids and one building to write to
            conn.execute(text(GRIDS), {"n": 3, "prefix": "G-BASE-"})
            conn.execute(text("INSERT INTO building (code, name, grid_code, status, geom, "
                              f"version) SELECT 'B-BASE', 'test', min(code), 'active', {SQUARE}, "
                              "1 FROM grid"))
        yield engine


def versions(engine: Engine) -> tuple[int | None, int | None]:
    with engine.connect() as conn:
        return layer_version(conn, "building"), layer_version(conn, "grid")


def test_a_commit_steps_the_version_and_a_rollback_not_at_all(store):
    building, grid = versions(store)
    with store.begin() as conn:
        for _ in range(3):
            conn.execute(text(FIRST_BUILDING))
        # Other readers see nothing of it before the commit.
        assert versions(store) == (building, grid)
    # PostGIS counts the transaction, SpatiaLite each row written.
    assert versions(store) == (building + (1 if on_postgis(store) else 3), grid)
    building = versions(store)[0]
    with store.connect() as conn:
        conn.execute(text(FIRST_BUILDING))
        conn.execute(text(FIRST_GRID))
        conn.rollback()
    assert versions(store) == (building, grid)
    with store.begin() as conn:
        conn.execute(text("SELECT count(*) FROM building"))  # a read: no step
        conn.execute(text(FIRST_GRID))
    assert versions(store) == (building, grid + 1)


# PostGIS only: SQLite has one writer at a time, so the second waits and no order matters.
@pytest.mark.parametrize("store", ["postgis"], indirect=True)
def test_writers_of_two_layers_in_opposite_orders_both_commit(store):
    building, grid = versions(store)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(order: list[str]) -> None:
        try:
            with store.begin() as conn:
                conn.execute(text(order[0]))
                barrier.wait(timeout=10)
                conn.execute(text(order[1]))
                barrier.wait(timeout=10)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=([NO_ROW[a], NO_ROW[b]],))
               for a, b in (("building", "grid"), ("grid", "building"))]
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


def test_a_write_too_large_to_list_says_read_it_whole(store):
    since = versions(store)[1]
    with store.begin() as conn:
        conn.execute(text(GRIDS), {"n": LIST_LIMIT + 1, "prefix": "BULK-"})
    with store.connect() as conn:
        assert changed_ids(conn, "grid", since) is None
        # Old touches are forgotten (SQLite noted 10,001: it keeps the last 1,000 to 1,100).
        assert conn.execute(text("SELECT count(*) FROM layer_touch WHERE layer = 'grid'")
                            ).scalar_one() <= 1_100
    if on_postgis(store):  # one statement of that many rows notes one NULL, not its ids
        with store.connect() as conn:
            assert conn.execute(text(
                "SELECT count(*) FROM layer_change WHERE touch_id = "
                "(SELECT max(id) FROM layer_touch)")).scalar() == 1
    with store.begin() as conn:
        conn.execute(text("DELETE FROM grid WHERE code LIKE 'BULK-%'"))


def test_a_bulk_write_steps_once_and_says_read_it_whole(store):
    """The bulk writers (`twin.bulk.write_rows`) note one change, not one per row, and
    leave nothing behind that would make later row writes go unnoted."""
    since = versions(store)[1]
    with store.connect() as conn:
        village = conn.execute(text("SELECT " + VILLAGE)).scalar_one()
    grid = LAYERS["grids"]
    rows = [{"code": f"BULKW-{i}", "name": "bulk", "community_code": village,
             "geom": MultiPolygon([box(113.9, 22.5, 113.91, 22.51)])} for i in range(500)]
    with store.begin() as conn:
        write_rows(conn, grid.table, rows)
    assert versions(store)[1] == since + 1
    with store.connect() as conn:
        ids = conn.execute(text("SELECT id FROM grid WHERE code LIKE 'BULKW-%' ORDER BY id")
                           ).scalars().all()
        # PostGIS lists a COPY's ids (its statement trigger sees them all at once); SQLite's
        # bulk note says "read it all again".
        written = changed_ids(conn, "grid", since)
        assert (sorted(written or []) == ids) if on_postgis(store) else written is None
    after = versions(store)[1]
    with store.begin() as conn:  # a later single write is listed again
        conn.execute(text("UPDATE grid SET name = 'one' WHERE id = :i"), {"i": ids[0]})
    with store.connect() as conn:
        assert changed_ids(conn, "grid", after) == [ids[0]]
    with store.begin() as conn:
        conn.execute(text("DELETE FROM grid WHERE code LIKE 'BULKW-%'"))
