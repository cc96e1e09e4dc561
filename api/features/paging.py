"""Pages of features: the plan for a page, keyset cursors, and the next/prev tokens."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, func, literal_column, select

from api.features.counting import budgeted_count, count_matched, estimated_bbox_rows
from api.features.query import Cursor, FeatureQuery, Page, row_key, where_clauses
from twin.store import is_postgis

# Below this many matches PostGIS is steered to the spatial/attribute index and a top-N
# sort; above it, walking the primary key in order is the cheaper plan.
SMALL_MATCH = 50_000


def _order(q: FeatureQuery, ordering_steer: bool, reverse: bool) -> list[ColumnElement[Any]]:
    t = q.layer.table
    # `id + 0` hides the primary key from the PostGIS planner so a selective filter's
    # index is used with a top-N sort instead of walking every id in order.
    key = row_key(q.layer)
    id_expr: ColumnElement[Any] = key + literal_column("0") if ordering_steer else key
    terms: list[ColumnElement[Any]] = []
    for sort in q.sortby:
        col = t.c[sort.name]
        terms.append(col.desc() if sort.descending else col.asc())
    terms.append(id_expr.desc() if reverse else id_expr.asc())
    return terms


def page_statement(engine: Engine, q: FeatureQuery, cols: list[ColumnElement[Any]],
                   matched: int | None) -> tuple[Select[Any], int, bool]:
    """The page query, its offset and whether rows come back reversed (prev pages)."""
    clauses = where_clauses(engine, q)
    steer = (is_postgis(engine) and bool(clauses) and matched is not None
             and matched < SMALL_MATCH and "id" in q.layer.table.c)
    reverse = False
    offset = 0
    if q.keyset and q.cursor.after is not None:
        clauses.append(row_key(q.layer) > q.cursor.after)
    elif q.keyset and q.cursor.before is not None:
        clauses.append(row_key(q.layer) < q.cursor.before)
        reverse = True
    elif q.cursor.offset:
        offset = q.cursor.offset
    stmt = (select(*cols).where(*clauses).order_by(*_order(q, steer, reverse))
            .limit(q.limit + 1).offset(offset or None))
    return stmt, offset, reverse


def single_scan_statement(engine: Engine, q: FeatureQuery, cols: list[ColumnElement[Any]]
                          ) -> tuple[Select[Any], int, bool]:
    """Count and page from one pass over the spatial index.

    The matching ids (and sort keys) are gathered once; the count reads them, the page
    takes its top N from them, and only the page's rows are read whole, by primary key.
    """
    t = q.layer.table
    sort_cols = [t.c[k.name] for k in q.sortby]
    key = row_key(q.layer)
    hits = (select(key.label("_key"), *sort_cols).where(*where_clauses(engine, q))
            .cte("hits").prefix_with("MATERIALIZED"))
    h = hits.c
    reverse = q.keyset and q.cursor.before is not None
    offset = 0 if q.keyset else (q.cursor.offset or 0)
    inner = select(h._key)
    if q.keyset and q.cursor.after is not None:
        inner = inner.where(h._key > q.cursor.after)
    elif reverse:
        inner = inner.where(h._key < q.cursor.before)

    def ordering(source: Any, last: Any) -> list[ColumnElement[Any]]:
        terms = [source[k.name].desc() if k.descending else source[k.name].asc()
                 for k in q.sortby]
        return [*terms, last.desc() if reverse else last.asc()]

    page = (inner.order_by(*ordering(h, h._key)).limit(q.limit + 1).offset(offset or None)
            .subquery("page"))
    matched = select(func.count()).select_from(hits).scalar_subquery().label("_matched")
    stmt = (select(matched, *cols).select_from(t.join(page, key == page.c._key))
            .order_by(*ordering(t.c, key)))
    return stmt, offset, reverse


def fetch_page(conn: Connection, engine: Engine, q: FeatureQuery,
               cols: list[ColumnElement[Any]]) -> Page:
    """One page of rows (limit + 1 read to know whether a next page exists).

    A bbox query counts and pages in one pass over the spatial index; other queries
    count first, and the count picks the plan of the page on PostGIS.
    """
    single = q.bbox is not None and (
        not is_postgis(engine) or estimated_bbox_rows(conn, engine, q) <= SMALL_MATCH)
    if single:
        stmt, offset, reverse = single_scan_statement(engine, q, cols)
        rows = list(conn.execute(stmt).all())
        matched = rows[0]._matched if rows else count_matched(conn, engine, q)
    else:
        matched = budgeted_count(conn, engine, q)
        stmt, offset, reverse = page_statement(engine, q, cols, matched)
        rows = list(conn.execute(stmt).all())
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    if reverse:
        rows.reverse()
        return Page(rows, matched, has_next=True, has_prev=more, offset=0)
    has_prev = q.cursor.after is not None or offset > 0
    return Page(rows, matched, has_next=more, has_prev=has_prev, offset=offset)


def next_cursor(q: FeatureQuery, page: Page) -> Cursor | None:
    """Token of the page after `page`."""
    if not page.has_next or not page.rows:
        return None
    if q.keyset:
        return Cursor(after=page.rows[-1]._key)
    return Cursor(offset=page.offset + q.limit)


def prev_cursor(q: FeatureQuery, page: Page) -> Cursor | None:
    """Token of the page before `page`."""
    if not page.has_prev:
        return None
    if q.keyset:
        return Cursor(before=page.rows[0]._key) if page.rows else None
    return Cursor(offset=max(page.offset - q.limit, 0))
