"""OWSLib's OGC API - Features client reads the twin and writes to it (Part 4)."""

from __future__ import annotations

import json

import httpx
import pytest
from owslib import ogcapi as owslib_ogcapi
from owslib.ogcapi.features import Features
from sqlalchemy import func, select

from twin.codes.check import mod11_2
from twin.layers import LAYERS

from .servers import READ_ONLY_KEY, WRITE_KEY, TwinServer

pytestmark = pytest.mark.clients

BUILDINGS = LAYERS["buildings"].table
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


# OWSLib 0.35 keeps every instance's headers in one module-level dict (`headers=` updates
# it for all instances); keep a pristine copy and give each client its own.
PRISTINE_HEADERS = dict(owslib_ogcapi.REQUEST_HEADERS)


def client(server: TwinServer, key: str | None = None, **headers: str) -> Features:
    """A fresh OWSLib client with its own headers (an API key, If-Match …)."""
    w = Features(server.url)
    w.headers = {**PRISTINE_HEADERS, **({"X-API-Key": key} if key else {}), **headers}
    return w


def store_row(server: TwinServer, code: str) -> dict | None:
    """A building row as the store holds it."""
    with server.engine.connect() as conn:
        row = conn.execute(select(BUILDINGS).where(BUILDINGS.c.code == code)).mappings().first()
    return dict(row) if row else None


def test_conformance_and_collections(twin_server: TwinServer) -> None:
    w = client(twin_server)
    conforms = w.conformance()["conformsTo"]
    for cls in ("ogcapi-features-1/1.0/conf/core", "ogcapi-features-1/1.0/conf/geojson",
                "ogcapi-features-1/1.0/conf/oas30"):
        assert any(c.endswith(cls) for c in conforms), (cls, conforms)
    assert {"buildings", "addresses", "roads", "houses"} <= set(w.feature_collections())
    assert w.collection("buildings")["id"] == "buildings"


def test_items_with_bbox_match_the_store(twin_server: TwinServer) -> None:
    w = client(twin_server)
    box = [113.92, 22.52, 113.96, 22.56]
    page = w.collection_items("buildings", bbox=box, limit=7)
    x0, y0, x1, y1 = box
    env = func.ST_GeomFromText(
        f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))", 4490
    )
    with twin_server.engine.connect() as conn:
        expected = conn.scalar(
            select(func.count()).where(func.ST_Intersects(BUILDINGS.c.geom, env))
        )
    assert expected > 7
    assert page["numberMatched"] == expected
    assert page["numberReturned"] == len(page["features"]) == 7
    assert any(link["rel"] == "next" for link in page["links"])


def test_item_matches_the_store(twin_server: TwinServer) -> None:
    w = client(twin_server)
    first = w.collection_items("buildings", limit=1)["features"][0]
    item = w.collection_item("buildings", first["id"])
    row = store_row(twin_server, first["id"])
    assert row is not None
    assert item["id"] == row["code"]
    for name in ("floors", "height", "use", "year_built", "status"):
        assert item["properties"][name] == row[name], name
    assert item["geometry"]["type"] == "MultiPolygon"


def test_queryables_and_cql2_filter(twin_server: TwinServer) -> None:
    w = client(twin_server)
    queryables = w.collection_queryables("buildings")
    assert {"floors", "use", "height"} <= set(queryables["properties"])
    page = w.collection_items(
        "buildings", limit=1000, filter="floors >= 7 AND use = '住宅'",
        **{"filter-lang": "cql2-text"},
    )
    with twin_server.engine.connect() as conn:
        expected = set(conn.scalars(select(BUILDINGS.c.code).where(
            BUILDINGS.c.floors >= 7, BUILDINGS.c.use == "住宅")))
    assert expected
    assert {f["id"] for f in page["features"]} == expected
    # A small table counts well within the twin's budget: numberMatched must be there.
    assert page["numberMatched"] == len(expected)


def refused_with(status: int, raised: pytest.ExceptionInfo[RuntimeError]) -> dict:
    """The problem body OWSLib raised with, checked to carry `status` (a crash is a 500)."""
    problem = json.loads(str(raised.value))
    assert problem["status"] == status, problem
    return problem


def test_unknown_item_is_a_404_not_a_crash(twin_server: TwinServer) -> None:
    with pytest.raises(RuntimeError) as raised:
        client(twin_server).collection_item("buildings", "44030500119999999000000")
    assert "44030500119999999000000" in refused_with(404, raised)["detail"]


def new_code(sequence: int) -> str:
    """A whole-building code in 南山街道 (440305002), built 2024, MOD 11-2 checked."""
    body = f"4403050022024{sequence:04d}00000"
    return body + mod11_2(body)


def new_building(floors: int, sequence: int = 9001) -> dict:
    """A building footprint in 南山街道 as a registry office would send it, code included."""
    x, y = 113.9385, 22.5291
    ring = [[x, y], [x + 0.0004, y], [x + 0.0004, y + 0.0003], [x, y + 0.0003], [x, y]]
    return {
        "type": "Feature",
        "geometry": {"type": "MultiPolygon", "coordinates": [[ring]]},
        "properties": {
            "code": new_code(sequence),
            "name": "OWSLib 测试楼", "floors": floors, "height": floors * 3.0,
            "use": "办公", "year_built": 2024, "status": "active",
            "township_code": "440305002000",
        },
    }


def test_create_replace_delete_through_owslib(twin_server: TwinServer) -> None:
    writer = client(twin_server, WRITE_KEY)
    sent = new_building(floors=5, sequence=9001 if twin_server.store == "postgis" else 9002)
    writer.collection_item_create("buildings", sent)
    location = writer.response_headers["Location"]
    code = location.rstrip("/").rsplit("/", 1)[-1]
    assert code == sent["properties"]["code"]
    created = store_row(twin_server, code)
    assert created is not None and created["floors"] == 5
    assert created["name"] == "OWSLib 测试楼"

    replaced = new_building(floors=9)
    replaced["properties"]["code"] = replaced["id"] = code
    writer.collection_item_update("buildings", code, json.dumps(replaced))
    after = store_row(twin_server, code)
    assert after is not None
    assert after["floors"] == 9
    assert after["code"] == code  # an edited building keeps its code
    assert after["version"] > created["version"]

    writer.collection_item_delete("buildings", code)
    gone = store_row(twin_server, code)
    # Deleting retires the building; its code is never reused or erased.
    assert gone is not None and gone["status"] == "demolished"  # what a building's retire means
    response = httpx.get(f"{twin_server.url}/collections/buildings/items/{code}")
    assert response.status_code == 200
    assert response.json()["properties"]["status"] == "demolished"


def test_writes_need_the_write_scope(twin_server: TwinServer) -> None:
    with twin_server.engine.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(BUILDINGS))
    for key, status in ((None, 401), (READ_ONLY_KEY, 403)):
        with pytest.raises(RuntimeError) as raised:
            client(twin_server, key).collection_item_create("buildings", new_building(3, 9003))
        refused_with(status, raised)
    with twin_server.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(BUILDINGS)) == before


def test_stale_if_match_is_refused(twin_server: TwinServer) -> None:
    code = client(twin_server).collection_items("buildings", limit=1)["features"][0]["id"]
    url = f"{twin_server.url}/collections/buildings/items/{code}"
    etag = httpx.get(url).headers["ETag"]
    stale = client(twin_server, WRITE_KEY, **{"If-Match": '"stale"'})
    body = httpx.get(url).json()
    for kept_by_store in ("version", "updated_at"):  # a client may not send these
        del body["properties"][kept_by_store]
    body["properties"]["floors"] += 1
    with pytest.raises(RuntimeError) as raised:
        stale.collection_item_update("buildings", code, json.dumps(body))
    refused_with(412, raised)
    assert httpx.get(url).headers["ETag"] == etag  # nothing changed
    # The same body with the current ETag goes through: the tag was all that was wrong.
    client(twin_server, WRITE_KEY, **{"If-Match": etag}).collection_item_update(
        "buildings", code, json.dumps(body))
    assert httpx.get(url).json()["properties"]["floors"] == body["properties"]["floors"]
