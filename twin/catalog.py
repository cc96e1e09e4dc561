"""What the store holds: feature counts and extents per layer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select, text

from twin.layers import LAYERS, Layer
from twin.store import is_postgis

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class LayerStats:
    """How many features a layer has and the box around them (CGCS2000 lon/lat)."""

    count: int
    bbox: BBox | None


def _extent(engine: Engine, layer: Layer) -> BBox | None:
    table = layer.table.name
    if is_postgis(engine):
        sql = text(
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "  # noqa: S608 - name from registry
            f"FROM (SELECT ST_Extent(geom) AS e FROM {table}) s"
        )
    else:
        # SpatiaLite keeps every box in the R*Tree beside the table: read it, not the rows.
        sql = text(
            f"SELECT min(xmin), min(ymin), max(xmax), max(ymax) FROM idx_{table}_geom"  # noqa: S608
        )
    with engine.connect() as conn:
        row = conn.execute(sql).one()
    return None if row[0] is None else (row[0], row[1], row[2], row[3])


def layer_stats(engine: Engine, layer: Layer) -> LayerStats:
    """Count and extent of one layer."""
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(layer.table)).scalar_one()
    return LayerStats(count=count, bbox=_extent(engine, layer) if count else None)


def all_stats(engine: Engine) -> dict[str, LayerStats]:
    """Stats of every layer, by layer name."""
    return {name: layer_stats(engine, layer) for name, layer in LAYERS.items()}
