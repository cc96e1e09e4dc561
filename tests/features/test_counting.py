"""numberMatched: exact when affordable, left out (not guessed) when a count is too costly."""

from __future__ import annotations

import time

from sqlalchemy import func, literal_column, select

from tests.stores import on_postgis
from twin.features import counting, query
from twin.features.counting import budgeted_count, forget_counts
from twin.features.paging import fetch_page
from twin.features.query import FeatureQuery
from twin.layers import LAYERS
from twin.store import Store

HOUSES = LAYERS["houses"]


def columns(engine, q):
    return query.output_columns(q, query.geometry_expression(HOUSES, True),
                                HOUSES.attribute_columns())


def test_cheap_counts_are_exact(sample_engine):
    q = FeatureQuery(layer=HOUSES, limit=5, equals={"floor": "3层"})
    with Store.of(sample_engine).reading() as conn:
        expected = conn.execute(select(func.count()).select_from(HOUSES.table).where(
            HOUSES.table.c.floor == "3层")).scalar()
        assert budgeted_count(conn, Store.of(sample_engine), q) == expected > 0


def test_a_count_over_budget_is_left_out_and_remembered(sample_engine):
    if on_postgis(sample_engine):
        slow = literal_column("pg_sleep(0.001) IS NOT NULL")  # ~5 s to count every house
    else:
        slow = literal_column("1 = 1")  # SpatiaLite has no budget: it always counts
    q = FeatureQuery(layer=HOUSES, limit=5, condition=slow)
    with Store.of(sample_engine).reading() as conn:
        started = time.perf_counter()
        first = budgeted_count(conn, Store.of(sample_engine), q)
        spent = time.perf_counter() - started
        if not on_postgis(sample_engine):
            assert first == conn.execute(select(func.count()).select_from(HOUSES.table)).scalar()
            return
        assert first is None
        assert spent < 1.0  # cancelled at COUNT_BUDGET_MS, not after the whole scan
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "0"
        started = time.perf_counter()
        assert budgeted_count(conn, Store.of(sample_engine), q) is None
        assert time.perf_counter() - started < counting.COUNT_BUDGET_MS / 1000
        page = fetch_page(conn, Store.of(sample_engine), q, columns(sample_engine, q))
        assert page.matched is None and len(page.rows) == 5 and page.has_next
    forget_counts(sample_engine, HOUSES)
    # (only this layer's: another test's slow count of another layer may be kept, on a
    # loaded machine)
    assert not [k for k in counting._counts
                if k[0] == str(sample_engine.url) and k[1] == HOUSES.name]


# True, and slow to find out once (~30 ms on either store): a count above COUNT_MEMO_MIN_MS
# that is kept, but well inside the budget.
SLOW_TRUE = literal_column(
    "(WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 200000) "
    "SELECT count(*) FROM n) > 0")


def test_a_kept_count_is_stale_for_rows_written_behind_the_server_until_it_expires(
        sample_engine, monkeypatch):
    table = HOUSES.table
    q = FeatureQuery(layer=HOUSES, limit=5, equals={"floor": "3层"}, condition=SLOW_TRUE)
    with Store.of(sample_engine).reading() as conn:
        truth = conn.execute(select(func.count()).select_from(table).where(
            table.c.floor == "3层")).scalar()
        moved = conn.execute(select(table.c.id).where(table.c.floor == "4层").limit(1)).scalar()
    forget_counts(sample_engine, HOUSES)
    # The budget is not what this test is about: on a loaded machine the ~30 ms count may
    # pass 300 ms and be left out, so the budget is lifted; COUNT_MEMO_MIN_MS still applies.
    monkeypatch.setattr(counting, "COUNT_BUDGET_MS", 60_000)
    try:
        with Store.of(sample_engine).reading() as conn:
            assert budgeted_count(conn, Store.of(sample_engine), q) == truth
        with sample_engine.begin() as conn:  # behind the server's back: no forget_counts
            conn.execute(table.update().where(table.c.id == moved).values(floor="3层"))
        with Store.of(sample_engine).reading() as conn:
            assert budgeted_count(conn, Store.of(sample_engine), q) == truth  # kept, so stale
            monkeypatch.setattr(counting, "COUNT_TTL", 0.0)  # as if COUNT_TTL had passed
            assert budgeted_count(conn, Store.of(sample_engine), q) == truth + 1
    finally:
        with sample_engine.begin() as conn:
            conn.execute(table.update().where(table.c.id == moved).values(floor="4层"))
        forget_counts(sample_engine, HOUSES)
