"""What the store holds per layer: feature counts and extents, kept per change version.

GIS clients ask for `/collections` before anything else, and an anonymous client can ask
for it in a loop. Counting a million buildings and taking their extent costs a second on
PostGIS; doing it per request made that document the slowest the service served. The
counts and extents only change when a layer's table does, and the store says when that
is: every committed write raises the table's change version (`twin.changes`), so the
stats are computed once per version, in one snapshot with the version they belong to, and
are exact for as long as the store still says that version.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from twin.layers import LAYERS, Layer
from twin.store import Store

BBox = tuple[float, float, float, float]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LayerStats:
    """How many features a layer has and the box around them (CGCS2000 lon/lat).

    `version` is the change version both are exact at (None: not known, computed now).
    """

    count: int
    bbox: BBox | None
    version: int | None = None


def layer_stats(engine: Engine, layer: Layer) -> LayerStats:
    """Count and extent of one layer, read from the store now with its version, all in one
    snapshot."""
    dialect = Store.of(engine).dialect
    with engine.connect().execution_options(**dialect.snapshot_options()) as conn:
        version = dialect.layer_version(conn, layer.table.name)
        count = conn.execute(select(func.count()).select_from(layer.table)).scalar_one()
        bbox = dialect.extent(conn, layer.table) if count else None
        conn.rollback()
    return LayerStats(int(count), bbox, version)


class Catalog:
    """The stats of every layer of one store, recomputed only when the store changed.

    `versions()` asks the store how far each layer has changed (one short query);
    `stats(layer, version)` answers from memory when the kept stats are that version's,
    else computes them once while concurrent callers wait.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = Store.of(engine).dialect
        self._kept: dict[str, LayerStats] = {}
        self._locks = {name: threading.Lock() for name in LAYERS}

    def versions(self) -> dict[str, int | None]:
        """The change version of every layer as the store says it now."""
        with self.engine.connect() as conn:
            found = self._dialect.layer_versions(conn)
        return {name: found.get(layer.table.name) for name, layer in LAYERS.items()}

    def stats(self, layer: Layer, version: int | None) -> LayerStats:
        """The stats of `layer` at `version` (or later); computed when none are kept."""
        kept = self._kept.get(layer.name)
        if version is not None and kept is not None and kept.version == version:
            return kept
        with self._locks[layer.name]:
            kept = self._kept.get(layer.name)
            if version is not None and kept is not None and (kept.version or -1) >= version:
                return kept
            fresh = layer_stats(self.engine, layer)
            if fresh.version is not None:
                self._kept[layer.name] = fresh
            return fresh

    def warm(self) -> threading.Thread:
        """Compute every layer's stats in the background (a city's first count takes
        seconds), so the first client asking for /collections does not wait for it."""

        def compute() -> None:
            try:
                versions = self.versions()
                for name, layer in LAYERS.items():
                    self.stats(layer, versions[name])
            except Exception:  # noqa: BLE001 - a request will compute (and report) it again
                log.exception("could not count the layers ahead of the first request")

        thread = threading.Thread(target=compute, daemon=True, name="catalog-warm")
        thread.start()
        return thread


_catalogs: weakref.WeakKeyDictionary[Engine, Catalog] = weakref.WeakKeyDictionary()
_catalogs_lock = threading.Lock()


def catalog(engine: Engine) -> Catalog:
    """The catalog of `engine`, made on first use and kept as long as the engine."""
    found = _catalogs.get(engine)
    if found is None:
        with _catalogs_lock:
            found = _catalogs.setdefault(engine, Catalog(engine))
    return found


def all_stats(engine: Engine) -> dict[str, LayerStats]:
    """Stats of every layer, by layer name."""
    kept = catalog(engine)
    versions = kept.versions()
    return {name: kept.stats(layer, versions[name]) for name, layer in LAYERS.items()}
