"""OGC API - Features Part 1 on both stores: items, item, bbox, datetime, paging, links."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import shapely
from sqlalchemy import func, select

from twin.layers import LAYERS

from .conftest import everything, walk

GEOJSON = "application/geo+json"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
BOX = (113.90, 22.50, 113.95, 22.55)


def shapes(features):
    return [shapely.geometry.shape(f["geometry"]) for f in features]


def test_items_default_page(client, sample_engine):
    response = client.get("/collections/buildings/items")
    assert response.status_code == 200
    assert response.headers["content-type"] == GEOJSON
    assert response.headers["content-crs"] == f"<{CRS84}>"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert body["numberReturned"] == len(body["features"]) == 10  # settings.api.default_limit
    with sample_engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(LAYERS["buildings"].table)).scalar()
    assert body["numberMatched"] == count
    assert body["timeStamp"].endswith("Z")
    feature = body["features"][0]
    assert feature["id"] == feature["properties"]["code"]
    assert feature["geometry"]["type"] == "MultiPolygon"
    lon, lat = feature["geometry"]["coordinates"][0][0][0]
    assert 113 < lon < 115 and 22 < lat < 23  # CRS84: longitude first
    rels = {link["rel"] for link in body["links"]}
    assert {"self", "alternate", "next", "collection"} <= rels and "prev" not in rels


def test_limit_is_clamped_to_the_maximum_and_must_be_positive(client):
    body = client.get("/collections/grids/items", params={"limit": 10**7}).json()
    assert body["numberReturned"] == body["numberMatched"]  # fewer than max_limit grids
    refused = client.get("/collections/grids/items", params={"limit": 0})
    # OGC API Features /req/core/query-param-invalid: 400, said as a problem.
    assert refused.status_code == 400
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert (problem["field"], problem["value"]) == ("limit", "0")
    assert "query limit" in problem["detail"] and problem["errors"][0]["location"] == "query"


def test_bbox_matches_shapely_on_every_feature(client):
    truth = everything(client, "buildings")
    box = shapely.box(*BOX)
    expected = {f["id"] for f, g in zip(truth, shapes(truth), strict=True) if g.intersects(box)}
    assert 0 < len(expected) < len(truth)
    body = client.get("/collections/buildings/items",
                      params={"bbox": ",".join(map(str, BOX)), "limit": 1000}).json()
    assert {f["id"] for f in body["features"]} == expected
    assert body["numberMatched"] == len(expected)


def test_bbox_in_epsg_4326_takes_latitude_first(client):
    lonlat = client.get("/collections/buildings/items",
                        params={"bbox": "113.90,22.50,113.95,22.55", "limit": 1000}).json()
    latlon = client.get("/collections/buildings/items", params={
        "bbox": "22.50,113.90,22.55,113.95", "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/4326",
        "limit": 1000}).json()
    assert lonlat["numberMatched"] > 0
    assert {f["id"] for f in latlon["features"]} == {f["id"] for f in lonlat["features"]}


@pytest.mark.parametrize(("bbox", "field"), [
    ("1,2,3", "bbox"), ("a,b,c,d", "bbox"), ("113.95,22.5,113.9,22.55", "bbox"),
])
def test_bad_bbox_is_a_clear_400(client, bbox, field):
    response = client.get("/collections/buildings/items", params={"bbox": bbox})
    assert response.status_code == 400
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["field"] == field and problem["value"] == bbox


def test_paging_visits_every_feature_once_and_keeps_every_parameter(client):
    bbox = "113.85,22.45,114.0,22.6"
    first = f"/collections/addresses/items?limit=300&bbox={bbox}&level=room&f=json"
    pages = walk(client, first)
    ids = [f["id"] for page in pages for f in page["features"]]
    assert len(pages) > 3
    assert len(ids) == len(set(ids)) == pages[0]["numberMatched"]
    truth = {f["id"] for f in everything(client, "addresses", level="room", bbox=bbox)}
    assert set(ids) == truth
    for page in pages[1:]:
        self_link = next(link["href"] for link in page["links"] if link["rel"] == "self")
        query = parse_qs(urlsplit(self_link).query)
        assert query["bbox"] == [bbox] and query["level"] == ["room"] and query["limit"] == ["300"]
        assert query["f"] == ["json"] and "cursor" in query


def test_prev_link_returns_the_previous_page(client):
    pages = walk(client, "/collections/houses/items?limit=500")
    third = pages[2]
    prev = next(link["href"] for link in third["links"] if link["rel"] == "prev")
    back = client.get(prev).json()
    assert [f["id"] for f in back["features"]] == [f["id"] for f in pages[1]["features"]]
    first_prev = next(link["href"] for link in pages[1]["links"] if link["rel"] == "prev")
    assert [f["id"] for f in client.get(first_prev).json()["features"]] == [
        f["id"] for f in pages[0]["features"]]


def test_a_forged_cursor_is_refused(client):
    response = client.get("/collections/houses/items", params={"cursor": "not-a-token!"})
    assert response.status_code == 400 and response.json()["field"] == "cursor"


def test_property_filters_are_typed_and_declared(client):
    floors = [f for f in everything(client, "buildings") if f["properties"]["floors"] == 5]
    body = client.get("/collections/buildings/items", params={"floors": "5", "limit": 1000}).json()
    assert body["numberMatched"] == len(floors) > 0
    bad = client.get("/collections/buildings/items", params={"floors": "five"})
    assert bad.status_code == 400 and bad.json()["field"] == "floors"
    spec = client.get("/api").json()
    params = {p["name"] for p in spec["paths"]["/collections/buildings/items"]["get"]["parameters"]}
    assert {"floors", "height", "use", "community_code", "bbox", "limit", "datetime",
            "filter", "sortby", "crs"} <= params


def test_unknown_query_parameter_is_an_error_not_ignored(client):
    response = client.get("/collections/buildings/items", params={"flors": "5"})
    assert response.status_code == 400
    assert "flors" in response.json()["detail"]


def test_datetime_on_address_validity(client):
    truth = everything(client, "addresses")
    starts = sorted(date.fromisoformat(f["properties"]["valid_from"]) for f in truth)
    cut = starts[-1]
    expected = {
        f["id"] for f in truth
        if date.fromisoformat(f["properties"]["valid_from"]) <= cut
        and (f["properties"]["valid_to"] is None
             or date.fromisoformat(f["properties"]["valid_to"]) >= cut)
    }
    assert expected
    body = client.get("/collections/addresses/items",
                      params={"datetime": cut.isoformat(), "limit": 10000}).json()
    assert {f["id"] for f in body["features"]} == expected
    before = starts[0].replace(year=starts[0].year - 1)
    earlier = client.get("/collections/addresses/items",
                         params={"datetime": f"../{before.isoformat()}T00:00:00Z"}).json()
    assert earlier["numberMatched"] == 0


def test_datetime_on_updated_at(client):
    everyone = client.get("/collections/roads/items",
                          params={"datetime": "2000-01-01T00:00:00Z/.."})
    assert everyone.json()["numberMatched"] == len(everything(client, "roads"))
    nobody = client.get("/collections/roads/items", params={"datetime": "../2000-01-01"})
    assert nobody.json()["numberMatched"] == 0
    bad = client.get("/collections/roads/items", params={"datetime": "yesterday"})
    assert bad.status_code == 400 and bad.json()["field"] == "datetime"


def test_item_by_code_with_etag(client):
    feature = client.get("/collections/organizations/items", params={"limit": 1}).json()[
        "features"][0]
    response = client.get(f"/collections/organizations/items/{feature['id']}")
    assert response.status_code == 200
    assert response.headers["content-type"] == GEOJSON
    assert response.headers["etag"] == f'"{feature["properties"]["version"]}"'
    body = response.json()
    assert body["id"] == feature["id"] and body["geometry"] == feature["geometry"]
    unchanged = client.get(f"/collections/organizations/items/{feature['id']}",
                           headers={"If-None-Match": response.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert {link["rel"] for link in body["links"]} >= {"self", "collection", "alternate"}


def test_missing_item_and_collection_are_404_problems(client):
    missing = client.get("/collections/buildings/items/NOPE")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    unknown = client.get("/collections/castles/items")
    assert unknown.status_code == 404 and "buildings" in unknown.json()["detail"]


def test_html_by_f_and_by_accept(client):
    by_f = client.get("/collections/buildings/items", params={"f": "html", "limit": 3})
    by_accept = client.get("/collections/buildings/items?limit=3",
                           headers={"Accept": "text/html"})
    for response in (by_f, by_accept):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "实有房屋" in response.text
    item = by_f.text.split('href="')[0]
    assert item
    code = client.get("/collections/buildings/items?limit=1").json()["features"][0]["id"]
    page = client.get(f"/collections/buildings/items/{code}", params={"f": "html"})
    assert page.status_code == 200 and code in page.text


def test_links_stay_absolute_behind_a_proxy(client):
    body = client.get("/collections/buildings/items?limit=5", headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "twin.example.cn",
        "X-Forwarded-Prefix": "/gis"}).json()
    for link in body["links"]:
        assert link["href"].startswith("https://twin.example.cn/gis/collections/buildings"), link
    following = next(link["href"] for link in body["links"] if link["rel"] == "next")
    path = following.removeprefix("https://twin.example.cn/gis")
    assert client.get(path).json()["numberReturned"] == 5


def test_properties_selection(client):
    body = client.get("/collections/buildings/items",
                      params={"properties": "name,height", "limit": 3}).json()
    for feature in body["features"]:
        assert set(feature["properties"]) == {"name", "height"}
        assert feature["id"]
    bad = client.get("/collections/buildings/items", params={"properties": "name,colour"})
    assert bad.status_code == 400 and "colour" in bad.json()["detail"]


def test_sortby_descending_then_paging_continues_in_order(client):
    pages = walk(client, "/collections/buildings/items?sortby=-height,code&limit=50")
    heights = [f["properties"]["height"] for page in pages for f in page["features"]]
    ids = [f["id"] for page in pages for f in page["features"]]
    assert len(ids) == len(set(ids)) == pages[0]["numberMatched"]
    assert heights == sorted(heights, reverse=True)
    bad = client.get("/collections/buildings/items", params={"sortby": "colour"})
    assert bad.status_code == 400 and bad.json()["field"] == "sortby"


def test_conformance_declares_the_features_classes(client):
    classes = set(client.get("/conformance").json()["conformsTo"])
    for part in ("ogcapi-features-1/1.0/conf/core", "ogcapi-features-1/1.0/conf/geojson",
                 "ogcapi-features-2/1.0/conf/crs", "ogcapi-features-3/1.0/conf/filter",
                 "ogcapi-features-3/1.0/conf/features-filter", "cql2/1.0/conf/cql2-text",
                 "cql2/1.0/conf/cql2-json", "ogcapi-features-4/1.0/conf/create-replace-delete"):
        assert f"http://www.opengis.net/spec/{part}" in classes


def test_collection_lists_the_gk_zones(client):
    crs = client.get("/collections/buildings").json()["crs"]
    assert "http://www.opengis.net/def/crs/EPSG/0/4547" in crs and CRS84 in crs


def test_every_layer_serves_items_item_and_pages(client):
    for layer in LAYERS:
        body = client.get(f"/collections/{layer}/items", params={"limit": 3}).json()
        assert body["numberReturned"] == 3, layer
        second = client.get(next(link["href"] for link in body["links"]
                                 if link["rel"] == "next")).json()
        assert not {f["id"] for f in body["features"]} & {f["id"] for f in second["features"]}
        code = body["features"][0]["id"]
        item = client.get(f"/collections/{layer}/items/{code}")
        assert item.status_code == 200 and item.json()["id"] == code, layer


def test_admin_areas_filter_by_bbox_and_refuse_datetime(client):
    body = client.get("/collections/admin_areas/items", params={
        "bbox": "113.9,22.5,113.95,22.55", "limit": 100, "filter": "level = 'township'"}).json()
    assert body["numberMatched"] >= 1
    assert all(f["properties"]["level"] == "township" for f in body["features"])
    assert all(f["id"].startswith("440305") for f in body["features"])
    refused = client.get("/collections/admin_areas/items", params={"datetime": "2020-01-01"})
    assert refused.status_code == 400 and refused.json()["field"] == "datetime"


def test_openapi_declares_reads_writes_and_queryables(client):
    response = client.get("/api")
    assert response.headers["content-type"] == "application/vnd.oai.openapi+json;version=3.0"
    paths = response.json()["paths"]
    for layer in LAYERS:
        assert "get" in paths[f"/collections/{layer}/items"]
        assert "get" in paths[f"/collections/{layer}/items/{{featureId}}"]
    # writes are documented on each editable layer's own paths, where they are served
    writes = paths["/collections/buildings/items/{featureId}"]
    assert {"put", "patch", "delete"} <= set(writes)
    assert "application/geo+json" in writes["put"]["requestBody"]["content"]
    assert "post" in paths["/collections/buildings/items"]
    assert "get" in paths["/collections/{collectionId}/queryables"]
