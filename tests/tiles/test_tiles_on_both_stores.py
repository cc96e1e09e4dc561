"""The same tiles from SpatiaLite (shapely + mapbox-vector-tile) and PostGIS (ST_AsMVT).

Both stores hold the same small sample city; every tile over it at several zooms of both
tile matrix sets must hold the same features of every layer. The cache tests write to
the PostGIS store of this module, so they do not share the session's sample stores.
"""

from __future__ import annotations

from collections.abc import Iterator

import mapbox_vector_tile
import pytest
from shapely.geometry import shape
from sqlalchemy import Engine, text

from tests.stores import STORES, sample_store
from tiles.cache import TileCache
from tiles.matrix import TileAddress, tiles_over
from tiles.rules import tile_layers
from tiles.service import TileService
from twin.catalog import layer_stats
from twin.layers import LAYERS, Level
from twin.settings import StoreSettings
from twin.store import open_store

SECRET = b"test-secret"


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> Iterator[dict[str, Engine]]:
    with (
        sample_store("spatialite", tmp_path_factory.mktemp("lite")) as lite,
        sample_store("postgis", tmp_path_factory.mktemp("pg")) as pg,
    ):
        yield {"spatialite": lite, "postgis": pg}


def features(data: bytes) -> dict[str, list[object]]:
    """Per layer, the sorted feature ids (or codes, for layers keyed by code)."""
    decoded = mapbox_vector_tile.decode(data)
    return {
        name: sorted(f["id"] if f.get("id") else f["properties"]["code"] for f in layer["features"])
        for name, layer in decoded.items()
    }


def sample_tiles(engine: Engine, tms: str, zoom: int, count: int) -> list[TileAddress]:
    box = layer_stats(engine, LAYERS["buildings"]).bbox
    assert box is not None
    over = tiles_over(tms, zoom, box)
    step = max(1, len(over) // count)
    return over[::step][:count]


@pytest.mark.postgis
@pytest.mark.parametrize("tms", ["WebMercatorQuad", "CGCS2000Quad"])
@pytest.mark.parametrize("zoom", [11, 12, 14, 17])
def test_both_stores_put_the_same_features_in_each_tile(stores, tms, zoom):
    lite, pg = TileService(stores["spatialite"]), TileService(stores["postgis"])
    seen = 0
    for tile in sample_tiles(stores["postgis"], tms, zoom, 6):
        from_lite = lite.twin_tile(tile, clearance=Level.sensitive)
        from_pg = pg.twin_tile(tile, clearance=Level.sensitive)
        assert features(from_lite.data) == features(from_pg.data), tile
        seen += sum(len(ids) for ids in features(from_pg.data).values())
    assert seen > 0


@pytest.mark.postgis
def test_properties_agree_and_follow_the_zoom(stores):
    [tile] = tiles_over("WebMercatorQuad", 16, (113.94, 22.54, 113.94, 22.54))
    tiles = {
        kind: mapbox_vector_tile.decode(
            TileService(engine).layer_tile(LAYERS["buildings"], tile, clearance=Level.public).data
        )
        for kind, engine in stores.items()
    }
    assert tiles["spatialite"] and tiles["postgis"]
    by_id = {
        kind: {f["id"]: f["properties"] for f in t["buildings"]["features"]}
        for kind, t in tiles.items()
    }
    assert by_id["spatialite"] == by_id["postgis"]
    # Same drawing too: each feature's box in tile units within a unit or two.
    shapes = {
        kind: {f["id"]: shape(f["geometry"]).bounds for f in t["buildings"]["features"]}
        for kind, t in tiles.items()
    }
    for fid, box in shapes["postgis"].items():
        assert shapes["spatialite"][fid] == pytest.approx(box, abs=2), fid
    assert all("code" in p and "height" in p for p in by_id["postgis"].values())
    [low] = tiles_over("WebMercatorQuad", 12, (113.94, 22.54, 113.94, 22.54))
    at_12 = mapbox_vector_tile.decode(
        TileService(stores["postgis"])
        .layer_tile(LAYERS["buildings"], low, clearance=Level.public)
        .data
    )
    assert all(not f["properties"] for f in at_12["buildings"]["features"])


@pytest.mark.parametrize("kind", ["spatialite", "postgis"])
def test_people_only_in_tiles_for_the_sensitive_scope(stores, kind):
    service = TileService(stores[kind])
    assert "people" not in {layer.name for layer in tile_layers(Level.public)}
    [tile] = tiles_over("WebMercatorQuad", 17, (113.94, 22.54, 113.94, 22.54))
    for t in sample_tiles(stores[kind], "WebMercatorQuad", 17, 40):
        if "people" in features(service.twin_tile(t, clearance=Level.sensitive).data):
            tile = t
            break
    else:
        pytest.fail("no tile with people in the sample")
    assert "people" not in features(service.twin_tile(tile, clearance=Level.public).data)
    hidden = service.layer_tile(LAYERS["people"], tile, clearance=Level.public)
    assert hidden.data == b""


@pytest.mark.parametrize("kind", STORES)
def test_a_write_forgets_exactly_the_tiles_it_touches(stores, kind):
    """Both stores keep tiles per layer version; a write from another connection of the
    server's own engine, or behind its back from another engine (as `twin import` runs),
    redraws only the tiles that held the building or meet its box."""
    engine = stores[kind]
    service = TileService(engine, TileCache(), keeper=None)
    buildings = LAYERS["buildings"]
    tiles = sample_tiles(engine, "WebMercatorQuad", 16, 30)
    drawn = {t: service.layer_tile(buildings, t, clearance=Level.public) for t in tiles}
    assert all(service.layer_tile(buildings, t, clearance=Level.public).cached for t in tiles)
    targets = [t for t, tile in drawn.items() if tile.data]
    elsewhere = open_store(StoreSettings(database_url=engine.url.render_as_string(False)))
    try:
        for target, writer in zip(targets, (engine, elsewhere), strict=False):
            moved = features(drawn[target].data)["buildings"][0]
            with writer.begin() as conn:
                conn.execute(text("UPDATE building SET height = height + 1 WHERE id = :id"),
                             {"id": moved})
            again = {t: service.layer_tile(buildings, t, clearance=Level.public) for t in tiles}
            redrawn = {t for t, tile in again.items() if not tile.cached}
            assert target in redrawn
            # Only tiles that held the building or meet its box were drawn again.
            assert 0 < len(redrawn) <= 4, redrawn
            assert all(again[t].etag == drawn[t].etag for t in tiles if t not in redrawn)
            assert again[target].etag != drawn[target].etag
            drawn = again
    finally:
        elsewhere.dispose()
    assert len(targets) >= 2


@pytest.mark.postgis
def test_kept_boxes_give_the_same_tiles(stores):
    from twin.boxes import BoxKeeper, read_boxes

    engine = stores["postgis"]
    keeper = BoxKeeper(engine, min_rows=0)
    keeper._kept["building"] = read_boxes(engine, "building")  # as the keeper's build leaves it
    with_boxes = TileService(engine, TileCache(), keeper=keeper)
    plain = TileService(engine, TileCache(), keeper=None)
    for tile in sample_tiles(engine, "WebMercatorQuad", 14, 8):
        assert features(
            with_boxes.layer_tile(LAYERS["buildings"], tile, clearance=Level.public).data
        ) == features(plain.layer_tile(LAYERS["buildings"], tile, clearance=Level.public).data)
