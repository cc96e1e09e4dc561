"""Vector tiles of the twin's layers: the one service every face asks for a tile.

`TileService.layer_tile` draws one layer's features into one tile (generalised by the
layer's `TileRules`), `TileService.twin_tile` stacks every layer a caller may see into
one multi-layer tile (MVT layers concatenate: a tile is a repeated field of layers).
Tiles are kept in a `TileCache` per layer version; where the layer's kept boxes show
nothing in a tile, the answer is empty without asking the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, Engine

from tiles.cache import DrawnTile, TileCache, TileKey
from tiles.matrix import TileAddress, check_tile, display_offset, drawing_frame
from tiles.rules import drawn_for, tile_layers, tile_variant
from tiles.selection import choose, reach
from tiles.sources import TileDraw, boxes_of, drawing_for, simplify_tolerance
from twin import boxes as kept_boxes
from twin.changes import changed_ids, layer_version, layer_versions
from twin.layers import Layer, Level

EMPTY = np.empty(0, dtype=np.int64)
STORED = ("CGCS2000", "WGS84")  # display CRSs that draw the stored coordinates as they are


@dataclass(frozen=True)
class Tile:
    """An answered tile: its bytes (empty: no features) and entity tag."""

    data: bytes
    etag: str
    cached: bool = False


def _stacked(parts: Sequence[DrawnTile], cached: bool) -> Tile:
    """Layers' tiles as one multi-layer tile (MVT layers concatenate); its tag from theirs."""
    tag = hashlib.blake2b("".join(p.etag for p in parts).encode(), digest_size=10)
    return Tile(b"".join(p.data for p in parts), f'"{tag.hexdigest()}"', cached)


class TileService:
    """Draws and caches the tiles of one store."""

    def __init__(
        self,
        engine: Engine,
        cache: TileCache | None = None,
        keeper: kept_boxes.BoxKeeper | None = None,
    ) -> None:
        self.engine = engine
        self.cache = cache if cache is not None else TileCache()
        self.keeper = keeper if keeper is not None else kept_boxes.keeper(engine)

    def layer_tile(self, layer: Layer, tile: TileAddress, *, clearance: Level) -> Tile:
        """One layer's tile. A layer above the caller's clearance is refused by the caller."""
        check_tile(tile)
        with self._connect() as conn:
            version = layer_version(conn, layer.table.name)
            drawn = self._drawn(conn, layer, tile, clearance, version)
        return Tile(drawn[0].data, drawn[0].etag, drawn[1])

    def twin_tile(
        self,
        tile: TileAddress,
        *,
        clearance: Level,
        layers: Sequence[Layer] | None = None,
        display: str = "CGCS2000",
    ) -> Tile:
        """Every visible layer in one tile, in drawing order; `display` GCJ-02 draws it
        shifted for a Chinese web base map under it (`tiles.matrix.display_offset`)."""
        check_tile(tile)
        parts: list[DrawnTile] = []
        all_cached = True
        with self._connect() as conn:
            versions = layer_versions(conn)  # every layer's in one query
            for layer in layers or tile_layers(clearance):
                version = versions.get(layer.table.name)
                drawn, cached = self._drawn(conn, layer, tile, clearance, version, display)
                parts.append(drawn)
                all_cached &= cached
        return _stacked(parts, all_cached)

    def kept(
        self,
        layers: Sequence[Layer],
        tile: TileAddress,
        versions: dict[str, int],
        *,
        clearance: Level,
        stacked: bool,
    ) -> Tile | None:
        """The tile from the cache alone, given the layers' versions read by the caller;
        None when a layer's tile is not kept at its version (then draw it: `layer_tile`,
        `twin_tile`). `stacked`: every layer in one tile, as `twin_tile` answers."""
        check_tile(tile)
        parts: list[DrawnTile] = []
        for layer in layers:
            version = versions.get(layer.table.name)
            key = TileKey(layer.name, tile, tile_variant(layer, clearance))
            found = None if version is None else self.cache.get(key, version)
            if found is None:
                return None
            parts.append(found)
        if not stacked:
            return Tile(parts[0].data, parts[0].etag, True)
        return _stacked(parts, True)

    def _connect(self) -> Connection:
        # Autocommit: no BEGIN and ROLLBACK round trips around a read. A tile drawn from a
        # snapshot newer than the version read before it is still safe to cache under that
        # version: advancing the cache past the write forgets every tile the write touched.
        return self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def _drawn(
        self,
        conn: Connection,
        layer: Layer,
        tile: TileAddress,
        clearance: Level,
        version: int | None,
        display: str = "CGCS2000",
    ) -> tuple[DrawnTile, bool]:
        """One layer's tile at `version` (read before: `_connect`), kept or drawn."""
        rules = layer.tiles
        variant = tile_variant(layer, clearance)
        offset = (0.0, 0.0) if display in STORED else display_offset(tile, display)
        key = TileKey(layer.name, tile, variant if display in STORED else f"{variant}:{display}")
        if version is not None:
            self.cache.advance(
                layer.name, version, lambda _n, since: self._written(conn, layer, since)
            )
            found = self.cache.get(key, version)
            if found is not None:
                return found, True
        where = reach(tile, rules, offset)
        if not rules.shows(tile.zoom) or not drawn_for(layer, clearance):
            drawn = DrawnTile(b"", EMPTY, where.bbox, version)
        else:
            drawn = self._draw(conn, layer, tile, version, clearance, offset)
        self.cache.put(key, drawn)
        return drawn, False

    def _draw(
        self,
        conn: Connection,
        layer: Layer,
        tile: TileAddress,
        version: int | None,
        clearance: Level,
        offset: tuple[float, float] = (0.0, 0.0),
    ) -> DrawnTile:
        rules = layer.tiles
        where = reach(tile, rules, offset)
        drawing = drawing_for(conn)
        kept = self._kept(layer, version)
        ids, boxes = (
            kept.meeting(where.bbox) if kept is not None else drawing.boxes(conn, layer, where.bbox)
        )
        chosen = choose(ids, boxes, where, rules.budget)
        if len(chosen) == 0:  # the kept boxes show nothing here: no query
            return DrawnTile(b"", EMPTY, where.bbox, version)
        visible = {c.name for c in layer.attribute_columns(clearance)}
        attributes = [a for a in rules.attributes_at(tile.zoom) if a in visible]
        bounds, epsg = drawing_frame(tile, offset)
        everything = len(chosen) == len(ids)  # then the store may find them by the reach
        draw = TileDraw(chosen, attributes, bounds, epsg,
                        simplify_tolerance(bounds, rules.simplify_pixels),
                        within=where.bbox if everything else None)
        data = drawing.encode(conn, layer, draw)
        return DrawnTile(data, chosen, where.bbox, version)

    def _kept(self, layer: Layer, version: int | None) -> kept_boxes.LayerBoxes | None:
        """The layer's kept boxes when they are at the version this snapshot sees."""
        if self.keeper is None or version is None or "id" not in layer.table.c:
            return None  # boxes are kept by integer id: admin areas (keyed by code) are read
        table = layer.table.name
        found = self.keeper.boxes(table)
        if found is not None and found.version != version:
            self.keeper.outdated(table, version)
            return None
        return found

    def _written(
        self, conn: Connection, layer: Layer, since: int
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Ids written to `layer` after `since` and their boxes now (NaN: gone)."""
        ids = changed_ids(conn, layer.table.name, since)
        if ids is None:
            return None
        return np.array(ids, dtype=np.int64), boxes_of(conn, layer, ids)[1]
