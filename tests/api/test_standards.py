"""What strict clients check: an OpenAPI 3.0 document that stands alone with the OGC
parameter definitions, problem+json for unknown paths, and the limits, each answered
with a problem that names it."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV30SpecValidator

from api import create_app
from api.limits import check_query
from tests.conftest import settings_for

PROBLEM = "application/problem+json"


def test_openapi_is_3_0_and_self_contained(client):
    document = client.get("/api").json()
    assert document["openapi"] == "3.0.3"
    validate(document, cls=OpenAPIV30SpecValidator)
    text = json.dumps(document)
    assert not re.findall(r'"\$ref": "(?!#/)', text), "every $ref is local"
    assert '"type": "null"' not in text and '"const"' not in text  # 3.1-only forms


def test_standard_parameters_are_the_ogc_fragments(client):
    document = client.get("/api").json()
    operation = document["paths"]["/collections/buildings/items"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 10000,
                                         "default": 10}
    assert (params["limit"]["style"], params["limit"]["explode"]) == ("form", False)
    bbox = params["bbox"]["schema"]
    assert bbox["type"] == "array" and bbox["items"] == {"type": "number"}
    assert bbox["oneOf"] == [{"minItems": 4, "maxItems": 4}, {"minItems": 6, "maxItems": 6}]
    assert params["datetime"]["schema"] == {"type": "string"}
    assert params["crs"]["schema"] == {"type": "string", "format": "uri"}
    assert params["filter-lang"]["schema"]["enum"] == ["cql2-text", "cql2-json"]
    item = document["paths"]["/collections/buildings/items/{featureId}"]["get"]
    assert {"name": "featureId", "in": "path", "required": True} .items() <= {
        k: v for p in item["parameters"] if p["name"] == "featureId" for k, v in p.items()
    }.items()
    assert "Limits" in document["info"]["description"]


def test_unknown_path_and_method_are_problems(client):
    missing = client.get("/no/such/thing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM
    assert missing.json()["instance"] == "/no/such/thing"
    wrong = client.delete("/geocode")
    assert wrong.status_code == 405
    assert wrong.headers["content-type"] == PROBLEM
    assert set(wrong.headers["allow"].split(", ")) >= {"GET", "POST"}


@pytest.fixture(scope="module")
def tight_client(sample_engine):
    """The app with small limits, over the shared sample store (reads only)."""
    config = settings_for(sample_engine)
    config.api.max_body_bytes = 2000
    config.api.max_filter_depth = 3
    config.api.max_bbox_degrees = 0.5
    with TestClient(create_app(config)) as client:
        yield client


def test_body_beyond_the_limit_is_a_413_problem(tight_client):
    body = {"addresses": ["深圳市南山区科苑路15号"] * 200}
    response = tight_client.post("/geocode", json=body)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert "2,000 bytes" in response.json()["detail"]


def test_chunked_body_beyond_the_limit_is_a_413_problem(tight_client):
    def chunks():
        for _ in range(50):
            yield b"x" * 100

    response = tight_client.post("/geocode", content=chunks(),
                                 headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


def test_filter_deeper_than_the_limit_is_a_400_naming_it(tight_client):
    deep = "((((floors > 1))))"
    response = tight_client.get("/collections/buildings/items", params={"filter": deep})
    assert response.status_code == 400
    assert response.json()["field"] == "filter"
    assert "4 levels" in response.json()["detail"]
    nested = {"op": "and", "args": [{"op": "and", "args": [{"op": ">", "args": [
        {"property": "floors"}, 1]}]}]}
    as_json = tight_client.get("/collections/buildings/items",
                               params={"filter": json.dumps(nested), "filter-lang": "cql2-json"})
    assert as_json.status_code == 400 and as_json.json()["field"] == "filter"
    # Within the limit it passes (checked without a request: a page would leave a kept
    # count in the shared store that other tests do not expect).
    limits = tight_client.app.state.settings.api
    check_query({"filter": "(floors > 1) AND (name = '(((((')"}, limits)


def test_bbox_beyond_the_limit_is_a_400_naming_it(tight_client):
    wide = tight_client.get("/collections/buildings/items", params={"bbox": "113,22,114,23"})
    assert wide.status_code == 400
    assert (wide.json()["field"], wide.json()["value"]) == ("bbox", "113,22,114,23")
    limits = tight_client.app.state.settings.api
    check_query({"bbox": "113.9,22.5,114.0,22.6"}, limits)
    metres = "http://www.opengis.net/def/crs/EPSG/0/4547"  # not a CRS84 span: not refused
    check_query({"bbox": "0,0,1000000,1000000", "bbox-crs": metres}, limits)


def test_limit_above_the_maximum_is_served_as_the_maximum(client):
    body = client.get("/collections/grids/items", params={"limit": 10**7}).json()
    assert body["numberReturned"] <= 10000


def test_every_path_allows_exactly_the_methods_it_documents(client):
    # OPTIONS is documented nowhere: each path answers 405 with Allow naming the methods
    # its document lists (HEAD comes with GET), the per-layer writes included.
    document = client.get("/api").json()
    concrete = {"{collectionId}": "buildings", "{featureId}": "no-such-feature",
                "{tileMatrixSetId}": "WebMercatorQuad", "{processId}": "geocode",
                "{jobId}": "00000000-0000-0000-0000-000000000000"}
    checked = 0
    for path, item in document["paths"].items():
        url = path
        for name, value in concrete.items():
            url = url.replace(name, value)
        if "{" in url:
            url = re.sub(r"\{[^}]+\}", "1", url)
        answer = client.options(url)
        assert answer.status_code == 405, (path, answer.status_code)
        allowed = {m.strip() for m in answer.headers["allow"].split(",")} - {"HEAD"}
        documented = {m.upper() for m in item if m in ("get", "post", "put", "patch", "delete")}
        assert allowed == documented, path
        checked += 1
    assert checked > 30


def test_layer_writes_are_documented_on_the_layer_paths(client):
    document = client.get("/api").json()
    assert set(document["components"]["securitySchemes"]) == {"apiKey", "bearer"}
    items = document["paths"]["/collections/buildings/items"]
    item = document["paths"]["/collections/buildings/items/{featureId}"]
    assert set(items) == {"get", "post"} and set(item) == {"get", "put", "patch", "delete"}
    for operation in (items["post"], item["put"], item["patch"], item["delete"]):
        assert operation["security"] == [{"apiKey": []}, {"bearer": []}]
        assert operation["x-scopes"] == ["write"]
        assert {"401", "403"} <= set(operation["responses"])
    assert "application/geo+json" in items["post"]["requestBody"]["content"]
    assert "201" in items["post"]["responses"] and "204" in item["delete"]["responses"]
    # A read-only layer documents (and takes) reads only: a write is a 405 saying so.
    assert set(document["paths"]["/collections/admin_areas/items"]) == {"get"}
    refused = client.post("/collections/admin_areas/items", json={"type": "Feature"},
                          headers={"X-API-Key": "writer-key"})
    assert refused.status_code == 405
    assert refused.headers["allow"] == "GET"
    assert "read-only" in refused.json()["detail"]
