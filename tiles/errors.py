"""Errors of the tiles package."""

from twin.errors import InvalidInput, NotFound


class TileError(InvalidInput):
    """A tile request that cannot be answered (zoom, row or column out of range)."""

    title = "Invalid tile"


class UnknownTileMatrixSet(NotFound):
    """No tile matrix set by that id."""

    title = "Unknown tile matrix set"
