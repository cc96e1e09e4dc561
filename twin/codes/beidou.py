"""BeiDou grid location codes (北斗网格位置码, GB/T 39409-2020): 2D levels 1–10 and 3D.

Level 1 is the 1:1 000 000 map sheet (6° × 4°): hemisphere letter, 2-digit longitude zone
(1–60 from 180°W) and latitude band letter (A = 0–4°). Each later level cuts its parent:

    level  cell              columns × rows  characters
    2      30′ × 30′         12 × 8          2 (hex column, hex row)
    3      15′ × 10′          2 × 3          1 (row · 2 + column)
    4      1′ × 1′           15 × 10         2
    5      4″ × 4″           15 × 15         2
    6      2″ × 2″            2 × 2          1 (row · 2 + column)
    7–10   1/4″ … 1/2048″     8 × 8          2 each

From level 2 on every hemisphere is coded as its mirror image in the north-east: columns
count away from the prime meridian and rows away from the equator, so a cell's code only
depends on |lon|, |lat| and the level-1 sheet. Arithmetic is exact: positions are counted
in units of 1/2048″ (the level-10 cell), where every cell edge is an integer.

The 3D code (32 characters at level 10) puts the hemisphere, then the height sign, then
for each level the 2D fragment followed by that level's bits of the 31-bit height index
n = ⌊(θ0/θ) · log_{1+θ0}((H + r0)/r0)⌋ with θ0 = 1° (in radians inside the log),
θ = 1/2048″, r0 = 6 378 137 m — 6, 3, 1, 4, 4, 1, 3, 3, 3, 3 bits, written in base
10, 8, 2, 16, 16, 2, 8, 8, 8, 8.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from twin.errors import InvalidInput

UNITS_PER_DEGREE = 3600 * 2048  # positions are counted in 1/2048″
MAX_LEVEL = 10
POLAR_LIMIT = 88.0  # GB/T 39409 codes the polar caps separately (§5.3); not supported here

# Per level: (cell width, cell height) in units, (columns, rows), characters.
_DEG = UNITS_PER_DEGREE
_MIN = UNITS_PER_DEGREE // 60
_SEC = UNITS_PER_DEGREE // 3600
CELL_UNITS: dict[int, tuple[int, int]] = {
    1: (6 * _DEG, 4 * _DEG),
    2: (30 * _MIN, 30 * _MIN),
    3: (15 * _MIN, 10 * _MIN),
    4: (_MIN, _MIN),
    5: (4 * _SEC, 4 * _SEC),
    6: (2 * _SEC, 2 * _SEC),
    7: (_SEC // 4, _SEC // 4),
    8: (_SEC // 32, _SEC // 32),
    9: (_SEC // 256, _SEC // 256),
    10: (1, 1),
}
GRID_COUNTS: dict[int, tuple[int, int]] = {
    2: (12, 8), 3: (2, 3), 4: (15, 10), 5: (15, 15), 6: (2, 2),
    7: (8, 8), 8: (8, 8), 9: (8, 8), 10: (8, 8),
}
FRAGMENT_LENGTH = {1: 3, 2: 2, 3: 1, 4: 2, 5: 2, 6: 1, 7: 2, 8: 2, 9: 2, 10: 2}
# Length of a 2D code at each level (hemisphere letter included).
CODE_LENGTH_2D = {
    level: 1 + sum(FRAGMENT_LENGTH[i] for i in range(1, level + 1)) for level in range(1, 11)
}
LEVEL_OF_LENGTH_2D = {length: level for level, length in CODE_LENGTH_2D.items()}

# 3D: height bits per level and the base they are written in.
HEIGHT_BITS = {1: 6, 2: 3, 3: 1, 4: 4, 5: 4, 6: 1, 7: 3, 8: 3, 9: 3, 10: 3}
HEIGHT_BASE = {1: 10, 2: 8, 3: 2, 4: 16, 5: 16, 6: 2, 7: 8, 8: 8, 9: 8, 10: 8}
HEIGHT_CHARS = {level: 2 if level == 1 else 1 for level in range(1, 11)}
CODE_LENGTH_3D = {
    level: 2 + sum(FRAGMENT_LENGTH[i] + HEIGHT_CHARS[i] for i in range(1, level + 1))
    for level in range(1, 11)
}
LEVEL_OF_LENGTH_3D = {length: level for level, length in CODE_LENGTH_3D.items()}
EARTH_RADIUS = 6_378_137.0
THETA0_RAD = math.pi / 180  # θ0 = 1°
HEIGHT_STEPS_PER_THETA0 = UNITS_PER_DEGREE  # θ0 / θ = 1° / (1/2048″)
HEIGHT_INDEX_BITS = 31

_HEX = "0123456789ABCDEF"


@dataclass(frozen=True)
class BeidouCell:
    """A decoded grid cell: its code, level and bounds (degrees; metres for 3D heights)."""

    code: str
    level: int
    west: float
    south: float
    east: float
    north: float
    bottom: float | None = None
    top: float | None = None

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees."""
        return (self.west, self.south, self.east, self.north)

    @property
    def center(self) -> tuple[float, float]:
        """(lon, lat) of the cell's centre."""
        return ((self.west + self.east) / 2, (self.south + self.north) / 2)

    def contains(self, lon: float, lat: float) -> bool:
        """True when the point lies in the closed cell."""
        return self.west <= lon <= self.east and self.south <= lat <= self.north


def _bad(message: str, value: object, field: str = "code") -> InvalidInput:
    return InvalidInput(message, field=field, value=value)


def _check_level(level: int) -> None:
    if not isinstance(level, int | np.integer) or not 1 <= level <= MAX_LEVEL:
        raise _bad(f"BeiDou grid level must be 1–10, got {level!r}", level, "level")


def _to_units(values: np.ndarray) -> np.ndarray:
    """|degrees| → whole 1/2048″ units, snapping values a rounding error below an edge."""
    scaled = np.abs(values) * UNITS_PER_DEGREE
    nearest = np.rint(scaled)
    snapped = np.where(np.abs(scaled - nearest) < 1e-6, nearest, np.floor(scaled))
    return snapped.astype(np.int64)


def _check_position(lon: np.ndarray, lat: np.ndarray) -> None:
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    bad |= (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _bad(
            f"longitude must be −180…180 and latitude −90…90, got ({lon[i]}, {lat[i]})",
            (float(lon[i]), float(lat[i])), "position",
        )
    polar = np.abs(lat) >= POLAR_LIMIT
    if polar.any():
        i = int(np.flatnonzero(polar)[0])
        raise _bad(
            f"latitude {lat[i]} lies in a polar cap (|lat| ≥ 88°), which GB/T 39409 codes "
            "separately; not supported", float(lat[i]), "position",
        )


def encode_many(lon: object, lat: object, level: int = MAX_LEVEL) -> np.ndarray:
    """2D codes of many points at once (numpy arrays of CGCS2000 lon/lat) → array of str."""
    _check_level(level)
    lon_a = np.atleast_1d(np.asarray(lon, dtype=float))
    lat_a = np.atleast_1d(np.asarray(lat, dtype=float))
    _check_position(lon_a, lat_a)
    x = _to_units(lon_a)
    x = np.minimum(x, 180 * UNITS_PER_DEGREE - 1)  # 180° belongs to the last zone
    y = _to_units(lat_a)
    n = len(x)
    out = np.zeros((n, CODE_LENGTH_2D[level]), dtype=np.uint8)
    out[:, 0] = np.where(lat_a >= 0, ord("N"), ord("S"))
    sheet_w, sheet_h = CELL_UNITS[1]
    col = x // sheet_w
    zone = np.where(lon_a >= 0, 31 + col, 30 - col)
    out[:, 1] = ord("0") + zone // 10
    out[:, 2] = ord("0") + zone % 10
    out[:, 3] = ord("A") + y // sheet_h
    hex_codes = np.frombuffer(_HEX.encode(), dtype=np.uint8)
    pos = 4
    for lev in range(2, level + 1):
        w, h = CELL_UNITS[lev]
        cols, rows = GRID_COUNTS[lev]
        ci = (x // w) % cols
        ri = (y // h) % rows
        if lev in (3, 6):
            out[:, pos] = ord("0") + ri * 2 + ci
        else:
            out[:, pos] = hex_codes[ci]
            out[:, pos + 1] = hex_codes[ri]
        pos += FRAGMENT_LENGTH[lev]
    return out.view(f"S{out.shape[1]}").ravel().astype(str)


def encode(lon: float, lat: float, level: int = MAX_LEVEL) -> str:
    """The 2D BeiDou grid location code of a CGCS2000 point at `level` (1–10)."""
    return str(encode_many([lon], [lat], level)[0])


def _fragment_indices(code: str, level: int, pos: int) -> tuple[int, int]:
    """(column, row) of `level` read at `pos`, or InvalidInput naming the level."""
    frag = code[pos : pos + FRAGMENT_LENGTH[level]]
    cols, rows = GRID_COUNTS[level]
    if level in (3, 6):
        if not frag.isdigit() or int(frag) >= cols * rows:
            raise _bad(f"level-{level} character {frag!r} of {code!r} must be 0–"
                       f"{cols * rows - 1}", code)
        return int(frag) % 2, int(frag) // 2
    try:
        ci, ri = _HEX.index(frag[0]), _HEX.index(frag[1])
    except ValueError:
        ci = ri = 99
    if ci >= cols or ri >= rows:
        raise _bad(
            f"level-{level} characters {frag!r} of {code!r} must be a column 0–"
            f"{_HEX[cols - 1]} and a row 0–{_HEX[rows - 1]}", code,
        )
    return ci, ri


def _decode_plane(code: str, level: int, *, step: int = 0) -> tuple[int, int, int, bool, bool]:
    """Corner units (x, y) nearest the origin, the level, and the hemisphere signs.

    `step` is the number of height characters that follow each fragment (0 for 2D).
    """
    if code[0] not in "NS":
        raise _bad(f"a BeiDou code starts with N or S, got {code[0]!r} in {code!r}", code)
    north = code[0] == "N"
    pos = 1 if step == 0 else 2
    sheet = code[pos : pos + 3]
    if not (sheet[:2].isdigit() and 1 <= int(sheet[:2]) <= 60 and "A" <= sheet[2] <= "V"):
        raise _bad(
            f"level-1 sheet {sheet!r} of {code!r} must be a zone 01–60 and a band A–V", code
        )
    zone, band = int(sheet[:2]), ord(sheet[2]) - ord("A")
    east = zone >= 31
    col = zone - 31 if east else 30 - zone
    x, y = col * CELL_UNITS[1][0], band * CELL_UNITS[1][1]
    pos += 3 + (HEIGHT_CHARS[1] if step else 0)
    for lev in range(2, level + 1):
        ci, ri = _fragment_indices(code, lev, pos)
        x += ci * CELL_UNITS[lev][0]
        y += ri * CELL_UNITS[lev][1]
        pos += FRAGMENT_LENGTH[lev] + (HEIGHT_CHARS[lev] if step else 0)
    return x, y, level, east, north


def _bounds(x: int, y: int, level: int, east: bool, north: bool
            ) -> tuple[float, float, float, float]:
    w, h = CELL_UNITS[level]
    lo_x, hi_x = x / UNITS_PER_DEGREE, (x + w) / UNITS_PER_DEGREE
    lo_y, hi_y = y / UNITS_PER_DEGREE, (y + h) / UNITS_PER_DEGREE
    west, east_ = (lo_x, hi_x) if east else (-hi_x, -lo_x)
    south, north_ = (lo_y, hi_y) if north else (-hi_y, -lo_y)
    return west, south, east_, north_


def level_of(code: str) -> int:
    """The level of a 2D code from its length, or InvalidInput."""
    try:
        return LEVEL_OF_LENGTH_2D[len(code)]
    except KeyError:
        raise _bad(
            f"a 2D BeiDou code has {sorted(LEVEL_OF_LENGTH_2D)} characters, got {len(code)} "
            f"in {code!r}", code,
        ) from None


def decode(code: str) -> BeidouCell:
    """The cell a 2D code names (any level), or InvalidInput saying which part is wrong."""
    code = code.strip().upper()
    level = level_of(code)
    x, y, level, east, north = _decode_plane(code, level)
    return BeidouCell(code, level, *_bounds(x, y, level, east, north))


def parent(code: str, level: int) -> str:
    """The code of the enclosing cell at a coarser `level`."""
    _check_level(level)
    if level > level_of(code):
        raise _bad(f"{code!r} is level {level_of(code)}; no parent at level {level}", code)
    return code[: CODE_LENGTH_2D[level]]


# 3D -------------------------------------------------------------------------------------


def height_index(height: float) -> int:
    """The signed height index n of GB/T 39409 §6 for a height in metres."""
    if not math.isfinite(height) or height <= -EARTH_RADIUS:
        raise _bad(f"height must be a finite number above −r0, got {height!r}", height, "height")
    n = math.floor(
        HEIGHT_STEPS_PER_THETA0
        * math.log((height + EARTH_RADIUS) / EARTH_RADIUS)
        / math.log(1 + THETA0_RAD)
    )
    if abs(n) >= 2**HEIGHT_INDEX_BITS:
        raise _bad(f"height {height} m is beyond the 31-bit height index", height, "height")
    return n


def height_of_index(n: float) -> float:
    """The height (metres) where height index `n` begins."""
    return EARTH_RADIUS * (1 + THETA0_RAD) ** (n / HEIGHT_STEPS_PER_THETA0) - EARTH_RADIUS


def _to_base(value: int, base: int, width: int) -> str:
    digits = ""
    for _ in range(width):
        digits = _HEX[value % base] + digits
        value //= base
    return digits


def encode_3d(lon: float, lat: float, height: float, level: int = MAX_LEVEL) -> str:
    """The 3D BeiDou grid location code (32 characters at level 10) of a point and height."""
    return with_height(encode(lon, lat, level), height)


def with_height(plane: str, height: float) -> str:
    """The 3D code of a 2D code's cell at `height` metres: one 2D code serves every floor
    above the same point, so a building's floors cost one plane encoding."""
    level = level_of(plane)
    n = height_index(height)
    sign, magnitude = ("1", -n) if n < 0 else ("0", n)
    out = [plane[0], sign]
    pos, shift = 1, HEIGHT_INDEX_BITS
    for lev in range(1, level + 1):
        out.append(plane[pos : pos + FRAGMENT_LENGTH[lev]])
        pos += FRAGMENT_LENGTH[lev]
        shift -= HEIGHT_BITS[lev]
        bits = (magnitude >> shift) & ((1 << HEIGHT_BITS[lev]) - 1)
        out.append(_to_base(bits, HEIGHT_BASE[lev], HEIGHT_CHARS[lev]))
    return "".join(out)


def decode_3d(code: str) -> BeidouCell:
    """The cell (bounds and height range) a 3D code names, at any level."""
    code = code.strip().upper()
    try:
        level = LEVEL_OF_LENGTH_3D[len(code)]
    except KeyError:
        raise _bad(
            f"a 3D BeiDou code has {sorted(LEVEL_OF_LENGTH_3D)} characters, got {len(code)} "
            f"in {code!r}", code,
        ) from None
    if code[1:2] not in ("0", "1"):
        raise _bad(f"the height sign of {code!r} must be 0 or 1, got {code[1:2]!r}", code)
    x, y, level, east, north = _decode_plane(code, level, step=1)
    magnitude, pos, used = 0, 2, 0
    for lev in range(1, level + 1):
        pos += FRAGMENT_LENGTH[lev]
        chars = code[pos : pos + HEIGHT_CHARS[lev]]
        try:
            bits = int(chars, HEIGHT_BASE[lev])
        except ValueError:
            bits = 1 << HEIGHT_BITS[lev]
        if bits >= 1 << HEIGHT_BITS[lev]:
            raise _bad(f"level-{lev} height characters {chars!r} of {code!r} are out of range",
                       code)
        magnitude = (magnitude << HEIGHT_BITS[lev]) | bits
        used += HEIGHT_BITS[lev]
        pos += HEIGHT_CHARS[lev]
    span = 1 << (HEIGHT_INDEX_BITS - used)
    low = magnitude * span  # the cell holds |n| in [low, low + span)
    if code[1] == "0":
        bottom, top = height_of_index(low), height_of_index(low + span)
    else:  # n = −|n|, and index n covers [H(n), H(n + 1))
        bottom, top = height_of_index(-(low + span) + 1), height_of_index(-low + 1)
    west, south, east_, north_ = _bounds(x, y, level, east, north)
    return BeidouCell(code, level, west, south, east_, north_, bottom=bottom, top=top)


def looks_like_3d(code: str) -> bool:
    """True when `code` has the length of a 3D code rather than a 2D one."""
    return len(code) in LEVEL_OF_LENGTH_3D and len(code) not in LEVEL_OF_LENGTH_2D
