import numpy as np
import shapely
from sqlalchemy import func, select

from twin import models
from twin.codes import beidou
from twin.placement import PlacementIndex, PolygonLayer


def stored_buildings(engine):
    b = models.Building.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(b.c.code, b.c.township_code, func.ST_AsBinary(b.c.geom))
                            .order_by(b.c.code)).all()
    return rows, np.asarray(shapely.from_wkb([bytes(r[2]) for r in rows]), dtype=object)


def test_buildings_are_placed_in_their_township_community_and_grid(city):
    index = PlacementIndex.from_store(city)
    assert len(index.townships.codes) == 9 and len(index.communities.codes) > 50
    rows, footprints = stored_buildings(city)
    placed = index.assign(footprints)
    assert list(placed.township_code) == [r[1] for r in rows]
    points = shapely.point_on_surface(footprints)
    communities = dict(zip(index.communities.codes, index.communities.polygons, strict=True))
    grids = dict(zip(index.grids.codes, index.grids.polygons, strict=True))
    for p, row in zip(points, placed.itertuples(), strict=True):
        assert row.community_code.startswith(row.township_code[:9])
        assert shapely.intersects(communities[row.community_code], p)
        assert row.grid_code.startswith(row.community_code)
        assert shapely.intersects(grids[row.grid_code], p)
        assert beidou.decode(row.beidou_code).contains(p.x, p.y)


def test_outside_and_missing_geometries_get_no_place(city):
    index = PlacementIndex.from_store(city)
    out = index.assign([shapely.Point(100.0, 30.0), None, shapely.Polygon()])
    assert out.township_code.isna().all() and out.community_code.isna().all()
    assert out.beidou_code.iat[0] is not None and out.beidou_code.iloc[1:].isna().all()


def test_a_point_on_a_shared_edge_goes_to_the_smaller_code():
    left = shapely.box(0, 0, 1, 1)
    right = shapely.box(1, 0, 2, 1)
    layer = PolygonLayer.of(["B", "A"], [left, right])
    edge = np.array([shapely.Point(1, 0.5), shapely.Point(0.5, 0.5)], dtype=object)
    assert list(layer.locate(edge)) == ["A", "B"]
    assert list(layer.locate(edge[::-1])) == ["B", "A"]
