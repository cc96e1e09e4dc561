"""GeoJSON bytes for rows: geometry text from the store (or shapely), properties by orjson."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import orjson
import shapely

from twin.crs import CrsRef, from_storage

Props = dict[str, Any]
NULL = b"null"
# Naive times come from SQLite's CURRENT_TIMESTAMP, which is UTC.
TIME_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z


def geometry_texts(rows: list[Any], crs: CrsRef, from_store_geojson: bool) -> list[bytes]:
    """Each row's geometry as GeoJSON bytes in `crs` and its axis order."""
    if from_store_geojson:
        return [r.geometry.encode() if r.geometry is not None else NULL for r in rows]
    wkb = np.array([bytes(r.geometry) if r.geometry is not None else None for r in rows],
                   dtype=object)
    geoms = from_storage(shapely.from_wkb(wkb), crs)
    # Same precision as the store-built GeoJSON: ~0.1 mm in degrees, 1 mm in metres.
    digits = 9 if crs.is_geographic else 3
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, digits))
    texts = shapely.to_geojson(geoms)
    return [t.encode() if t is not None else NULL for t in texts]


def properties_of(row: Any, skip: frozenset[str]) -> Props:
    """The row's columns minus the internal ones."""
    return {k: v for k, v in row._mapping.items() if k not in skip}


def feature_bytes(feature_id: Any, geometry: bytes, properties: Props,
                  extra: Props | None = None) -> bytes:
    """One GeoJSON Feature."""
    parts = [b'{"type":"Feature","id":', orjson.dumps(feature_id), b',"geometry":', geometry,
             b',"properties":', orjson.dumps(properties, option=TIME_OPTIONS)]
    if extra:
        parts.append(b"," + orjson.dumps(extra)[1:-1])
    parts.append(b"}")
    return b"".join(parts)


def collection_bytes(features: Iterable[bytes], members: Props) -> bytes:
    """A FeatureCollection around pre-serialised features, with extra members (links …)."""
    head = b'{"type":"FeatureCollection","features":['
    body = b",".join(features)
    tail = orjson.dumps(members)[1:-1]
    return head + body + (b"]," + tail if tail else b"]") + b"}"


def rows_to_features(rows: list[Any], geometries: list[bytes], id_column: str,
                     skip: frozenset[str], mask: Callable[[Props], Props] | None) -> list[bytes]:
    """Feature bytes for a page of rows."""
    if not rows:
        return []
    fields = rows[0]._fields
    picks = [(i, name) for i, name in enumerate(fields) if name not in skip]
    id_at = fields.index(id_column)
    dumps, options = orjson.dumps, TIME_OPTIONS
    out = []
    for row, geometry in zip(rows, geometries, strict=True):
        props = {name: row[i] for i, name in picks}
        if mask is not None:
            props = mask(props)
        out.append(b'{"type":"Feature","id":' + dumps(row[id_at]) + b',"geometry":' + geometry
                   + b',"properties":' + dumps(props, option=options) + b"}")
    return out
