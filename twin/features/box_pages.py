"""Pages of a bare bbox (or whole-layer) listing from the layer's kept boxes (PostGIS).

The kept boxes (`twin.boxes`) say which ids may be on the page and which features sit on
the bbox's edge. One statement then reads, in one snapshot: the layer's change version,
how many edge features really intersect the bbox, and the page's rows by primary key.
If that version is not the boxes' own, a write has landed since they were built: the
answer is thrown away, the boxes are rebuilt in the background, and the caller asks the
store the usual way. So numberMatched and the page are exact for the snapshot they are
read in, as they are without the boxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    not_,
    or_,
    select,
    table,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.functions import Function
from sqlalchemy.types import Text

from twin.boxes import BoxKeeper
from twin.features.query import FeatureQuery, Page
from twin.layers import LAYERS
from twin.models import STORAGE_SRID

IDS = ARRAY(BigInteger)


def id_array(ids: np.ndarray) -> str:
    """Ids as a PostgreSQL array literal: one text value to send, not a value per id."""
    return "{" + ",".join(map(str, ids.tolist())) + "}"


def _ids(name: str) -> ColumnElement[Any]:
    return cast(bindparam(name, type_=Text), IDS)
BBOX_VALUES = ("minx", "miny", "maxx", "maxy")


def served(q: FeatureQuery) -> bool:
    """Whether the kept boxes can answer `q`: id-ordered pages, no filter but a bbox."""
    return (q.interval is None and not q.equals and q.condition is None and q.keyset
            and not q.cursor.offset and "id" in q.layer.table.c
            and q.layer.geometry_column.name == "geom")


@lru_cache(maxsize=256)
def _statement(layer_name: str, cols: tuple[ColumnElement[Any], ...], with_bbox: bool,
               direction: str) -> Select[Any]:
    """Version, edge count and page rows in one statement (values bound at run time)."""
    t = LAYERS[layer_name].table
    key = t.c.id
    version = (select(literal_column("version"))
               .select_from(table("layer_version"))
               .where(literal_column("layer") == t.name).scalar_subquery())
    clauses: list[ColumnElement[bool]] = []
    if with_bbox:
        box = func.ST_MakeEnvelope(*(bindparam(n, type_=Float) for n in BBOX_VALUES),
                                   STORAGE_SRID)
        exact: ColumnElement[bool] = Function("_ST_Intersects", t.c.geom, box)
        edge: ColumnElement[Any] = (
            select(func.count()).select_from(t)
            .where(key == any_(_ids("edge")), exact).scalar_subquery())
        clauses += [key == any_(_ids("candidates")),
                    or_(not_(key == any_(_ids("candidate_edge"))), exact)]
    else:
        edge = literal_column("0")
    if direction == "after":
        clauses.append(key > bindparam("cursor_key", type_=BigInteger))
    elif direction == "before":
        clauses.append(key < bindparam("cursor_key", type_=BigInteger))
    order = key.desc() if direction == "before" else key.asc()
    page = (select(*cols).where(*clauses).order_by(order)
            .limit(bindparam("page_limit", type_=Integer)).subquery("page"))
    head = select(version.label("_stamp"), edge.label("_edge")).subquery("head")
    page_key = page.c._key
    # Plain str names: orjson takes no str subclass (SQLAlchemy's quoted_name) as a key.
    return (select(head.c._stamp, head.c._edge, *(c.label(str(c.key)) for c in page.c))
            .select_from(head.outerjoin(page, true()))
            .order_by(page_key.desc() if direction == "before" else page_key.asc()))


def box_page(conn: Connection, keeper: BoxKeeper, q: FeatureQuery,
             cols: Sequence[ColumnElement[Any]]) -> Page | None:
    """The page of `q` read with the kept boxes, or None when they cannot answer it."""
    boxes = keeper.boxes(q.layer.table.name)
    if boxes is None:
        return None
    after, before = q.cursor.after, q.cursor.before
    if isinstance(after, str) or isinstance(before, str):
        return None
    direction = "after" if after is not None else "before" if before is not None else ""
    values: dict[str, Any] = {"page_limit": q.limit + 1}
    if direction:
        values["cursor_key"] = after if after is not None else before
    inside = 0
    if q.bbox is not None:
        hits = boxes.hits(q.bbox)
        candidates, candidate_edge = hits.page(q.limit + 1, after, before)
        inside = len(hits.inside)
        values.update(zip(BBOX_VALUES, q.bbox, strict=True))
        values.update(edge=id_array(hits.edge), candidates=id_array(candidates),
                      candidate_edge=id_array(candidate_edge))
    stmt = _statement(q.layer.name, tuple(cols), q.bbox is not None, direction)
    rows = list(conn.execute(stmt, values).all())
    version = rows[0]._stamp
    if version != boxes.version:
        keeper.outdated(q.layer.table.name, -1 if version is None else int(version))
        return None
    matched = inside + int(rows[0]._edge) if q.bbox is not None else boxes.rows
    rows = [r for r in rows if r._key is not None]
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    if direction == "before":
        rows.reverse()
        return Page(rows, matched, has_next=True, has_prev=more, offset=0)
    return Page(rows, matched, has_next=more, has_prev=after is not None, offset=0)
