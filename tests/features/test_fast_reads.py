"""The fast read paths answer exactly what the FastAPI routes answer.

api/fast_reads.py takes the GeoJSON items/item GETs past the routing; on PostGIS an item
read goes on the event loop through api/features/lookup.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.responses import PlainTextResponse

from api import create_app
from api.fast_reads import FastReads
from api.routers.features import hot_routes
from tests.conftest import settings_for
from tests.features.conftest import SENSITIVE
from tests.stores import on_postgis
from twin.crs import CRS84_URI, parse_crs
from twin.features.lookup import FeatureLookup
from twin.features.service import ItemShape
from twin.layers import LAYERS
from twin.models import AuditEntry

BBOX = "113.90,22.50,113.96,22.56"


@pytest.fixture(scope="module")
def slow(sample_engine) -> Iterator[TestClient]:
    """The same store through the FastAPI routes only."""
    settings = settings_for(sample_engine)
    settings.api.fast_reads = False
    with TestClient(create_app(settings)) as client:
        yield client


PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "twin.example.cn",
         "X-Forwarded-Prefix": "/gis"}


def _first_code(client: TestClient, layer: str) -> str:
    body = client.get(f"/collections/{layer}/items", params={"limit": 1}).json()
    return str(body["features"][0]["id"])


def _requests(client: TestClient) -> list[tuple[str, dict[str, str]]]:
    building, person = _first_code(client, "buildings"), _first_code(client, "people")
    items = "/collections/buildings/items"
    return [
        (f"{items}/{building}", {}),
        (f"{items}/{building}?crs=http://www.opengis.net/def/crs/EPSG/0/4490", {}),
        (f"{items}/{building}?crs=http://www.opengis.net/def/crs/EPSG/0/3857&f=json", {}),
        (f"{items}/{building}?crs=http://www.opengis.net/def/crs/EPSG/0/4326", {}),
        (f"{items}/{building}?crs=EPSG:4326&properties=floors,height", {}),
        (f"{items}/{building}?properties=name,floors", {}),
        (f"{items}/{building}?properties=nosuch", {}),
        (f"{items}/{building}", {"If-None-Match": '"1"'}),
        (f"{items}/{building}", {"If-None-Match": '"999"'}),
        (f"{items}/{building}", PROXY),
        (f"{items}/{building}", {"Accept": "text/html"}),
        (f"{items}/{building}", {"X-API-Key": "wrong"}),
        (f"{items}/{building}", {"Accept": "application/geo+json"}),
        (f"{items}/{building}?crs=EPSG:9999", {}),
        (f"{items}/{building}?colour=red", {}),
        (f"{items}/no-such-code", {}),
        (f"/collections/people/items/{person}", {}),
        (f"/collections/people/items/{person}?properties=name,birth_year", {}),
        (f"/collections/people/items/{person}?crs=http://www.opengis.net/def/crs/EPSG/0/4326",
         {}),
        (f"/collections/people/items/{person}", {"X-API-Key": "writer-key"}),
        (f"{items}?limit=5&bbox={BBOX}", {}),
        (f"{items}?limit=5&bbox={BBOX}", PROXY),
        (f"{items}?limit=7&bbox=22.50,113.90,22.56,113.96"
         "&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326", {}),
        (f"{items}?limit=5&use=residential&floors=6", {}),
        (f"{items}?limit=5&floors=six", {}),
        (f"{items}?limit=5&sortby=-height", {}),
        (f"{items}?limit=5&filter=floors>10 AND use='office'", {}),
        (f"{items}?limit=5&filter=floors>>10", {}),
        (f"{items}?limit=5&properties=name&crs=http://www.opengis.net/def/crs/EPSG/0/4547",
         {}),
        (f"{items}?limit=5&datetime=2020-01-01T00:00:00Z/..", {}),
        (f"{items}?bbox=1,2,3", {}),
        (f"{items}?colour=red", {}),
        (f"{items}?limit=0", {}),
        (f"{items}?limit=ten", {}),
        (f"{items}?f=xml", {}),
        ("/collections/people/items?limit=3", {}),
        ("/collections/people/items?limit=3", {"X-API-Key": "wrong"}),
        ("/collections/nowhere/items", {}),
        ("/collections/nowhere/items/x", {}),
    ]


def _answer(client: TestClient, url: str, headers: dict[str, str]) -> dict[str, Any]:
    response = client.get(url, headers=headers)
    kept = {k: response.headers.get(k) for k in ("content-type", "content-crs", "etag")}
    body: Any = response.text
    if "json" in (kept["content-type"] or ""):
        body = response.json()
        if isinstance(body, dict):
            body.pop("timeStamp", None)
    return {"status": response.status_code, **kept, "body": body}


def test_both_paths_give_the_same_answers(client, slow):
    for url, headers in _requests(client):
        assert _answer(client, url, headers) == _answer(slow, url, headers), url


def test_next_pages_agree_on_both_paths(client, slow):
    url = f"/collections/buildings/items?limit=4&bbox={BBOX}"
    for _ in range(4):
        fast, plain = _answer(client, url, {}), _answer(slow, url, {})
        assert fast == plain
        url = next(link["href"] for link in fast["body"]["links"] if link["rel"] == "next")


def test_the_fast_path_answers_without_the_routes(sample_engine):
    """In front of an app that answers 418 to everything, GeoJSON reads still come back
    200 (the middleware answered them) and HTML, which it leaves to the routes, gets 418."""
    real = create_app(settings_for(sample_engine))

    async def teapot(scope: Any, receive: Any, send: Any) -> None:
        await PlainTextResponse("no route here", status_code=418)(scope, receive, send)

    fast = FastReads(teapot, hot_routes())

    async def outer(scope: Any, receive: Any, send: Any) -> None:
        scope["app"] = real  # what Starlette sets before its middleware runs
        await fast(scope, receive, send)

    with TestClient(real) as client:  # runs the lifespan: the store's engine
        code = _first_code(client, "buildings")
        bare = TestClient(outer)
        assert bare.get(f"/collections/buildings/items/{code}").status_code == 200
        assert bare.get(f"/collections/buildings/items?bbox={BBOX}").status_code == 200
        assert bare.get("/collections/buildings/items/nope").status_code == 404
        assert bare.get(f"/collections/buildings/items/{code}?f=html").status_code == 418
        assert bare.get("/collections/buildings/items?limit=0").status_code == 418
        # The collection documents as JSON are answered here too (api/routers/collections);
        # their HTML is the routes'.
        assert bare.get("/collections/buildings").status_code == 200
        assert bare.get("/collections").status_code == 200
        assert bare.get("/collections/buildings?f=html").status_code == 418


def _audit_lines(engine) -> int:
    audit = AuditEntry.__table__
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(audit)).scalar_one()


def test_audited_reads_agree_and_are_logged_on_both_paths(edit_client):
    """Unmasked reads of people write one audit line each, fast path or not."""
    engine = edit_client.engine
    settings = settings_for(engine)
    settings.api.fast_reads = False
    with TestClient(create_app(settings)) as slow_client:
        person = _first_code(edit_client, "people")
        for url in (f"/collections/people/items/{person}",
                    f"/collections/people/items/{person}?properties=name,phone",
                    "/collections/people/items?limit=3"):
            before = _audit_lines(engine)
            fast = _answer(edit_client, url, SENSITIVE)
            assert _audit_lines(engine) == before + 1, url
            assert fast == _answer(slow_client, url, SENSITIVE), url
            assert _audit_lines(engine) == before + 2, url
            body = fast["body"]
            for feature in body.get("features", [body]):
                assert "*" not in feature["properties"]["name"], url  # shown unmasked


def test_postgis_item_reads_go_through_the_lookup(client, sample_engine):
    assert (client.app.state.lookup is not None) == on_postgis(sample_engine)


SHAPES = [(CRS84_URI, None), (CRS84_URI, ("name",)),
          ("http://www.opengis.net/def/crs/EPSG/0/4326", None),
          ("http://www.opengis.net/def/crs/EPSG/0/3857", ("code",))]


@pytest.mark.parametrize("sample_engine", ["postgis"], indirect=True)
def test_lookup_rows_equal_the_engine_rows(client, sample_engine):
    """Row by row, every layer and shape: the lookup reads what SQLAlchemy reads (the
    lookup is PostGIS-only; SpatiaLite reads through the engine)."""
    assert on_postgis(sample_engine)

    async def lookup_rows(asks: list[tuple[ItemShape, str]]) -> list[Any]:
        lookup = await FeatureLookup.open(sample_engine)
        try:
            return [await lookup.row(shape, code) for shape, code in asks]
        finally:
            await lookup.close()

    asks, expected = [], []
    with sample_engine.connect() as conn:
        for layer in LAYERS.values():
            first = client.get(f"/collections/{layer.name}/items", params={"limit": 1})
            code = next((str(f["id"]) for f in first.json()["features"]), None)
            for uri, properties in SHAPES:
                if properties is not None and not set(properties) <= {
                        c.name for c in layer.attribute_columns()}:
                    continue
                shape = ItemShape(layer, parse_crs(uri), properties)
                for feature_id in (code, "no-such-code"):
                    if feature_id is None:
                        continue
                    asks.append((shape, feature_id))
                    expected.append(conn.execute(shape.statement,
                                                 {"feature_id": feature_id}).first())
    got = asyncio.run(lookup_rows(asks))
    assert any(row is not None for row in got)
    for (shape, feature_id), row, want in zip(asks, got, expected, strict=True):
        if want is None:
            assert row is None, (shape, feature_id)
            continue
        assert row._fields == want._fields, (shape, feature_id)
        assert tuple(row) == tuple(want), (shape, feature_id)
        assert row.geometry == want.geometry
