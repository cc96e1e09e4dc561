"""The tile cache over HTTP on both stores: kept tiles answered, written ones redrawn."""

from __future__ import annotations

from collections.abc import Iterator

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api import create_app
from tiles.matrix import tiles_over
from twin.settings import StoreSettings
from twin.store import open_store

from ..conftest import settings_for
from ..stores import STORES, sample_store


@pytest.fixture(scope="module", params=STORES)
def writable_client(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[TestClient]:
    """The app over a private sample store of each kind: this module's write test edits it."""
    with sample_store(request.param, tmp_path_factory.mktemp(f"tiles-{request.param}")) as engine:
        with TestClient(create_app(settings_for(engine))) as client:
            yield client


def test_a_kept_tile_is_served_until_a_write_touches_it(writable_client):
    """Both stores keep each layer's drawn tile per layer version and answer from it
    without drawing (on PostGIS's lean path, the versions read on the event loop); a write
    redraws the tiles it touches, and a kept tile's tag answers 304."""
    client = writable_client
    building = client.get("/collections/buildings/items?limit=1").json()["features"][0]
    lon, lat = building["geometry"]["coordinates"][0][0][0]
    point = (lon + 0.00003, lat + 0.00003) * 2
    [tile] = tiles_over("WebMercatorQuad", 16, point)
    urls = [f"{base}/WebMercatorQuad/16/{tile.row}/{tile.col}"
            for base in ("/collections/buildings/tiles", "/tiles")]
    before = {}
    for url in urls:
        first, again = client.get(url), client.get(url)
        assert first.status_code == again.status_code == 200
        assert first.headers["x-tile-cache"] == "miss" and again.headers["x-tile-cache"] == "hit"
        assert (again.content, again.headers["etag"]) == (first.content, first.headers["etag"])
        unchanged = client.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert unchanged.status_code == 304 and unchanged.headers["x-tile-cache"] == "hit"
        before[url] = first.headers["etag"]
    code = building["properties"]["code"]
    floors = (building["properties"].get("floors") or 1) + 1
    patched = client.patch(f"/collections/buildings/items/{code}",
                           json={"properties": {"floors": floors}},
                           headers={"X-API-Key": "writer-key"})
    assert patched.status_code == 200, patched.text
    # The twin's tile first: it redraws the building layer's part, which the layer's own
    # tile then reuses (both are kept per layer and tile).
    for url, cache in ((urls[1], "miss"), (urls[0], "hit")):
        after = client.get(url)
        assert after.headers["x-tile-cache"] == cache and after.headers["etag"] != before[url]
        [drawn] = [f for f in mapbox_vector_tile.decode(after.content)["buildings"]["features"]
                   if f["properties"].get("code") == code]
        assert drawn["properties"]["floors"] == floors
        assert client.get(url).headers["x-tile-cache"] == "hit"
        stale = client.get(url, headers={"If-None-Match": before[url]})
        assert stale.status_code == 200 and stale.content == after.content
    # Behind the server's back (another engine, as `twin import` writes): the kept tile,
    # read on the event loop with its layer's version, is drawn again.
    elsewhere = open_store(StoreSettings(
        database_url=client.app.state.engine.url.render_as_string(False)))
    try:
        with elsewhere.begin() as conn:
            conn.execute(text("UPDATE building SET floors = :f WHERE code = :c"),
                         {"f": floors + 1, "c": code})
    finally:
        elsewhere.dispose()
    assert client.app.state.versions is not None  # both stores read versions on the loop
    moved = client.get(urls[0])
    assert moved.headers["x-tile-cache"] == "miss"
    [drawn] = [f for f in mapbox_vector_tile.decode(moved.content)["buildings"]["features"]
               if f["properties"].get("code") == code]
    assert drawn["properties"]["floors"] == floors + 1
    assert client.get(urls[0]).headers["x-tile-cache"] == "hit"
