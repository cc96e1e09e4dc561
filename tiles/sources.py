"""A tile's features from each store: their boxes, then the encoded layer.

PostGIS encodes a tile in one statement (`ST_AsMVTGeom` + `ST_AsMVT`) over the chosen
ids. SpatiaLite has no MVT encoder: the same ids are read as WKB and drawn with shapely
(transform, simplify, clip) and `mapbox-vector-tile`, with the same extent and buffer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import mapbox_vector_tile
import numpy as np
import shapely
from sqlalchemy import Column, Connection, bindparam, func, literal_column, select

from tiles.matrix import Bounds, from_lonlat
from tiles.rules import BUFFER, EXTENT, TILE_PIXELS
from twin.dialects import row_id, spatial_index
from twin.layers import Layer
from twin.models import STORAGE_SRID
from twin.store import Store

# SQLite binds at most 32,766 parameters; a tile's ids go in chunks below that.
ID_CHUNK = 10_000


@dataclass(frozen=True)
class TileDraw:
    """What of one layer a tile shows, and how it is drawn."""

    ids: np.ndarray  # the chosen features (`feature_key`)
    attributes: Sequence[str]  # the properties the tile carries
    bounds: Bounds  # the tile in its drawing CRS
    epsg: int  # the drawing CRS
    tolerance: float  # simplification, in the drawing CRS's units (0: none)
    # The ids are every feature whose box meets this (lon/lat) box, so a store may find
    # them by the box instead of by the ids.
    within: Bounds | None = None


class Drawing(Protocol):
    """How one store finds a tile's candidate features and encodes the chosen ones."""

    # The store's functions of a geometry's box: min x, min y, max x, max y.
    box_functions: tuple[str, str, str, str]

    def boxes(self, conn: Connection, layer: Layer, bbox: Bounds) -> tuple[np.ndarray, np.ndarray]:
        """Ids and (n, 4) lon/lat boxes of the features whose boxes meet `bbox`."""

    def encode(self, conn: Connection, layer: Layer, draw: TileDraw) -> bytes:
        """The MVT layer `layer.name` of the features `draw` names."""


def feature_key(layer: Layer) -> Column:
    """The column that names a feature in tiles: the integer id, else the layer's id column.

    An integer key is the MVT feature id; a text key (division codes) is a property.
    """
    columns = layer.table.c
    return columns.id if "id" in columns else columns[layer.id_column]


def box_columns(drawing: Drawing, geom: Any) -> list[Any]:
    """The box of `geom` as four columns, in the store's functions."""
    return [getattr(func, name)(geom) for name in drawing.box_functions]


def boxes_of(conn: Connection, layer: Layer, ids: Sequence[int]
             ) -> tuple[np.ndarray, np.ndarray]:
    """Ids and (n, 4) lon/lat boxes of the features `ids` now (gone ones left out)."""
    if not ids:
        return _as_arrays([])
    key = feature_key(layer)
    columns = box_columns(drawing_for(conn), layer.geometry_column)
    return _as_arrays(conn.execute(select(key, *columns).where(key.in_(ids))).all())


def _as_arrays(rows: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    if not rows:
        return np.empty(0, dtype=np.int64), np.empty((0, 4))
    keys = np.array([r[0] for r in rows])
    return keys, np.array([r[1:5] for r in rows], dtype=np.float64)


class PostgisDrawing:
    """PostGIS: boxes from the GiST index, the tile from ST_AsMVT in one statement."""

    box_functions = ("ST_XMin", "ST_YMin", "ST_XMax", "ST_YMax")

    def boxes(self, conn: Connection, layer: Layer, bbox: Bounds) -> tuple[np.ndarray, np.ndarray]:
        """Ids and boxes of the features meeting `bbox`."""
        g = layer.geometry_column
        envelope = func.ST_MakeEnvelope(*bbox, STORAGE_SRID)
        rows = conn.execute(
            select(feature_key(layer), *box_columns(self, g)).where(g.op("&&")(envelope))
        ).all()
        return _as_arrays(rows)

    def encode(self, conn: Connection, layer: Layer, draw: TileDraw) -> bytes:
        """One ST_AsMVT statement over the chosen ids."""
        t, key = layer.table, feature_key(layer)
        geom: Any = layer.geometry_column
        if draw.epsg != STORAGE_SRID:
            geom = func.ST_Transform(geom, bindparam("srid"))
        if draw.tolerance > 0:
            geom = func.ST_Simplify(geom, bindparam("tol"), True)
        envelope = func.ST_MakeEnvelope(*(bindparam(f"b{i}") for i in range(4)), bindparam("srid"))
        drawn = func.ST_AsMVTGeom(geom, envelope, EXTENT, BUFFER, True).label("geom")
        # All the features meeting the reach (no generalisation dropped any): the spatial
        # index finds them again faster than a long list of ids is sent and looked up.
        chosen = (
            layer.geometry_column.op("&&")(
                func.ST_MakeEnvelope(*(bindparam(f"r{i}") for i in range(4)), STORAGE_SRID))
            if draw.within is not None
            else key == func.any(bindparam("ids"))
        )
        features = (
            select(key, *(t.c[a] for a in draw.attributes if a != key.name), drawn)
            .where(chosen)
            .subquery("f")
        )
        mvt = (
            func.ST_AsMVT(literal_column("f"), layer.name, EXTENT, "geom", key.name)
            if key.name == "id"
            else func.ST_AsMVT(literal_column("f"), layer.name, EXTENT, "geom")
        )
        statement = select(mvt).select_from(features).where(features.c.geom.is_not(None))
        params = {
            "srid": draw.epsg,
            "tol": draw.tolerance,
            **{f"b{i}": v for i, v in enumerate(draw.bounds)},
        }
        if draw.within is None:
            params["ids"] = draw.ids.tolist()
        else:
            params.update({f"r{i}": v for i, v in enumerate(draw.within)})
        return bytes(conn.execute(statement, params).scalar() or b"")


class SpatialiteDrawing:
    """SpatiaLite: boxes from the R*Tree beside the table, the tile drawn in Python."""

    box_functions = ("MbrMinX", "MbrMinY", "MbrMaxX", "MbrMaxY")

    def boxes(self, conn: Connection, layer: Layer, bbox: Bounds) -> tuple[np.ndarray, np.ndarray]:
        """Ids and boxes of the features meeting `bbox`, read from `idx_<table>_geom`."""
        t, g, rtree = layer.table, layer.geometry_column, spatial_index(layer.table)
        minx, miny, maxx, maxy = bbox
        # The R*Tree's boxes are float32, rounded outward: it finds, the rows measure.
        rows = conn.execute(
            select(feature_key(layer), *box_columns(self, g))
            .select_from(rtree.join(t, row_id(t) == rtree.c.pkid))
            .where(rtree.c.xmin <= maxx, rtree.c.xmax >= minx, rtree.c.ymin <= maxy,
                   rtree.c.ymax >= miny)
        ).all()
        return _as_arrays(rows)

    def encode(self, conn: Connection, layer: Layer, draw: TileDraw) -> bytes:
        """Read the features, transform, simplify, clip and encode them."""
        t, key = layer.table, feature_key(layer)
        columns = [
            key.label("key_"),
            *(t.c[a] for a in draw.attributes if a != key.name),
            func.ST_AsBinary(layer.geometry_column).label("wkb"),
        ]
        rows: list[Any] = []
        for start in range(0, len(draw.ids), ID_CHUNK):
            chunk = draw.ids[start : start + ID_CHUNK].tolist()
            rows += conn.execute(select(*columns).where(key.in_(chunk))).all()
        if not rows:
            return b""
        shapes = shapely.from_wkb([bytes(r.wkb) for r in rows])
        if draw.epsg != STORAGE_SRID:
            shapes = shapely.transform(shapes, _projector(draw.epsg), interleaved=False)
        if draw.tolerance > 0:
            shapes = shapely.simplify(
                shapes, draw.tolerance, preserve_topology=True
            )  # keeps what ST_Simplify(..., true) keeps
        # As ST_AsMVTGeom does: into tile units, clipped to the buffer, snapped to the
        # unit grid; what collapses there (a sliver at the edge) is not drawn.
        minx, miny, maxx, maxy = draw.bounds
        scale_x, scale_y = EXTENT / (maxx - minx), EXTENT / (maxy - miny)
        shapes = shapely.transform(shapes, lambda xy: (xy - (minx, miny)) * (scale_x, scale_y))
        shapes = shapely.clip_by_rect(shapes, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
        shapes = shapely.set_precision(shapes, 1.0)
        features = []
        for row, shape in zip(rows, shapes, strict=True):
            if shape is None or shape.is_empty:
                continue
            props = {a: _mvt_value(getattr(row, a)) for a in draw.attributes if a != key.name}
            feature: dict[str, Any] = {"geometry": shape}
            if key.name == "id":
                feature["id"] = int(row.key_)
            else:
                props[key.name] = row.key_
            feature["properties"] = {k: v for k, v in props.items() if v is not None}
            features.append(feature)
        if not features:
            return b""
        return bytes(
            mapbox_vector_tile.encode(
                [{"name": layer.name, "features": features}],
                default_options={"extents": EXTENT},
            )
        )


def _mvt_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _projector(epsg: int):  # noqa: ANN202 - shapely's transform callback
    transformer = from_lonlat(epsg)

    def project(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return transformer.transform(x, y)

    return project


def drawing_for(conn: Connection) -> Drawing:
    """The drawing strategy of the store behind `conn`: the store's own MVT encoder where
    its dialect has one (`twin.dialects`), else shapely and `mapbox-vector-tile`."""
    encodes = Store.of(conn.engine).dialect.encodes_tiles
    return PostgisDrawing() if encodes else SpatialiteDrawing()


def simplify_tolerance(bounds: Bounds, pixels: float) -> float:
    """A tolerance of `pixels` screen pixels in the drawing CRS's units (the finer axis)."""
    return min(bounds[2] - bounds[0], bounds[3] - bounds[1]) / TILE_PIXELS * pixels
