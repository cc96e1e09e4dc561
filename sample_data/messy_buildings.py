"""A messy building registry with known truth, for testing and benchmarking batch coding.

`messy_registry(engine, rows=…, seed=…)` reads the twin's buildings and townships and
writes rows the way a registry office would send them: the same buildings with shifted
footprints, full-width digits, missing admin prefixes, 幢 for 栋, bare points, address-only
rows; new buildings (some listed twice); footprints drawn over two buildings; an address
that contradicts the footprint; unreadable and self-crossing geometries, years that are
not years, addresses nobody knows. Each row's expected status (and code, for known
buildings) is returned alongside, so tests can score the coder.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, func, select

from twin import models

METRE_LAT = 1 / 111_320
METRE_LON = 1 / (111_320 * np.cos(np.radians(22.54)))

# kind → (expected status, share of rows)
KINDS: dict[str, tuple[str, float]] = {
    "existing_shifted": ("existing", 0.20),
    "existing_address": ("existing", 0.10),
    "existing_point": ("existing", 0.05),
    "new": ("new", 0.50),
    "new_duplicate": ("new", 0.05),
    "conflict_two_buildings": ("conflict", 0.02),
    "conflict_address": ("conflict", 0.02),
    "bad_geometry": ("unmatched", 0.02),
    "bad_year": ("unmatched", 0.02),
    "unknown_address": ("unmatched", 0.02),
}
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass
class MessyRegistry:
    """The file's rows and, per row, what a correct coder must say."""

    frame: pd.DataFrame
    kinds: list[str]
    expected_status: list[str]
    expected_code: list[str | None]  # the existing building's code, where known
    same_as: list[int | None]  # for duplicates: index of the row listing it first

    def write_csv(self, path: str) -> None:
        """Write the file as UTF-8 CSV."""
        self.frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def _existing(engine: Engine) -> tuple[list[str], np.ndarray, list[str | None]]:
    b, a = models.Building.__table__, models.Address.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            select(b.c.code, func.ST_AsBinary(b.c.geom), a.c.full_text)
            .select_from(b.outerjoin(a, a.c.code == b.c.address_code))
            .where(b.c.status == "active")
            .order_by(b.c.code)
        ).all()
    return (
        [r[0] for r in rows],
        np.asarray(shapely.from_wkb([bytes(r[1]) for r in rows]), dtype=object),
        [r[2] for r in rows],
    )


def _township_extent(engine: Engine) -> tuple[float, float, float, float]:
    area = models.AdminArea.__table__
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(func.ST_AsBinary(area.c.geom)).where(
                    area.c.level == "township", area.c.geom.is_not(None)
                )
            )
            .scalars()
            .all()
        )
    if not rows:
        raise ValueError("the store has no township boundaries; load the sample city first")
    x0, y0, x1, y1 = shapely.total_bounds(shapely.from_wkb([bytes(r) for r in rows]))
    return float(x0), float(y0), float(x1), float(y1)


def _messy_text(text: str, rng: random.Random) -> str:
    """The same address as a clerk might type it."""
    out = text
    choice = rng.random()
    if choice < 0.3:
        out = out.replace("广东省深圳市", "")
    elif choice < 0.5:
        out = out.replace("广东省", "")
    if rng.random() < 0.4:
        out = out.translate(FULL_WIDTH)
    if rng.random() < 0.3:
        out = out.replace("栋", rng.choice(["幢", "号楼"]))
    if rng.random() < 0.2:
        out = out.replace("号", "号 ")
    return unicodedata.normalize("NFC", out)


def _new_footprints(
    count: int,
    extent: tuple[float, float, float, float],
    existing: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """`count` 7 m squares on a 10 m lattice, clear of every existing footprint."""
    x0, y0, x1, y1 = extent
    nx = int((x1 - x0) / (10 * METRE_LON)) - 1
    ny = int((y1 - y0) / (10 * METRE_LAT)) - 1
    if count == 0:
        return np.empty(0, dtype=object)
    tree = shapely.STRtree(existing) if len(existing) else None
    picked: list[np.ndarray] = []
    need = count
    cells = rng.permutation(nx * ny)
    pos = 0
    while need > 0:
        if pos >= len(cells):
            raise ValueError(f"the city has room for fewer than {count} new buildings")
        take = cells[pos : pos + int(need * 1.1) + 10]
        pos += len(take)
        cx = x0 + (take % nx + 0.5) * 10 * METRE_LON
        cy = y0 + (take // nx + 0.5) * 10 * METRE_LAT
        boxes = shapely.box(cx, cy, cx + 7 * METRE_LON, cy + 7 * METRE_LAT)
        if tree is not None:
            hit = np.unique(
                tree.query(shapely.buffer(boxes, 2 * METRE_LAT), predicate="intersects")[0]
            )
            boxes = np.delete(boxes, hit)
        picked.append(boxes[:need])
        need -= len(picked[-1])
    return np.concatenate(picked)


def messy_registry(
    engine: Engine, rows: int = 200, seed: int = 7, shares: dict[str, float] | None = None,
    unknown_year: float = 0.1,
) -> MessyRegistry:
    """A messy registry of about `rows` rows against the store's buildings; a share
    `unknown_year` of new buildings comes without a year built."""
    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    codes, footprints, addresses = _existing(engine)
    if len(codes) < 4:
        raise ValueError("the store needs some buildings; load the sample city first")
    weights = {k: (shares or {}).get(k, share) for k, (_, share) in KINDS.items()}
    total = sum(weights.values())
    counts = {k: int(round(rows * w / total)) for k, w in weights.items()}
    counts["new"] = max(counts["new"], 1 if counts["new_duplicate"] else 0)
    fresh = _new_footprints(counts["new"], _township_extent(engine), footprints, nrng)
    with_address = [i for i, a in enumerate(addresses) if a]
    tree = shapely.STRtree(footprints)

    records: list[dict[str, str]] = []
    truth: list[tuple[str, str, str | None, int | None]] = []

    def add(
        kind: str,
        wkt: str = "",
        address: str = "",
        year: str = "",
        code: str | None = None,
        same: int | None = None,
        floors: str = "",
    ) -> None:
        records.append(
            {
                "序号": "",
                "名称": f"楼{len(records) + 1}",
                "address": address,
                "year_built": year,
                "floors": floors,
                "wkt": wkt,
            }
        )
        truth.append((kind, KINDS[kind][0], code, same))

    def shifted(i: int) -> object:
        dx, dy = rng.uniform(-0.6, 0.6) * METRE_LON, rng.uniform(-0.6, 0.6) * METRE_LAT
        return shapely.affinity.translate(footprints[i], dx, dy)

    for _ in range(counts["existing_shifted"]):
        i = rng.randrange(len(codes))
        known = addresses[i]
        addr = _messy_text(known, rng) if known and rng.random() < 0.5 else ""
        add(
            "existing_shifted",
            shapely.to_wkt(shifted(i), rounding_precision=8),
            addr,
            str(rng.randint(1985, 2022)),
            codes[i],
        )
    for _ in range(counts["existing_address"]):
        i = rng.choice(with_address)
        add("existing_address", "", _messy_text(addresses[i] or "", rng), "", codes[i])
    for _ in range(counts["existing_point"]):
        i = rng.randrange(len(codes))
        p = shapely.point_on_surface(footprints[i])
        add("existing_point", shapely.to_wkt(p, rounding_precision=9), "", "", codes[i])
    new_rows: list[int] = []
    fresh_wkt = shapely.to_wkt(fresh, rounding_precision=8) if len(fresh) else []
    for k, wkt in enumerate(fresh_wkt):
        new_rows.append(len(records))
        year = str(rng.randint(1990, 2024)) if rng.random() >= unknown_year else ""
        add("new", wkt, f"新建路{k + 1}号", year, floors=str(rng.randint(2, 30)))
    for _ in range(counts["new_duplicate"]):
        j = rng.choice(new_rows)
        g = shapely.from_wkt(records[j]["wkt"])
        g = shapely.affinity.translate(g, 0.3 * METRE_LON, -0.3 * METRE_LAT)
        add(
            "new_duplicate",
            shapely.to_wkt(g, rounding_precision=8),
            "",
            records[j]["year_built"],
            same=j,
        )
    pairs = _neighbour_pairs(footprints, tree)
    for _ in range(counts["conflict_two_buildings"]):
        i, j = pairs[rng.randrange(len(pairs))]
        hull = shapely.convex_hull(shapely.union(footprints[i], footprints[j]))
        add("conflict_two_buildings", shapely.to_wkt(hull, rounding_precision=8))
    for _ in range(counts["conflict_address"]):
        i = rng.randrange(len(codes))
        j = rng.choice([k for k in with_address if k != i])
        add(
            "conflict_address",
            shapely.to_wkt(footprints[i], rounding_precision=8),
            _messy_text(addresses[j] or "", rng),
        )
    for n in range(counts["bad_geometry"]):
        bad = [
            "POLYGON((113.9 22.5, 113.91 22.5",
            "POLYGON((113.90 22.50, 113.91 22.51, 113.91 22.50, 113.90 22.51, 113.90 22.50))",
            "LINESTRING(113.9 22.5, 114 22.6)",
        ]
        add("bad_geometry", bad[n % 3], f"坏几何路{n}号")
    for n in range(counts["bad_year"]):
        g = fresh[n % len(fresh)] if len(fresh) else footprints[0]
        add(
            "bad_year",
            shapely.to_wkt(shapely.affinity.translate(g, 0, 0), rounding_precision=8),
            "",
            rng.choice(["一九九八", "19980", "abc", "3021"]),
        )
    for n in range(counts["unknown_address"]):
        add("unknown_address", "", f"广东省深圳市南山区不存在路{n + 900}号{n}栋")

    order = list(range(len(records)))
    rng.shuffle(order)
    position = {old: new for new, old in enumerate(order)}
    frame = pd.DataFrame([records[i] for i in order])
    frame["序号"] = [str(k + 1) for k in range(len(frame))]
    kinds = [truth[i][0] for i in order]
    return MessyRegistry(
        frame=frame,
        kinds=kinds,
        expected_status=[truth[i][1] for i in order],
        expected_code=[truth[i][2] for i in order],
        same_as=[None if (twin := truth[i][3]) is None else position[twin] for i in order],
    )


def _neighbour_pairs(footprints: np.ndarray, tree: shapely.STRtree) -> list[tuple[int, int]]:
    """Pairs of distinct buildings within ~80 m of each other."""
    src, dst = tree.query(shapely.buffer(footprints, 80 * METRE_LAT), predicate="intersects")
    keep = src < dst
    pairs = list(zip(src[keep].tolist(), dst[keep].tolist(), strict=True))
    if not pairs:
        raise ValueError("no two buildings are close enough to draw a footprint over both")
    return pairs
