"""pygeoapi beside the twin: our plugins inside pygeoapi, and pygeoapi's own provider.

1. The twin's provider plugin (api/pygeoapi/provider.py), named in a pygeoapi config,
   serves the twin's layers from either store: the tests compare with the store.
2. Differential (PostGIS): pygeoapi's own PostgreSQL provider over the very same table
   and the twin's server answer the same queries the same way.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from twin.layers import LAYERS

from .peers import EPSG_4490, postgresql_resource, start_pygeoapi
from .servers import RunningServer, TwinServer, stop

pytestmark = pytest.mark.clients

BUILDINGS = LAYERS["buildings"].table
BOX = (113.92, 22.52, 113.96, 22.56)
BBOX = ",".join(map(str, BOX))
EPSG_4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
SHARED_PROPERTIES = ("name", "floors", "height", "use", "year_built", "status",
                     "township_code", "community_code", "address_code", "grid_code")


@pytest.fixture(scope="session")
def pygeoapi_server(twin_server: TwinServer, tmp_path_factory: pytest.TempPathFactory
                    ) -> Iterator[RunningServer]:
    """pygeoapi with the twin's plugins (layers and geocoder) over the store, and on PostGIS
    its own PostgreSQL provider over the same building table."""
    url = twin_server.engine.url.render_as_string(hide_password=False)
    extra = {"pg_buildings": postgresql_resource(url)} if twin_server.store == "postgis" else {}
    server = start_pygeoapi(url, tmp_path_factory.mktemp("pygeoapi"), extra=extra)
    try:
        yield server
    finally:
        stop(server.process)


def get(base: str, path: str, **params: str | int) -> dict:
    """GET JSON from a server; fail with the body when it is not a 200."""
    response = httpx.get(f"{base}{path}", params={"f": "json", **params}, timeout=60)
    assert response.status_code == 200, f"{response.url} → {response.status_code}: {response.text}"
    return response.json()


def store_codes(server: TwinServer, *where: object) -> set[str]:
    with server.engine.connect() as conn:
        return set(conn.scalars(select(BUILDINGS.c.code).where(*where)))


def in_box() -> object:
    x0, y0, x1, y1 = BOX
    env = func.ST_GeomFromText(
        f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))", 4490
    )
    return func.ST_Intersects(BUILDINGS.c.geom, env)


def first_xy(feature: dict) -> tuple[float, float]:
    x, y = feature["geometry"]["coordinates"][0][0][0][:2]
    return x, y


# -- the twin's provider plugin inside pygeoapi -------------------------------------------

def test_plugin_bbox_page_matches_the_store(twin_server: TwinServer,
                                            pygeoapi_server: RunningServer) -> None:
    page = get(pygeoapi_server.url, "/collections/buildings/items", bbox=BBOX, limit=1000)
    expected = store_codes(twin_server, in_box())
    assert expected
    assert page["numberMatched"] == len(expected)
    assert {f["id"] for f in page["features"]} == expected
    # The config declares storage CRS EPSG:4490 (latitude first by authority), yet the
    # plugin reads the bbox and writes CRS84 longitude first.
    lon, lat = first_xy(page["features"][0])
    assert 113.9 < lon < 114.0 and 22.5 < lat < 22.6


def test_plugin_item_is_the_store_row(twin_server: TwinServer,
                                      pygeoapi_server: RunningServer) -> None:
    with twin_server.engine.connect() as conn:
        row = conn.execute(select(BUILDINGS).order_by(BUILDINGS.c.id).offset(7).limit(1)
                           ).mappings().one()
        x, y = conn.execute(select(func.ST_X(func.ST_PointN(func.ST_ExteriorRing(
            func.ST_GeometryN(BUILDINGS.c.geom, 1)), 1)), func.ST_Y(func.ST_PointN(
            func.ST_ExteriorRing(func.ST_GeometryN(BUILDINGS.c.geom, 1)), 1))
        ).where(BUILDINGS.c.code == row["code"])).one()
    item = get(pygeoapi_server.url, f"/collections/buildings/items/{row['code']}")
    assert item["id"] == row["code"]
    for name in SHARED_PROPERTIES:
        assert item["properties"][name] == row[name], name
    # Served with the routes' precision: 9 decimals (about 0.1 mm).
    assert first_xy(item) == pytest.approx((x, y), abs=1e-9)


def test_plugin_answers_in_epsg_4326_latitude_first(pygeoapi_server: RunningServer) -> None:
    default = get(pygeoapi_server.url, "/collections/buildings/items", bbox=BBOX, limit=1)
    in_4326 = get(pygeoapi_server.url, "/collections/buildings/items", bbox=BBOX, limit=1,
                  crs=EPSG_4326)
    lon, lat = first_xy(default["features"][0])
    assert first_xy(in_4326["features"][0]) == pytest.approx((lat, lon), abs=1e-6)


def test_plugin_cql2_filter_and_sort(twin_server: TwinServer,
                                     pygeoapi_server: RunningServer) -> None:
    page = get(pygeoapi_server.url, "/collections/buildings/items", limit=1000,
               filter="floors >= 7 AND use = '住宅'", sortby="-height")
    expected = store_codes(twin_server, BUILDINGS.c.floors >= 7, BUILDINGS.c.use == "住宅")
    assert expected
    assert {f["id"] for f in page["features"]} == expected
    heights = [f["properties"]["height"] for f in page["features"]]
    assert heights == sorted(heights, reverse=True)


def test_plugin_datetime_on_the_address_tree(twin_server: TwinServer,
                                             pygeoapi_server: RunningServer) -> None:
    addresses = LAYERS["addresses"].table
    with twin_server.engine.connect() as conn:
        total = conn.scalar(select(func.count()).select_from(addresses))
    current = get(pygeoapi_server.url, "/collections/addresses/items", limit=1,
                  datetime="2000-01-01/..")
    assert current["numberMatched"] == total  # every address is valid now
    before = get(pygeoapi_server.url, "/collections/addresses/items", limit=1,
                 datetime="../1900-01-01")
    assert before["numberMatched"] == 0
    # Divisions carry no time at all (buildings have their last change, as on the routes).
    response = httpx.get(f"{pygeoapi_server.url}/collections/admin_areas/items",
                         params={"f": "json", "datetime": "2020-01-01"})
    assert response.status_code == 400 and "no time" in response.text


def test_plugin_refuses_an_unknown_property_clearly(pygeoapi_server: RunningServer) -> None:
    response = httpx.get(f"{pygeoapi_server.url}/collections/buildings/items",
                         params={"f": "json", "filter": "storeys > 3"})
    assert response.status_code == 400, response.text
    assert "storeys" in response.text


def test_plugin_keeps_people_out_and_hashes_hidden(pygeoapi_server: RunningServer) -> None:
    collections = {c["id"] for c in get(pygeoapi_server.url, "/collections")["collections"]}
    assert "buildings" in collections and "addresses" in collections
    assert "people" not in collections


# -- the provider plugin and the twin's own routes: one service, the same answers ---------

SAME_QUERIES = [
    ("buildings", {"bbox": BBOX, "limit": 50}),
    ("buildings", {"filter": "floors >= 7 AND use = '住宅'", "sortby": "-height", "limit": 30}),
    ("buildings", {"floors": "6", "limit": 40}),
    ("addresses", {"datetime": "2000-01-01/..", "level": "door", "limit": 25}),
    ("roads", {"datetime": "2000-01-01T00:00:00Z/..", "sortby": "name", "limit": 15}),
    ("city_objects", {"limit": 10}),
    ("organizations", {"bbox": BBOX, "sortby": "name", "limit": 20}),
]


def _route_page(twin: TwinServer, layer: str, params: dict) -> dict:
    """The twin's own answer; the bbox and filter are CRS84, as pygeoapi is asked."""
    return get(twin.url, f"/collections/{layer}/items", **params)


@pytest.mark.parametrize(("layer", "params"), SAME_QUERIES)
def test_plugin_and_routes_give_the_same_features(twin_server: TwinServer,
                                                  pygeoapi_server: RunningServer,
                                                  layer: str, params: dict) -> None:
    ours = _route_page(twin_server, layer, params)
    theirs = get(pygeoapi_server.url, f"/collections/{layer}/items", **params)
    assert [f["id"] for f in theirs["features"]] == [f["id"] for f in ours["features"]]
    assert theirs.get("numberMatched") == ours.get("numberMatched")
    for mine, peer in zip(ours["features"], theirs["features"], strict=True):
        # Same values of the same JSON types: dates, numbers, JSON columns alike.
        assert peer["properties"] == mine["properties"], mine["id"]
        assert _close(peer["geometry"]["coordinates"], mine["geometry"]["coordinates"])


def test_plugin_spatial_filter_like_the_routes(twin_server: TwinServer,
                                              pygeoapi_server: RunningServer) -> None:
    polygon = ("POLYGON((113.92 22.52, 113.96 22.52, 113.96 22.56, 113.92 22.56, "
               "113.92 22.52))")
    ours = _route_page(twin_server, "buildings", {"filter": f"S_INTERSECTS(geometry, {polygon})",
                                                   "limit": 20})
    # pygeoapi reads filters as ECQL (no S_ prefix) and hands the plugin the parsed filter
    # in the storage CRS's axis order.
    theirs = get(pygeoapi_server.url, "/collections/buildings/items", limit=20,
                 filter=f"INTERSECTS(geometry, {polygon})")
    assert [f["id"] for f in theirs["features"]] == [f["id"] for f in ours["features"]]
    assert len(ours["features"]) == 20
    assert theirs.get("numberMatched") == ours.get("numberMatched")


def test_plugin_pages_by_offset_like_the_routes_next_links(twin_server: TwinServer,
                                                           pygeoapi_server: RunningServer
                                                           ) -> None:
    first = _route_page(twin_server, "buildings", {"sortby": "code", "limit": 10,
                                                   "bbox": BBOX})
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    second = httpx.get(nxt, timeout=60).json()
    theirs = get(pygeoapi_server.url, "/collections/buildings/items", sortby="code", limit=10,
                 offset=10, bbox=BBOX)
    assert [f["id"] for f in theirs["features"]] == [f["id"] for f in second["features"]]
    unsorted = _route_page(twin_server, "buildings", {"limit": 10})
    nxt = next(link["href"] for link in unsorted["links"] if link["rel"] == "next")
    theirs = get(pygeoapi_server.url, "/collections/buildings/items", limit=10, offset=10)
    assert [f["id"] for f in theirs["features"]] == [
        f["id"] for f in httpx.get(nxt, timeout=60).json()["features"]]


@pytest.mark.parametrize("layer", ["buildings", "addresses", "city_objects"])
def test_plugin_and_routes_describe_the_same_types(twin_server: TwinServer,
                                                   pygeoapi_server: RunningServer,
                                                   layer: str) -> None:
    ours = get(twin_server.url, f"/collections/{layer}/queryables")["properties"]
    theirs = get(pygeoapi_server.url, f"/collections/{layer}/queryables")["properties"]
    shared = (set(ours) & set(theirs)) - {"geometry"}
    assert len(shared) >= 5
    for name in shared:
        assert (theirs[name].get("type"), theirs[name].get("format")) == (
            ours[name].get("type"), ours[name].get("format")), name
    # JSON columns are served as their values (a list of aliases, an object of attributes),
    # and described so: never as text.
    json_columns = {"addresses": ("aliases", "array"), "city_objects": ("attributes", "object")}
    if layer in json_columns:
        name, kind = json_columns[layer]
        assert theirs[name]["type"] == kind
        feature = get(pygeoapi_server.url, f"/collections/{layer}/items", limit=1)["features"][0]
        assert isinstance(feature["properties"][name], list if kind == "array" else dict)


def test_plugin_refuses_what_the_routes_refuse(twin_server: TwinServer,
                                               pygeoapi_server: RunningServer) -> None:
    for params in ({"filter": "floors >= 'many'"}, {"sortby": "geom"},
                   {"datetime": "yesterday"}):
        ours = httpx.get(f"{twin_server.url}/collections/buildings/items",
                         params={"f": "json", **params}, timeout=60)
        theirs = httpx.get(f"{pygeoapi_server.url}/collections/buildings/items",
                           params={"f": "json", **params}, timeout=60)
        assert ours.status_code == 400, (params, ours.text)
        assert theirs.status_code == 400, (params, theirs.text)


# -- the twin's geocoding process inside pygeoapi -----------------------------------------

def execute(server: RunningServer, inputs: dict) -> httpx.Response:
    return httpx.post(f"{server.url}/processes/geocode/execution", json={"inputs": inputs},
                      timeout=120)


def test_geocode_process_finds_rooms(twin_server: TwinServer,
                                     pygeoapi_server: RunningServer) -> None:
    addresses = LAYERS["addresses"].table
    with twin_server.engine.connect() as conn:
        rooms = conn.execute(select(addresses.c.code, addresses.c.full_text)
                             .where(addresses.c.level == "room")
                             .order_by(addresses.c.id).offset(40).limit(3)).all()
    # Full-width digits, as typed on a phone: the geocoder normalises them.
    typed = [text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
             for _, text in rooms]
    response = execute(pygeoapi_server, {"addresses": typed})
    assert response.status_code == 200, response.text
    results = response.json()["value"]
    assert [r["code"] for r in results] == [code for code, _ in rooms]
    assert all(r["status"] == "matched" and r["level"] == "room" for r in results)
    one = execute(pygeoapi_server, {"address": typed[0], "crs": "WGS84"}).json()["value"]
    assert one["code"] == rooms[0][0] and one["crs"] == "WGS84"


def test_geocode_process_says_what_is_wrong(pygeoapi_server: RunningServer) -> None:
    response = execute(pygeoapi_server, {"addresses": "not a list"})
    assert response.status_code == 400, response.text
    assert "list of strings" in response.text
    assert execute(pygeoapi_server, {"address": "火星市奥林匹斯山1号"}).json()["value"][
        "status"] in ("unmatched", "partial")


# -- differential: pygeoapi's PostgreSQL provider and the twin, same PostGIS table ---------

# pygeoapi's PostgreSQL provider reads PostGIS only: these run on the PostGIS store.
on_postgis = pytest.mark.parametrize("twin_server", ["postgis"], indirect=True)


@pytest.fixture
def postgis_pair(twin_server: TwinServer, pygeoapi_server: RunningServer
                 ) -> tuple[TwinServer, RunningServer]:
    assert twin_server.store == "postgis"
    return twin_server, pygeoapi_server


@on_postgis
def test_differential_counts_agree(postgis_pair: tuple[TwinServer, RunningServer]) -> None:
    twin, peer = postgis_pair
    ours = get(twin.url, "/collections/buildings/items", limit=1)
    theirs = get(peer.url, "/collections/pg_buildings/items", limit=1)
    assert ours["numberMatched"] == theirs["numberMatched"] == len(store_codes(twin))


@on_postgis
def test_differential_bbox_pages_agree(postgis_pair: tuple[TwinServer, RunningServer]) -> None:
    twin, peer = postgis_pair
    ours = get(twin.url, "/collections/buildings/items", bbox=BBOX, limit=1000)
    # pygeoapi 0.21 reads a CRS84 bbox into EPSG:4490 latitude-first and then builds the
    # envelope longitude-first, so it finds nothing; giving the bbox "in EPSG:4490" with
    # longitude first is the only way to make it look where the buildings are.
    theirs = get(peer.url, "/collections/pg_buildings/items", bbox=BBOX, limit=1000,
                 **{"bbox-crs": EPSG_4490})
    assert ours["numberMatched"] == theirs["numberMatched"] > 0
    assert {f["id"] for f in ours["features"]} == {f["id"] for f in theirs["features"]}
    # The same first page in the same order when both sort by code.
    ours_page = get(twin.url, "/collections/buildings/items", bbox=BBOX, limit=10, sortby="code")
    theirs_page = get(peer.url, "/collections/pg_buildings/items", bbox=BBOX, limit=10,
                      sortby="code", **{"bbox-crs": EPSG_4490})
    assert [f["id"] for f in ours_page["features"]] == [f["id"] for f in theirs_page["features"]]


@on_postgis
def test_differential_items_agree(postgis_pair: tuple[TwinServer, RunningServer]) -> None:
    twin, peer = postgis_pair
    codes = sorted(store_codes(twin))[::60]
    for code in codes:
        ours = get(twin.url, f"/collections/buildings/items/{code}")
        # Asking pygeoapi for EPSG:4490 skips its (axis-swapping) transform: raw lon/lat.
        theirs = get(peer.url, f"/collections/pg_buildings/items/{code}", crs=EPSG_4490)
        assert ours["id"] == theirs["id"] == code
        for name in SHARED_PROPERTIES:
            assert ours["properties"][name] == theirs["properties"][name], (code, name)
        assert ours["geometry"]["type"] == theirs["geometry"]["type"]
        assert _close(ours["geometry"]["coordinates"], theirs["geometry"]["coordinates"]), code


@on_postgis
def test_differential_cql2_filter_agrees(postgis_pair: tuple[TwinServer, RunningServer]) -> None:
    twin, peer = postgis_pair
    cql = "floors >= 7 AND use = '住宅'"
    ours = get(twin.url, "/collections/buildings/items", limit=1000, filter=cql,
               **{"filter-lang": "cql2-text"})
    theirs = get(peer.url, "/collections/pg_buildings/items", limit=1000, filter=cql)
    assert {f["id"] for f in ours["features"]} == {f["id"] for f in theirs["features"]}
    assert theirs["numberMatched"] == len(theirs["features"]) > 0
    # The twin may leave numberMatched out when counting would outrun its time budget.
    assert ours.get("numberMatched", theirs["numberMatched"]) == theirs["numberMatched"]


@on_postgis
def test_pygeoapi_own_provider_swaps_cgcs2000_axes(
    postgis_pair: tuple[TwinServer, RunningServer],
) -> None:
    """Why the twin serves CGCS2000 itself: pygeoapi's default answer is latitude first."""
    twin, peer = postgis_pair
    code = sorted(store_codes(twin))[0]
    ours = get(twin.url, f"/collections/buildings/items/{code}")
    theirs = get(peer.url, f"/collections/pg_buildings/items/{code}")  # default CRS84
    lon, lat = first_xy(ours)
    assert 113 < lon < 115 and 22 < lat < 23
    assert first_xy(theirs) == pytest.approx((lat, lon), abs=1e-6)
    # …and a CRS84 bbox lands in the sea.
    assert get(peer.url, "/collections/pg_buildings/items", bbox=BBOX)["numberMatched"] == 0


def _close(a: object, b: object, tol: float = 1e-9) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, tol) for x, y in zip(a, b, strict=True))
    return abs(float(a) - float(b)) <= tol  # type: ignore[arg-type]
