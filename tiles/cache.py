"""Tiles kept in memory, each valid for the layer version it was drawn at.

A layer's tiles are drawn from one snapshot of the store at change version N
(`twin.changes`). When a reader sees the layer at version M > N, the cache asks the store
which features were written between N and M and where they are now, and forgets exactly
the tiles that held one of them (where it was) or meet its box (where it is now); every
other tile of the layer is still right at M and is kept. When the store cannot list the
writes (too many, too old, or a bulk write on SQLite), all the layer's tiles go.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import NamedTuple

import numpy as np

from tiles.matrix import Bounds, TileAddress

DEFAULT_MAX_BYTES = 256 * 1024 * 1024


class TileKey(NamedTuple):
    """A cached tile: the layer, the tile, and which variant (`tiles.rules.tile_variant`:
    the fields withheld from its callers)."""

    layer: str
    tile: TileAddress
    variant: str = ""


@dataclass(frozen=True)
class DrawnTile:
    """An encoded tile layer, the ids it holds, where it looks, and its entity tag."""

    data: bytes
    ids: np.ndarray
    reach: Bounds
    version: int | None

    @cached_property
    def etag(self) -> str:
        """A strong entity tag of the bytes (hashed once per drawn tile)."""
        return '"' + hashlib.blake2b(self.data, digest_size=10).hexdigest() + '"'

    @property
    def size(self) -> int:
        """Bytes held in memory."""
        return len(self.data) + self.ids.nbytes + 200


# Where the written features are now: (ids, (n, 4) lon/lat boxes), None when not listed.
WrittenSince = Callable[[str, int], tuple[np.ndarray, np.ndarray] | None]


class TileCache:
    """An LRU of drawn tiles bounded by bytes, kept current with each layer's version."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[TileKey, DrawnTile] = OrderedDict()
        self._bytes = 0
        self._versions: dict[str, int] = {}
        self._lock = threading.Lock()

    def get(self, key: TileKey, version: int) -> DrawnTile | None:
        """The tile drawn at `version`, if kept (call `advance` first when versions move)."""
        with self._lock:
            found = self._tiles.get(key)
            if found is None or found.version != version:
                return None
            self._tiles.move_to_end(key)
            return found

    def put(self, key: TileKey, drawn: DrawnTile) -> None:
        """Keep a tile, if it was drawn at the version the cache knows for its layer."""
        if drawn.version is None:
            return
        with self._lock:
            if self._versions.get(key.layer, drawn.version) != drawn.version:
                return
            self._versions[key.layer] = drawn.version
            old = self._tiles.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._tiles[key] = drawn
            self._bytes += drawn.size
            while self._bytes > self.max_bytes and self._tiles:
                _, dropped = self._tiles.popitem(last=False)
                self._bytes -= dropped.size

    def known_version(self, layer: str) -> int | None:
        """The version the cache's tiles of `layer` are at."""
        return self._versions.get(layer)

    def advance(self, layer: str, version: int, written_since: WrittenSince) -> int:
        """Bring `layer`'s tiles to `version`; returns how many tiles were forgotten."""
        with self._lock:
            known = self._versions.get(layer)
            if known is None or known == version:
                self._versions.setdefault(layer, version)
                return 0
        written = written_since(layer, known) if version > known else None
        with self._lock:
            if self._versions.get(layer) != known:  # another reader advanced it meanwhile
                return 0
            stale = [
                key
                for key, drawn in self._tiles.items()
                if key.layer == layer and (written is None or _touched(drawn, *written))
            ]
            for key in stale:
                self._bytes -= self._tiles.pop(key).size
            for key, drawn in self._tiles.items():
                if key.layer == layer:
                    self._tiles[key] = replace(drawn, version=version)
            self._versions[layer] = version
            return len(stale)

    def __len__(self) -> int:
        return len(self._tiles)


def _touched(drawn: DrawnTile, ids: np.ndarray, boxes: np.ndarray) -> bool:
    """True when a write changed a feature the tile held or one that now lies in its reach."""
    if len(ids) == 0:
        return False
    if np.isin(ids, drawn.ids).any():
        return True
    a, b, c, d = drawn.reach
    shaped = ~np.isnan(boxes).any(axis=1)
    boxes = boxes[shaped]
    return bool(
        ((boxes[:, 0] <= c) & (boxes[:, 2] >= a) & (boxes[:, 1] <= d) & (boxes[:, 3] >= b)).any()
    )
