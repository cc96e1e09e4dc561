"""The collections documents on both stores: exact counts and extents kept per change
version, ETags and 304s, links to queryables, and writes from anywhere seen at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, text

import twin.catalog
from api import create_app
from tests.conftest import settings_for
from tests.stores import STORES, ready_store
from twin.codes.check import mod11_2
from twin.models import Building

WRITER = {"X-API-Key": "writer-key"}
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"


def building_code(sequence: int) -> str:
    body = f"4403050012024{sequence:04d}00000"
    return body + mod11_2(body)


def square(x: float, y: float) -> list:
    d = 0.0002
    return [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]


def new_building(sequence: int, x: float, y: float) -> dict:
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": square(x, y)},
            "properties": {"code": building_code(sequence), "name": "测试楼", "floors": 6,
                           "height": 19.5, "use": "办公", "year_built": 2024,
                           "township_code": "440305002000"}}


@pytest.fixture(scope="module", params=STORES)
def store_client(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[TestClient]:
    """The app over a private store of each kind (divisions only): tests may write."""
    with ready_store(request.param, tmp_path_factory.mktemp(f"coll-{request.param}")) as engine:
        with TestClient(create_app(settings_for(engine))) as client:
            client.engine = engine  # type: ignore[attr-defined]
            yield client


def buildings(client: TestClient) -> dict:
    response = client.get("/collections/buildings")
    assert response.status_code == 200, response.text
    return response.json()


def true_count(client: TestClient) -> int:
    with client.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(text("SELECT count(*) FROM building")).scalar_one())


def test_an_unchanged_store_is_not_counted_again(store_client, monkeypatch):
    store_client.get("/collections")
    counted: list[str] = []
    real = twin.catalog.layer_stats

    def counting(engine, layer):
        counted.append(layer.name)
        return real(engine, layer)

    monkeypatch.setattr(twin.catalog, "layer_stats", counting)
    for _ in range(3):
        assert store_client.get("/collections").status_code == 200
        assert store_client.get("/collections/buildings").status_code == 200
    assert counted == []


def test_etag_and_304_until_the_layer_changes(store_client):
    first = store_client.get("/collections/buildings")
    etag = first.headers["etag"]
    assert etag.startswith('"')
    again = store_client.get("/collections/buildings", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    listing = store_client.get("/collections")
    assert store_client.get("/collections", headers={"If-None-Match": listing.headers["etag"]}
                            ).status_code == 304

    created = store_client.post("/collections/buildings/items",
                                json=new_building(101, 113.93, 22.52), headers=WRITER)
    assert created.status_code == 201, created.text
    changed = store_client.get("/collections/buildings", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.json()["numberOfFeatures"] == true_count(store_client)
    after = store_client.get("/collections", headers={"If-None-Match": listing.headers["etag"]})
    assert after.status_code == 200


def test_counts_and_extent_exact_after_writes_through_the_api(store_client):
    before = buildings(store_client)["numberOfFeatures"]
    for sequence, (x, y) in enumerate([(113.90, 22.50), (113.99, 22.58)], start=201):
        response = store_client.post("/collections/buildings/items",
                                     json=new_building(sequence, x, y), headers=WRITER)
        assert response.status_code == 201, response.text
    doc = buildings(store_client)
    assert doc["numberOfFeatures"] == before + 2 == true_count(store_client)
    xmin, ymin, xmax, ymax = doc["extent"]["spatial"]["bbox"][0]
    assert xmin <= 113.90 and ymin <= 22.50
    # The box holds every feature; SpatiaLite's R*Tree keeps its corners as 32-bit floats
    # rounded outwards, so it may be larger by a few metres, never smaller.
    top = (113.99 + 0.0002, 22.58 + 0.0002)
    assert top[0] <= xmax < top[0] + 1e-4 and top[1] <= ymax < top[1] + 1e-4
    listed = {c["id"]: c for c in store_client.get("/collections").json()["collections"]}
    assert listed["buildings"]["numberOfFeatures"] == doc["numberOfFeatures"]


def test_a_write_behind_the_servers_back_is_counted(store_client):
    """Another process (an import, psql) writes the table: the next document shows it."""
    before = buildings(store_client)
    engine = store_client.engine  # type: ignore[attr-defined]
    far = "MULTIPOLYGON(((114.2 22.9, 114.2002 22.9, 114.2002 22.9002, 114.2 22.9)))"
    geom = (text("ST_GeomFromText(:wkt, 4490)") if engine.dialect.name == "postgresql"
            else text("GeomFromText(:wkt, 4490)"))
    with engine.begin() as conn:
        conn.execute(insert(Building.__table__).values(
            code=building_code(301), name="后门楼", township_code="440305002000",
            geom=geom.bindparams(wkt=far)))
    after = buildings(store_client)
    assert after["numberOfFeatures"] == before["numberOfFeatures"] + 1
    xmax, ymax = after["extent"]["spatial"]["bbox"][0][2:]
    assert 114.2002 <= xmax < 114.2002 + 1e-4 and 22.9002 <= ymax < 22.9002 + 1e-4
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM building WHERE code = :c"), {"c": building_code(301)})
    assert buildings(store_client)["numberOfFeatures"] == before["numberOfFeatures"]


def test_every_collection_links_its_queryables_and_says_where_geometry_may_lack(store_client):
    body = store_client.get("/collections").json()
    for collection in body["collections"]:
        rels = {link["rel"]: link for link in collection["links"]}
        queryables = rels[QUERYABLES_REL]
        assert queryables["href"].endswith(f"/collections/{collection['id']}/queryables")
        assert store_client.get(queryables["href"]).status_code == 200
    listed = {c["id"]: c for c in body["collections"]}
    assert listed["admin_areas"]["geometryRequired"] is False  # divisions without boundaries
    assert "geometryRequired" not in listed["grids"]


def test_empty_layer_has_no_extent_and_a_zero_count(store_client):
    doc = store_client.get("/collections/city_objects").json()
    assert doc["numberOfFeatures"] == 0
    assert "extent" not in doc


def test_links_follow_the_proxy_and_are_kept_apart(store_client):
    proxied = store_client.get("/collections/roads",
                               headers={"X-Forwarded-Host": "twin.example.cn",
                                        "X-Forwarded-Proto": "https"}).json()
    plain = store_client.get("/collections/roads").json()
    assert proxied["links"][0]["href"] == "https://twin.example.cn/collections/roads"
    assert plain["links"][0]["href"].startswith("http://testserver/")
