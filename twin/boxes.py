"""The boxes of a layer's features, kept in memory: which features a rectangle may hold.

A map client pans over a million buildings asking for pages of a bbox with numberMatched.
Counting that in the store reads every match's row (thousands per request) to test it.
Here the features' boxes (id, xmin, ymin, xmax, ymax) sit in numpy arrays sorted by xmin:
a rectangle's features are found in a slice of them, split into those whose box lies
inside the rectangle (they intersect it for sure) and those on its edge (the store tests
only these exactly). A page needs only the ids of its rows, so the store reads a page's
rows and the edge features, not every match.

The boxes are a copy of the store at one change version (`twin.changes`): a reader that
finds the store at another version must not use them. `BoxKeeper` builds them in the
background and, when a reader reports a newer version, reads again only the features
written since (or all of them, when the store no longer lists those). PostGIS only (its
statements are PostGIS's; SpatiaLite finds a rectangle's boxes in its R*Tree).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Connection,
    Engine,
    Float,
    LargeBinary,
    Select,
    any_,
    bindparam,
    cast,
    column,
    func,
    literal,
    select,
    text,
)
from sqlalchemy import table as sql_table

from twin.changes import changed_ids, layer_version
from twin.store import Store

log = logging.getLogger(__name__)

# Layers smaller than this are counted by the store as fast as from memory; larger ones
# would cost too much memory per server process (40 bytes a feature).
MIN_ROWS = 20_000
MAX_ROWS = 5_000_000
# How long a layer found too small or too large is left alone before it is asked again.
RECHECK_SECONDS = 60.0
# Boxes wider or taller than this share of all boxes are kept apart and tested one by one,
# so one long road does not widen the runs every rectangle has to look at.
NARROW_SHARE = 0.99

BBox = tuple[float, float, float, float]


class Hits(NamedTuple):
    """The features whose boxes meet a rectangle: surely inside it, or on its edge."""

    inside: np.ndarray
    edge: np.ndarray

    def page(self, limit: int, after: int | None = None, before: int | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
        """Ids that hold the first `limit` matches after `after` (or last before `before`).

        Returns the candidate ids (sorted) and which of them are on the edge. Every inside
        id is a match, so the `limit` nearest inside ids bound the page: the matches are
        among those and the edge ids no farther away.
        """
        inside, edge = self.inside, self.edge
        if after is not None:
            inside, edge = inside[inside > after], edge[edge > after]
        if before is not None:
            inside, edge = inside[inside < before], edge[edge < before]
        if len(inside) > limit:
            if before is None:
                bound = np.partition(inside, limit - 1)[limit - 1]
                inside, edge = inside[inside <= bound], edge[edge <= bound]
            else:
                bound = np.partition(inside, len(inside) - limit)[len(inside) - limit]
                inside, edge = inside[inside >= bound], edge[edge >= bound]
        edge = np.sort(edge)
        return np.sort(np.concatenate([inside, edge])), edge


def _meets(boxes: np.ndarray, bbox: BBox) -> np.ndarray:
    """Which of these boxes meet `bbox`."""
    a, b, c, d = bbox
    return (boxes[:, 0] <= c) & (boxes[:, 2] >= a) & (boxes[:, 1] <= d) & (boxes[:, 3] >= b)


def _meeting(ids: np.ndarray, boxes: np.ndarray, bbox: BBox) -> Hits:
    """Of these boxes, the ids of those inside `bbox` and of those on its edge."""
    a, b, c, d = bbox
    xmin, ymin, xmax, ymax = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3]
    meets = _meets(boxes, bbox)
    inside = meets & (xmin >= a) & (xmax <= c) & (ymin >= b) & (ymax <= d)
    return Hits(ids[inside], ids[meets & ~inside])


@dataclass(frozen=True)
class _Loose:
    """A few boxes, tested one by one: the widest, and those that fit no strip."""

    ids: np.ndarray
    boxes: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    def without(self, ids: np.ndarray) -> _Loose:
        keep = ~np.isin(self.ids, ids)
        return _Loose(self.ids[keep], self.boxes[keep])

    def plus(self, ids: np.ndarray, boxes: np.ndarray) -> _Loose:
        return _Loose(np.concatenate([self.ids, ids]), np.vstack([self.boxes, boxes]))

    def hits(self, bbox: BBox) -> Hits:
        return _meeting(self.ids, self.boxes, bbox)


@dataclass(frozen=True)
class _Strips:
    """Boxes in vertical strips by xmin, each strip sorted by ymin.

    A rectangle looks only at the strips its xmin range reaches (widened by the widest
    box) and, in each, at the run of ymin it reaches (widened by the tallest): for a
    city's buildings a few thousand boxes, not a whole column of the city. The order is
    kept in one sorted key, strip × span + (ymin − y0), so every run is found at once.
    """

    ids: np.ndarray
    boxes: np.ndarray
    key: np.ndarray
    x0: float
    y0: float
    strip_width: float
    strips: int
    span: float
    reach_x: float
    reach_y: float

    @classmethod
    def of(cls, ids: np.ndarray, boxes: np.ndarray) -> _Strips:
        x0, y0 = float(boxes[:, 0].min()), float(boxes[:, 1].min())
        strips = max(1, int(np.sqrt(len(ids)) / 4))
        strip_width = max(float(boxes[:, 0].max()) - x0, 1e-9) / strips * (1 + 1e-9)
        span = float(boxes[:, 1].max()) - y0 + 1.0
        unsorted = cls(ids, boxes, boxes[:, 0], x0, y0, strip_width, strips, span,
                       float((boxes[:, 2] - boxes[:, 0]).max()),
                       float((boxes[:, 3] - boxes[:, 1]).max()))
        key = unsorted._key(boxes)
        order = np.argsort(key, kind="stable")
        return replace(unsorted, ids=ids[order], boxes=boxes[order], key=key[order])

    def __len__(self) -> int:
        return len(self.ids)

    def _strip(self, x: np.ndarray | float) -> np.ndarray:
        return np.clip(np.floor((np.asarray(x) - self.x0) / self.strip_width), 0,
                       self.strips - 1)

    def _key(self, boxes: np.ndarray) -> np.ndarray:
        return self._strip(boxes[:, 0]) * self.span + (boxes[:, 1] - self.y0)

    def fits(self, boxes: np.ndarray) -> np.ndarray:
        """Which boxes can join the strips without widening what every rectangle reads."""
        return ((boxes[:, 2] - boxes[:, 0] <= self.reach_x)
                & (boxes[:, 3] - boxes[:, 1] <= self.reach_y)
                & (boxes[:, 0] >= self.x0)
                & (boxes[:, 0] < self.x0 + self.strips * self.strip_width)
                & (boxes[:, 1] >= self.y0) & (boxes[:, 1] <= self.y0 + self.span - 1.0))

    def without(self, ids: np.ndarray) -> _Strips:
        keep = ~np.isin(self.ids, ids)
        return replace(self, ids=self.ids[keep], boxes=self.boxes[keep], key=self.key[keep])

    def plus(self, ids: np.ndarray, boxes: np.ndarray) -> _Strips:
        """These strips with more boxes (each of which `fits`), each put in its place."""
        key = self._key(boxes)
        at = np.searchsorted(self.key, key)
        return replace(self, ids=np.insert(self.ids, at, ids),
                       boxes=np.insert(self.boxes, at, boxes, axis=0),
                       key=np.insert(self.key, at, key))

    def hits(self, bbox: BBox) -> Hits:
        picks = self._picks(bbox)
        return _meeting(self.ids[picks], self.boxes[picks], bbox)

    def meeting(self, bbox: BBox) -> tuple[np.ndarray, np.ndarray]:
        """Ids and boxes of the strips' features whose boxes meet `bbox`."""
        picks = self._picks(bbox)
        ids, boxes = self.ids[picks], self.boxes[picks]
        meets = _meets(boxes, bbox)
        return ids[meets], boxes[meets]

    def _picks(self, bbox: BBox) -> np.ndarray:
        a, b, c, d = bbox
        first, last = int(self._strip(a - self.reach_x)), int(self._strip(c))
        strips = np.arange(first, last + 1) * self.span
        # A little slack on both sides of each run: the exact test below decides.
        low = np.clip(b - self.reach_y - self.y0, 0.0, self.span) - 1e-9
        high = np.clip(d - self.y0, 0.0, self.span) + 1e-9
        starts = np.searchsorted(self.key, strips + low, side="left")
        ends = np.searchsorted(self.key, strips + high, side="right")
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64)
        return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)


@dataclass(frozen=True)
class LayerBoxes:
    """Every feature box of one table at one change version.

    Most boxes sit in `strips`; the widest and those that fit no strip are `loose`;
    `bare` holds the ids of features without a geometry (in no bbox, but in the count).
    """

    table: str
    version: int
    strips: _Strips | None
    loose: _Loose
    bare: np.ndarray

    @property
    def rows(self) -> int:
        """How many features the layer has."""
        return (len(self.strips) if self.strips else 0) + len(self.loose) + len(self.bare)

    @classmethod
    def of(cls, table: str, version: int, ids: np.ndarray, boxes: np.ndarray) -> LayerBoxes:
        """Boxes from ids and an (n, 4) array of xmin, ymin, xmax, ymax (NaN: no geometry)."""
        shaped = ~np.isnan(boxes).any(axis=1)
        bare = np.sort(ids[~shaped])
        ids, boxes = ids[shaped], boxes[shaped]
        if len(ids) == 0:
            return cls(table, version, None, _Loose(ids, boxes), bare)
        widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
        narrow = ((widths <= float(np.quantile(widths, NARROW_SHARE)))
                  & (heights <= float(np.quantile(heights, NARROW_SHARE))))
        return cls(table, version, _Strips.of(ids[narrow], boxes[narrow]),
                   _Loose(ids[~narrow], boxes[~narrow]), bare)

    def changed(self, version: int, written: np.ndarray, ids: np.ndarray, boxes: np.ndarray
                ) -> LayerBoxes:
        """These boxes at `version`: the `written` ids replaced by what they are now.

        `ids` and `boxes` are the written features still there (NaN boxes: no geometry);
        a written id not among them was deleted.
        """
        shaped = ~np.isnan(boxes).any(axis=1)
        bare = np.union1d(np.setdiff1d(self.bare, written), ids[~shaped])
        ids, boxes = ids[shaped], boxes[shaped]
        strips, loose = self.strips, self.loose.without(written)
        fits = np.zeros(len(ids), dtype=bool)
        if strips is not None:
            strips = strips.without(written)
            fits = strips.fits(boxes)
            if fits.any():
                strips = strips.plus(ids[fits], boxes[fits])
        if (~fits).any():
            loose = loose.plus(ids[~fits], boxes[~fits])
        return LayerBoxes(self.table, version, strips, loose, bare)

    def meeting(self, bbox: BBox) -> tuple[np.ndarray, np.ndarray]:
        """Ids and (n, 4) boxes of the features whose boxes meet `bbox` (what a tile needs)."""
        loose = _meets(self.loose.boxes, bbox) if len(self.loose) else np.zeros(0, dtype=bool)
        ids, boxes = self.loose.ids[loose], self.loose.boxes[loose]
        if self.strips is None:
            return ids, boxes
        strip_ids, strip_boxes = self.strips.meeting(bbox)
        return np.concatenate([strip_ids, ids]), np.vstack([strip_boxes, boxes])

    def hits(self, bbox: BBox) -> Hits:
        """The features whose boxes meet `bbox` (closed rectangles, CGCS2000)."""
        found = self.loose.hits(bbox)
        if self.strips is None:
            return found
        strips = self.strips.hits(bbox)
        if not len(found.inside) and not len(found.edge):
            return strips
        return Hits(np.concatenate([strips.inside, found.inside]),
                    np.concatenate([strips.edge, found.edge]))


PACKED = np.dtype([("id", ">i8"), ("box", ">f8", (4,))])


def _float8(value: Any) -> Any:
    return func.float8send(func.coalesce(value, cast(literal("NaN"), Float(precision=53))))


@lru_cache(maxsize=32)
def _boxes_statement(table: str, geometry_column: str, some: bool) -> Select[Any]:
    """Each feature as 40 bytes (id, xmin, ymin, xmax, ymax; NaN: no geometry), all in one
    value built by the store: no Python work per row. `some`: only the ids bound as `ids`."""
    t = sql_table(table, column("id"), column(geometry_column))
    boxes = select(t.c.id, func.box2d(t.c[geometry_column]).label("b"))
    if some:
        boxes = boxes.where(t.c.id == any_(bindparam("ids", type_=ARRAY(BigInteger))))
    s = boxes.subquery("s")
    packed = func.int8send(cast(s.c.id, BigInteger)).op("||")(_float8(func.ST_XMin(s.c.b)))
    for edge in (func.ST_YMin, func.ST_XMax, func.ST_YMax):
        packed = packed.op("||")(_float8(edge(s.c.b)))
    return select(func.string_agg(packed, literal(b"", LargeBinary)))


def _read(conn: Connection, table: str, geometry_column: str, ids: list[int] | None
          ) -> tuple[np.ndarray, np.ndarray]:
    stmt = _boxes_statement(table, geometry_column, ids is not None)
    packed = conn.execute(stmt, {} if ids is None else {"ids": ids}).scalar()
    rows = np.frombuffer(bytes(packed or b""), dtype=PACKED)
    return rows["id"].astype(np.int64), rows["box"].astype(np.float64).reshape(len(rows), 4)


def read_boxes(engine: Engine, table: str, since: LayerBoxes | None = None,
               geometry_column: str = "geom") -> LayerBoxes:
    """The boxes of `table` at the version one snapshot of the store sees.

    Given the boxes of an earlier version, only the features written since are read.
    """
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.execute(text("SET LOCAL jit = off"))  # compiling costs more than it saves here
        version = layer_version(conn, table)
        if version is None:
            raise LookupError(f"the store keeps no change version of {table}")
        written = None if since is None else changed_ids(conn, table, since.version)
        ids, boxes = _read(conn, table, geometry_column, written)
        conn.rollback()
    if since is None or written is None:
        return LayerBoxes.of(table, int(version), ids, boxes)
    return since.changed(int(version), np.array(written, dtype=np.int64), ids, boxes)


class BoxKeeper:
    """The boxes of one store's large layers, built in the background and kept current.

    `boxes` answers at once: the kept boxes, or None while they are being built (the
    caller asks the store instead). A reader that finds the store at another version
    calls `outdated`, which sets the boxes aside and brings them up to date.
    """

    def __init__(self, engine: Engine, min_rows: int = MIN_ROWS) -> None:
        self.engine = engine
        self.min_rows = min_rows
        self._lock = threading.Lock()
        self._kept: dict[str, LayerBoxes] = {}
        self._behind: dict[str, LayerBoxes] = {}  # set aside, to be brought up to date
        self._building: set[str] = set()
        self._skip_until: dict[str, float] = {}

    def boxes(self, table: str) -> LayerBoxes | None:
        """The kept boxes of `table`, or None (starting a build when it is worth one)."""
        kept = self._kept.get(table)
        if kept is not None:
            return kept
        with self._lock:
            if table in self._building or time.monotonic() < self._skip_until.get(table, 0):
                return None
            self._building.add(table)
        threading.Thread(target=self._build, args=(table,), daemon=True,
                         name=f"boxes-{table}").start()
        return None

    def outdated(self, table: str, version: int) -> None:
        """A reader saw `table` at `version`: build again if the kept boxes are another's."""
        with self._lock:
            kept = self._kept.get(table)
            if kept is not None and kept.version != version:
                self._behind[table] = self._kept.pop(table)
        self.boxes(table)

    def _build(self, table: str) -> None:
        try:
            if self._worth_keeping(table):
                started = time.perf_counter()
                built = read_boxes(self.engine, table, self._behind.pop(table, None))
                with self._lock:
                    self._kept[table] = built
                log.info("kept %d boxes of %s at version %d in %.2f s", built.rows, table,
                         built.version, time.perf_counter() - started)
            else:
                self._behind.pop(table, None)
                self._skip_until[table] = time.monotonic() + RECHECK_SECONDS
        except Exception:  # noqa: BLE001 - a failed build leaves the store to answer
            log.exception("could not keep the boxes of %s", table)
            self._skip_until[table] = time.monotonic() + RECHECK_SECONDS
        finally:
            with self._lock:
                self._building.discard(table)

    def _worth_keeping(self, table: str) -> bool:
        with self.engine.connect() as conn:
            estimate: Any = conn.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = to_regclass(:t)"),
                {"t": table}).scalar()
            if estimate is not None and estimate < 0:  # never analysed: count it
                estimate = conn.execute(
                    select(func.count()).select_from(sql_table(table))).scalar()
        return estimate is not None and self.min_rows <= float(estimate) <= MAX_ROWS


def keeper(engine: Engine, min_rows: int = MIN_ROWS) -> BoxKeeper | None:
    """The box keeper of `engine`'s Store (None where the store cannot keep boxes)."""
    return Store.of(engine).box_keeper(min_rows)
