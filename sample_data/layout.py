"""Where things lie in the sample city: townships, communities, grids, roads and parcels.

The real 南山区 (440305) box is cut into its nine real 街道 (3 × 3, roughly where they are:
西丽 and 桃源 north, 蛇口 and 招商 south), each 街道 into its real 社区, each 社区 into four
management grids. Roads run east–west through a township; door plates sit on their north
side, each with a parcel of buildings behind it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from shapely.geometry import box

# lon/lat box of the sample city (CGCS2000), about 12 km × 13 km.
CITY_BOX = (113.88, 22.48, 114.00, 22.60)
COUNTY_CODE = "440305000000"
# Township (9-digit code) → (column, row) in the 3 × 3 layout, row 0 south.
TOWNSHIP_CELLS = {
    "440305009": (0, 2),
    "440305008": (1, 2),
    "440305003": (2, 2),  # 西丽 桃源 沙河
    "440305001": (0, 1),
    "440305002": (1, 1),
    "440305007": (2, 1),  # 南头 南山 粤海
    "440305400": (0, 0),
    "440305005": (1, 0),
    "440305006": (2, 0),  # 前海 蛇口 招商
}
M_LAT = 1 / 111_320  # degrees of latitude per metre
M_LON = 1 / (111_320 * math.cos(math.radians(22.54)))  # degrees of longitude per metre

Box = tuple[float, float, float, float]


def township_box(township9: str) -> Box:
    """The township's rectangle."""
    col, row = TOWNSHIP_CELLS[township9]
    x0, y0, x1, y1 = CITY_BOX
    w, h = (x1 - x0) / 3, (y1 - y0) / 3
    return (x0 + col * w, y0 + row * h, x0 + (col + 1) * w, y0 + (row + 1) * h)


def split(b: Box, n: int) -> list[Box]:
    """Cut a box into `n` cells row by row; the last cell of the last row takes the rest."""
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    x0, y0, x1, y1 = b
    w, h = (x1 - x0) / cols, (y1 - y0) / rows
    cells = []
    for i in range(n):
        c, r = i % cols, i // cols
        right = x1 if i == n - 1 else x0 + (c + 1) * w
        cells.append((x0 + c * w, y1 - (r + 1) * h, right, y1 - r * h))
    return cells


def cell_of(cells: list[Box], x: float, y: float) -> int:
    """Index of the cell holding the point (the nearest one on an edge)."""
    for i, (a, b, c, d) in enumerate(cells):
        if a <= x <= c and b <= y <= d:
            return i
    return min(
        range(len(cells)),
        key=lambda i: (
            abs((cells[i][0] + cells[i][2]) / 2 - x) + abs((cells[i][1] + cells[i][3]) / 2 - y)
        ),
    )


@dataclass(frozen=True)
class Parcel:
    """A door plate on a road and the plot of land behind it."""

    door: tuple[float, float]
    plot: Box


def road_line(tbox: Box, index: int, count: int) -> tuple[float, tuple[float, float]]:
    """Latitude and lon span of road `index` of `count` in a township."""
    x0, y0, x1, y1 = tbox
    y = y0 + (index + 0.5) * (y1 - y0) / count
    return y, (x0 + 20 * M_LON, x1 - 20 * M_LON)


def parcels(
    tbox: Box, road_y: float, road_count: int, doors: int, max_side_m: float
) -> list[Parcel]:
    """The door plates along one road and their plots (north of the road)."""
    x0, _, x1, y1 = tbox
    spacing = (x1 - x0) / doors
    depth = min((y1 - tbox[1]) / road_count - 30 * M_LAT, max_side_m * M_LAT)
    width = min(spacing - 10 * M_LON, max_side_m * M_LON)
    out = []
    for j in range(doors):
        cx = x0 + (j + 0.5) * spacing
        out.append(
            Parcel(
                door=(cx, road_y + 6 * M_LAT),
                plot=(
                    cx - width / 2,
                    road_y + 12 * M_LAT,
                    cx + width / 2,
                    road_y + 12 * M_LAT + depth,
                ),
            )
        )
    return out


def strip(b: Box, n: int) -> list[Box]:
    """Cut a box into `n` cells side by side, west to east."""
    x0, y0, x1, y1 = b
    w = (x1 - x0) / n
    return [(x0 + i * w, y0, x0 + (i + 1) * w, y1) for i in range(n)]


def footprints(plot: Box, count: int, jitter: list[float]) -> list[Box]:
    """`count` building footprints laid out in a grid inside a plot (at most 40 m × 25 m)."""
    x0, y0, x1, y1 = plot
    aspect = (x1 - x0) / M_LON / max((y1 - y0) / M_LAT, 1e-9)
    cols = max(1, math.ceil(math.sqrt(count * aspect)))
    rows = math.ceil(count / cols)
    cw, ch = (x1 - x0) / cols, (y1 - y0) / rows
    out = []
    for i in range(count):
        c, r = i % cols, i // cols
        w = min(cw * 0.7, 40 * M_LON) * (0.8 + 0.2 * jitter[i % len(jitter)])
        h = min(ch * 0.7, 25 * M_LAT) * (0.8 + 0.2 * jitter[(i + 1) % len(jitter)])
        cx, cy = x0 + (c + 0.5) * cw, y0 + (r + 0.5) * ch
        out.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    return out


def polygon(b: Box):  # noqa: ANN201 - shapely Polygon
    """A shapely rectangle."""
    return box(*b)
