"""OGC API - Features Part 3 on both stores: queryables, cql2-text, cql2-json, filter-crs."""

from __future__ import annotations

import json

import pytest
import shapely
from pyproj import Transformer

from twin.features.cql import standard_json, standard_text

from .conftest import everything


@pytest.fixture(scope="module")
def buildings(client):
    return everything(client, "buildings")


def matched(client, layer, filter_, lang=None, **params):
    query = {"filter": filter_ if isinstance(filter_, str) else json.dumps(filter_),
             "limit": 10000, **params}
    if lang:
        query["filter-lang"] = lang
    response = client.get(f"/collections/{layer}/items", params=query)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["numberMatched"] == len(body["features"])
    return {f["id"] for f in body["features"]}


def where(features, predicate):
    return {f["id"] for f in features if predicate(f["properties"])}


def test_standard_text_rewrites_temporal_calls_outside_strings():
    text = "name = 'T_AFTER(x, y)' AND T_AFTER(updated_at, TIMESTAMP('2020-01-01T00:00:00Z'))"
    out = standard_text(text)
    assert "'T_AFTER(x, y)'" in out
    assert "(updated_at T_AFTER TIMESTAMP('2020-01-01T00:00:00Z'))" in out
    widened = standard_text("T_DURING(valid_from, INTERVAL('2020-01-01', '..'))")
    assert "INTERVAL('2020-01-01T00:00:00Z','9999-12-31T23:59:59Z')" in widened


def test_standard_json_reads_bbox_and_between_as_the_standard_does():
    node = standard_json({"op": "and", "args": [
        {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [1, 2, 3, 4]}]},
        {"op": "between", "args": [{"property": "height"}, 10, 20]}]})
    polygon = node["args"][0]["args"][1]
    assert shapely.geometry.shape(polygon).bounds == (1, 2, 3, 4)
    assert node["args"][1]["args"] == [{"property": "height"}, [10, 20]]


@pytest.mark.parametrize(("text", "predicate"), [
    ("height > 20", lambda p: p["height"] is not None and p["height"] > 20),
    ("floors >= 5 AND use = '住宅'", lambda p: (p["floors"] or 0) >= 5 and p["use"] == "住宅"),
    ("floors BETWEEN 4 AND 6", lambda p: p["floors"] is not None and 4 <= p["floors"] <= 6),
    ("use IN ('办公', '商业')", lambda p: p["use"] in ("办公", "商业")),
    ("NOT (use = '住宅') OR height < 10",
     lambda p: p["use"] != "住宅" or (p["height"] is not None and p["height"] < 10)),
    ("name LIKE '%1栋'", lambda p: (p["name"] or "").endswith("1栋")),
    # every sample building carries its BeiDou code (落图赋码), so IS NULL would select none
    ("beidou_code IS NOT NULL AND floors = 3", lambda p: p["beidou_code"] is not None
     and p["floors"] == 3),
    ("height > floors * 3.2", lambda p: p["height"] is not None and p["floors"] is not None
     and p["height"] > p["floors"] * 3.2),
    ("year_built < 2000 AND status <> 'demolished'",
     lambda p: p["year_built"] is not None and p["year_built"] < 2000
     and p["status"] != "demolished"),
])
def test_cql2_text_matches_python(client, buildings, text, predicate):
    expected = where(buildings, predicate)
    assert expected, f"{text} selects nothing in the sample: not a test"
    assert matched(client, "buildings", text) == expected


def test_like_is_case_sensitive_and_casei_is_not(client):
    people = {f["id"] for f in everything(client, "people")}
    assert all(code.startswith("RK") for code in people)
    assert matched(client, "people", "code LIKE 'RK%'") == people
    assert matched(client, "people", "code LIKE 'rk%'") == set()
    assert matched(client, "people", "CASEI(code) LIKE CASEI('rk%')") == people


def test_cql2_json_agrees_with_text(client):
    text = matched(client, "buildings", "floors BETWEEN 4 AND 6 AND use = '住宅'")
    doc = {"op": "and", "args": [
        {"op": "between", "args": [{"property": "floors"}, 4, 6]},
        {"op": "=", "args": [{"property": "use"}, "住宅"]}]}
    assert matched(client, "buildings", doc, "cql2-json") == text and text


def test_spatial_operators_match_shapely(client, buildings):
    area = shapely.box(113.90, 22.50, 113.95, 22.55)
    shapes = {f["id"]: shapely.geometry.shape(f["geometry"]) for f in buildings}
    wkt = area.wkt
    hits = matched(client, "buildings", f"S_INTERSECTS(geometry, {wkt})")
    inside = matched(client, "buildings", f"S_WITHIN(geom, {wkt})")
    apart = matched(client, "buildings", f"S_DISJOINT(geometry, {wkt})")
    assert hits == {k for k, g in shapes.items() if g.intersects(area)}
    assert inside == {k for k, g in shapes.items() if g.within(area)}
    assert apart == set(shapes) - hits
    assert hits and apart
    bbox_json = {"op": "s_intersects", "args": [{"property": "geometry"},
                                                 {"bbox": [113.90, 22.50, 113.95, 22.55]}]}
    assert matched(client, "buildings", bbox_json, "cql2-json") == hits


def test_spatial_contains_a_point(client, buildings):
    target = shapely.geometry.shape(buildings[7]["geometry"]).representative_point()
    found = matched(client, "buildings", f"S_CONTAINS(geometry, POINT({target.x} {target.y}))")
    assert buildings[7]["id"] in found and len(found) <= 2


def test_filter_crs_reads_literals_in_that_crs(client):
    lonlat = matched(client, "houses", "S_INTERSECTS(geometry, "
                     "POLYGON((113.9 22.5, 113.95 22.5, 113.95 22.55, 113.9 22.55, 113.9 22.5)))")
    latlon = matched(client, "houses", "S_INTERSECTS(geometry, "
                     "POLYGON((22.5 113.9, 22.5 113.95, 22.55 113.95, 22.55 113.9, 22.5 113.9)))",
                     **{"filter-crs": "http://www.opengis.net/def/crs/EPSG/0/4490"})
    to_gk = Transformer.from_crs(4490, 4547, always_xy=True)
    corners = [to_gk.transform(x, y) for x, y in
               [(113.9, 22.5), (113.95, 22.5), (113.95, 22.55), (113.9, 22.55), (113.9, 22.5)]]
    ring = ", ".join(f"{n} {e}" for e, n in corners)
    metres = matched(client, "houses", f"S_INTERSECTS(geometry, POLYGON(({ring})))",
                     **{"filter-crs": "EPSG:4547"})
    assert lonlat and lonlat == latlon
    assert lonlat <= metres and len(metres) <= len(lonlat) * 1.2


def test_temporal_operators(client):
    everyone = everything(client, "roads")
    after = matched(client, "roads", "T_AFTER(updated_at, TIMESTAMP('2000-01-01T00:00:00Z'))")
    before = matched(client, "roads", "T_BEFORE(updated_at, TIMESTAMP('2000-01-01T00:00:00Z'))")
    during = matched(client, "roads",
                     "T_INTERSECTS(updated_at, INTERVAL('2000-01-01T00:00:00Z', '..'))")
    assert after == during == {f["id"] for f in everyone} and before == set()
    as_json = matched(client, "roads", {"op": "t_after", "args": [
        {"property": "updated_at"}, {"timestamp": "2000-01-01T00:00:00Z"}]}, "cql2-json")
    assert as_json == after
    dates = matched(client, "addresses",
                    "T_DURING(valid_from, INTERVAL('2000-01-01', '..')) AND level = 'road'")
    assert dates == {f["id"] for f in everything(client, "addresses", level="road")}


@pytest.mark.parametrize(("filter_", "lang", "needle"), [
    ("colour = 'red'", None, "colour"),
    ("height >", None, "cannot read"),
    ("S_INTERSECTS(height, POINT(1 2))", None, "geometry"),
    ("T_OVERLAPPEDBY(updated_at, INTERVAL('2000-01-01', '..'))", None, "T_OVERLAPPEDBY"),
    ("height = 1", "cql3", "filter-lang"),
    ("{not json", "cql2-json", "cannot read"),
    ("unknownfn(name) = 'x'", None, "unknown function"),
])
def test_bad_filters_are_clear_400s(client, filter_, lang, needle):
    params = {"filter": filter_}
    if lang:
        params["filter-lang"] = lang
    response = client.get("/collections/buildings/items", params=params)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert needle in problem["detail"] or needle == problem.get("field"), problem


def test_queryables_are_json_schema(client):
    response = client.get("/collections/buildings/queryables")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/schema+json"
    schema = response.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/collections/buildings/queryables")
    props = schema["properties"]
    assert props["geometry"]["x-ogc-role"] == "primary-geometry"
    assert props["height"]["type"] == "number" and props["floors"]["type"] == "integer"
    assert props["code"]["maxLength"] == 40
    assert props["updated_at"]["format"] == "date-time"
    html = client.get("/collections/buildings/queryables", params={"f": "html"})
    assert html.status_code == 200 and "height" in html.text


def test_next_link_keeps_the_filter(client):
    body = client.get("/collections/houses/items",
                      params={"filter": "floor = '3层'", "limit": 20}).json()
    following = next(link["href"] for link in body["links"] if link["rel"] == "next")
    page = client.get(following).json()
    assert page["numberMatched"] == body["numberMatched"]
    assert all(f["properties"]["floor"] == "3层" for f in page["features"])


def test_draft_name_cql_text_is_read_as_cql2_text(client):
    """GDAL 3.6 asks with filter-lang=cql-text."""
    assert matched(client, "buildings", "floors >= 7", "cql-text") == matched(
        client, "buildings", "floors >= 7", "cql2-text")
