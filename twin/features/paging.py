"""Pages of features: the plan for a page, keyset cursors, and the next/prev tokens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    bindparam,
    func,
    literal_column,
    select,
)

from twin.boxes import BoxKeeper
from twin.features.box_pages import box_page, served
from twin.features.counting import (
    budgeted_count,
    count_matched,
    estimated_bbox_rows,
    guessed_bbox_rows,
)
from twin.features.query import Cursor, FeatureQuery, Page, row_key, where_clauses
from twin.store import Store

# Below this many matches PostGIS is steered to the spatial/attribute index and a top-N
# sort; above it, walking the primary key in order is the cheaper plan.
SMALL_MATCH = 50_000
# A guess from the layer's extent within this factor of SMALL_MATCH asks the statistics.
# Rows crowd unevenly (a city centre against its hills), but a wrong pick costs time, not
# answers: the single scan reads every match, the other plan counts under its budget.
SKEW = 2


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


def page_statement(store: Store, q: FeatureQuery, cols: Sequence[ColumnElement[Any]],
                   matched: int | None) -> tuple[Select[Any], int, bool]:
    """The page query, its offset and whether rows come back reversed (prev pages)."""
    clauses = where_clauses(store, q)
    steer = (store.dialect.estimates_rows and bool(clauses) and matched is not None
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


def single_scan_statement(store: Store, q: FeatureQuery, cols: Sequence[ColumnElement[Any]],
                          limit: Any = None) -> tuple[Select[Any], int, bool]:
    """Count and page from one pass over the spatial index.

    The matching ids (and sort keys) are gathered once; the count reads them, the page
    takes its top N from them, and only the page's rows are read whole, by primary key.
    """
    t = q.layer.table
    sort_cols = [t.c[k.name] for k in q.sortby]
    key = row_key(q.layer)
    hits = (select(key.label("_key"), *sort_cols).where(*where_clauses(store, q))
            .cte("hits").prefix_with("MATERIALIZED"))
    h = hits.c
    reverse = q.keyset and q.cursor.before is not None
    offset = q.cursor.offset or 0
    inner = select(h._key)
    if q.keyset and q.cursor.after is not None:
        inner = inner.where(h._key > q.cursor.after)
    elif reverse:
        inner = inner.where(h._key < q.cursor.before)

    def ordering(source: Any, last: Any) -> list[ColumnElement[Any]]:
        terms = [source[k.name].desc() if k.descending else source[k.name].asc()
                 for k in q.sortby]
        return [*terms, last.desc() if reverse else last.asc()]

    page = (inner.order_by(*ordering(h, h._key))
            .limit(q.limit + 1 if limit is None else limit).offset(offset or None)
            .subquery("page"))
    matched = select(func.count()).select_from(hits).scalar_subquery().label("_matched")
    stmt = (select(matched, *cols).select_from(t.join(page, key == page.c._key))
            .order_by(*ordering(t.c, key)))
    return stmt, offset, reverse


def _few_in_bbox(conn: Connection, store: Store, q: FeatureQuery) -> bool:
    """Whether the bbox holds few enough rows for the single scan (PostGIS).

    The in-process guess from the layer's extent settles clear cases; rows are rarely
    spread evenly, so only a guess far from SMALL_MATCH is trusted without asking the
    store's statistics (a round trip).
    """
    guess = guessed_bbox_rows(conn, store, q)
    if guess is not None and guess <= SMALL_MATCH / SKEW:
        return True
    if guess is not None and guess >= SMALL_MATCH * SKEW:
        return False
    return estimated_bbox_rows(conn, store, q) <= SMALL_MATCH


# The bbox single scan of a bare bbox query (what map clients send), built once per layer,
# columns and cursor direction with its values bound at run time: building the statement
# costs more Python time than everything else in such a request.
BBOX_VALUES = ("bbox_minx", "bbox_miny", "bbox_maxx", "bbox_maxy")
_bbox_scans: dict[tuple[Any, ...], tuple[Select[Any], bool]] = {}


def _bare_bbox(q: FeatureQuery) -> bool:
    return (q.bbox is not None and q.interval is None and not q.equals
            and q.condition is None and q.keyset and not q.cursor.offset)


def _bbox_scan(store: Store, q: FeatureQuery, cols: Sequence[ColumnElement[Any]]
               ) -> tuple[Select[Any], dict[str, Any], int, bool]:
    """single_scan_statement of a bare bbox query, from the kept statements."""
    assert q.bbox is not None
    direction = ("after" if q.cursor.after is not None
                 else "before" if q.cursor.before is not None else "")
    key = (store.dialect.name, q.layer.name, tuple(cols), direction)
    kept = _bbox_scans.get(key)
    if kept is None:
        # Bound parameters stand where the values go, so one statement serves every bbox.
        box: Any = tuple(bindparam(n, type_=Float) for n in BBOX_VALUES)
        key_value: Any = bindparam("cursor_key")
        shape = FeatureQuery(
            layer=q.layer, limit=0, properties=q.properties, bbox=box,
            cursor=Cursor(after=key_value if direction == "after" else None,
                          before=key_value if direction == "before" else None),
        )
        stmt, _, reverse = single_scan_statement(store, shape, cols,
                                                 limit=bindparam("page_limit", type_=Integer))
        kept = _bbox_scans.setdefault(key, (stmt, reverse))
    values: dict[str, Any] = dict(zip(BBOX_VALUES, q.bbox, strict=True))
    values["page_limit"] = q.limit + 1
    if direction:
        values["cursor_key"] = q.cursor.after if direction == "after" else q.cursor.before
    return kept[0], values, 0, kept[1]


def fetch_page(conn: Connection, store: Store, q: FeatureQuery,
               cols: Sequence[ColumnElement[Any]], keeper: BoxKeeper | None = None) -> Page:
    """One page of rows (limit + 1 read to know whether a next page exists).

    With the layer's boxes kept in memory, a bare bbox or whole-layer listing is read
    from them (`twin.features.box_pages`). Otherwise a bbox query counts and pages in one
    pass over the spatial index; other queries count first, and the count picks the
    plan of the page on PostGIS.
    """
    if keeper is not None and served(q):
        kept = box_page(conn, keeper, q, cols)
        if kept is not None:
            return kept
    single = q.bbox is not None and (
        not store.dialect.estimates_rows or _few_in_bbox(conn, store, q))
    if single:
        values: dict[str, Any] = {}
        if _bare_bbox(q):
            stmt, values, offset, reverse = _bbox_scan(store, q, cols)
        else:
            stmt, offset, reverse = single_scan_statement(store, q, cols)
        rows = list(conn.execute(stmt, values).all())
        matched = rows[0]._matched if rows else count_matched(conn, store, q)
    else:
        matched = budgeted_count(conn, store, q)
        stmt, offset, reverse = page_statement(store, q, cols, matched)
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
