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
written since (or all of them, when the store no longer lists those). PostGIS only.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import Connection, Engine, text

from twin.changes import VERSION_SQL, changed_ids
from twin.store import is_postgis

log = logging.getLogger(__name__)

# Layers smaller than this are counted by the store as fast as from memory; larger ones
# would cost too much memory per server process (40 bytes a feature).
MIN_ROWS = 20_000
MAX_ROWS = 5_000_000
# How long a layer found too small or too large is left alone before it is asked again.
RECHECK_SECONDS = 60.0
# Boxes wider than this share of all boxes are kept apart and tested one by one, so one
# long road does not widen the slice every rectangle has to look at.
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


@dataclass(frozen=True)
class _Part:
    """Boxes sorted by xmin; `reach` bounds their widths, so a slice of xmin holds every hit."""

    ids: np.ndarray
    xmin: np.ndarray
    ymin: np.ndarray
    xmax: np.ndarray
    ymax: np.ndarray
    reach: float

    @classmethod
    def of(cls, ids: np.ndarray, boxes: np.ndarray) -> _Part:
        order = np.argsort(boxes[:, 0], kind="stable")
        b = boxes[order]
        reach = float((b[:, 2] - b[:, 0]).max()) if len(b) else 0.0
        xmin, ymin, xmax, ymax = (np.ascontiguousarray(b[:, i]) for i in range(4))
        return cls(np.ascontiguousarray(ids[order]), xmin, ymin, xmax, ymax, reach)

    def __len__(self) -> int:
        return len(self.ids)

    def without(self, ids: np.ndarray) -> _Part:
        """This part less the boxes of `ids`."""
        keep = ~np.isin(self.ids, ids)
        return _Part(self.ids[keep], self.xmin[keep], self.ymin[keep], self.xmax[keep],
                     self.ymax[keep], self.reach)

    def plus(self, ids: np.ndarray, boxes: np.ndarray) -> _Part:
        """This part with more boxes, each put in its place by xmin."""
        at = np.searchsorted(self.xmin, boxes[:, 0])
        reach = max(self.reach, float((boxes[:, 2] - boxes[:, 0]).max(initial=0.0)))
        xmin, ymin, xmax, ymax = (np.insert(column, at, boxes[:, i]) for i, column in
                                  enumerate((self.xmin, self.ymin, self.xmax, self.ymax)))
        return _Part(np.insert(self.ids, at, ids), xmin, ymin, xmax, ymax, reach)

    def hits(self, bbox: BBox) -> Hits:
        a, b, c, d = bbox
        lo = int(np.searchsorted(self.xmin, a - self.reach, side="left"))
        hi = int(np.searchsorted(self.xmin, c, side="right"))
        xmin, ymin = self.xmin[lo:hi], self.ymin[lo:hi]
        xmax, ymax = self.xmax[lo:hi], self.ymax[lo:hi]
        meets = (xmax >= a) & (ymin <= d) & (ymax >= b)
        inside = meets & (xmin >= a) & (xmax <= c) & (ymin >= b) & (ymax <= d)
        ids = self.ids[lo:hi]
        return Hits(ids[inside], ids[meets & ~inside])


@dataclass(frozen=True)
class LayerBoxes:
    """Every feature box of one table at one change version.

    `parts` hold the boxes, narrow ones apart from the few wide ones; `bare` the ids of
    features without a geometry (in no bbox, but in the layer's count).
    """

    table: str
    version: int
    parts: tuple[_Part, ...]
    bare: np.ndarray

    @property
    def rows(self) -> int:
        """How many features the layer has."""
        return sum(len(p) for p in self.parts) + len(self.bare)

    @classmethod
    def of(cls, table: str, version: int, ids: np.ndarray, boxes: np.ndarray) -> LayerBoxes:
        """Boxes from ids and an (n, 4) array of xmin, ymin, xmax, ymax (NaN: no geometry)."""
        shaped = ~np.isnan(boxes).any(axis=1)
        bare = np.sort(ids[~shaped])
        ids, boxes = ids[shaped], boxes[shaped]
        if len(ids) == 0:
            return cls(table, version, (), bare)
        widths = boxes[:, 2] - boxes[:, 0]
        wide = widths > float(np.quantile(widths, NARROW_SHARE))
        parts = [_Part.of(ids[~wide], boxes[~wide])]
        if wide.any():
            parts.append(_Part.of(ids[wide], boxes[wide]))
        return cls(table, version, tuple(parts), bare)

    def changed(self, version: int, written: np.ndarray, ids: np.ndarray, boxes: np.ndarray
                ) -> LayerBoxes:
        """These boxes at `version`: the `written` ids replaced by what they are now.

        `ids` and `boxes` are the written features still there (NaN boxes: no geometry);
        a written id not among them was deleted.
        """
        if not self.parts:
            return LayerBoxes.of(self.table, version,
                                 np.concatenate([np.setdiff1d(self.bare, written), ids]),
                                 np.vstack([np.full((len(self.bare), 4), np.nan)[
                                     ~np.isin(self.bare, written)], boxes]))
        shaped = ~np.isnan(boxes).any(axis=1)
        bare = np.union1d(np.setdiff1d(self.bare, written), ids[~shaped])
        ids, boxes = ids[shaped], boxes[shaped]
        parts = [p.without(written) for p in self.parts]
        # A box wider than the narrow part's widest goes with the wide ones.
        wide = (boxes[:, 2] - boxes[:, 0]) > parts[0].reach
        if wide.any() and len(parts) == 1:
            parts.append(_Part.of(ids[wide], boxes[wide]))
        elif wide.any():
            parts[1] = parts[1].plus(ids[wide], boxes[wide])
        if (~wide).any():
            parts[0] = parts[0].plus(ids[~wide], boxes[~wide])
        return LayerBoxes(self.table, version, tuple(parts), bare)

    def hits(self, bbox: BBox) -> Hits:
        """The features whose boxes meet `bbox` (closed rectangles, CGCS2000)."""
        found = [part.hits(bbox) for part in self.parts]
        if not found:
            empty = np.empty(0, dtype=np.int64)
            return Hits(empty, empty)
        if len(found) == 1:
            return found[0]
        return Hits(np.concatenate([h.inside for h in found]),
                    np.concatenate([h.edge for h in found]))


# Each feature as 40 bytes (id, xmin, ymin, xmax, ymax; NaN: no geometry), all in one
# value built by the store: no Python work per row.
BOXES_SQL = """
SELECT string_agg(int8send(id::int8) || float8send(coalesce(ST_XMin(b), 'NaN'))
                  || float8send(coalesce(ST_YMin(b), 'NaN'))
                  || float8send(coalesce(ST_XMax(b), 'NaN'))
                  || float8send(coalesce(ST_YMax(b), 'NaN')), ''::bytea)
FROM (SELECT id, box2d({g}) AS b FROM {table} {where}) AS s
"""
PACKED = np.dtype([("id", ">i8"), ("box", ">f8", (4,))])


def _read(conn: Connection, table: str, geometry_column: str, ids: list[int] | None
          ) -> tuple[np.ndarray, np.ndarray]:
    where = "" if ids is None else "WHERE id = ANY(:ids)"
    packed = conn.execute(text(BOXES_SQL.format(g=geometry_column, table=table, where=where)),
                          {} if ids is None else {"ids": ids}).scalar()
    rows = np.frombuffer(bytes(packed or b""), dtype=PACKED)
    return rows["id"].astype(np.int64), rows["box"].astype(np.float64).reshape(len(rows), 4)


def read_boxes(engine: Engine, table: str, since: LayerBoxes | None = None,
               geometry_column: str = "geom") -> LayerBoxes:
    """The boxes of `table` at the version one snapshot of the store sees.

    Given the boxes of an earlier version, only the features written since are read.
    """
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.execute(text("SET LOCAL jit = off"))  # compiling costs more than it saves here
        version = conn.execute(text(VERSION_SQL), {"layer": table}).scalar()
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
                estimate = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
        return estimate is not None and self.min_rows <= float(estimate) <= MAX_ROWS


_keepers: weakref.WeakKeyDictionary[Engine, BoxKeeper] = weakref.WeakKeyDictionary()
_keepers_lock = threading.Lock()


def keeper(engine: Engine, min_rows: int = MIN_ROWS) -> BoxKeeper | None:
    """The box keeper of `engine` (None on SQLite, which keeps no change versions)."""
    if not is_postgis(engine):
        return None
    found = _keepers.get(engine)
    if found is None:
        with _keepers_lock:
            found = _keepers.setdefault(engine, BoxKeeper(engine, min_rows))
    return found
