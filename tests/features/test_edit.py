"""OGC API - Features Part 4 on both stores: auth, create/replace/update/delete, ETags."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from pyproj import Transformer
from sqlalchemy import func, select

from twin.codes.check import mod11_2
from twin.models import AuditEntry, CodeRecord

from .conftest import SENSITIVE, WRITER

SQUARE = [[[113.9301, 22.5201], [113.9303, 22.5201], [113.9303, 22.5203], [113.9301, 22.5203],
           [113.9301, 22.5201]]]


def building_code(sequence: int) -> str:
    body = f"4403050012024{sequence:04d}00000"
    return body + mod11_2(body)


def new_building(code: str, **props) -> dict:
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": SQUARE},
            "properties": {"code": code, "name": "测试楼", "floors": 6, "height": 19.5,
                           "use": "办公", "year_built": 2024, "township_code": "440305002000",
                           **props}}


def audit(client, object_id):
    with client.engine.connect() as conn:
        rows = conn.execute(select(AuditEntry.__table__).where(
            AuditEntry.__table__.c.object_id == object_id).order_by(AuditEntry.__table__.c.id))
        return [(r.action, r.actor, r.layer) for r in rows]


def test_writes_need_a_key_with_the_write_scope(edit_client):
    body = new_building(building_code(9001))
    anonymous = edit_client.post("/collections/buildings/items", json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    wrong_scope = edit_client.post("/collections/buildings/items", json=body, headers=SENSITIVE)
    assert wrong_scope.status_code == 403
    bad_key = edit_client.post("/collections/buildings/items", json=body,
                               headers={"X-API-Key": "guess"})
    assert bad_key.status_code == 401
    assert edit_client.get(f"/collections/buildings/items/{body['properties']['code']}"
                           ).status_code == 404


def test_create_then_read_back_with_location_and_etag(edit_client):
    code = building_code(9002)
    response = edit_client.post("/collections/buildings/items", json=new_building(code),
                                headers=WRITER)
    assert response.status_code == 201, response.text
    assert response.headers["location"].endswith(f"/collections/buildings/items/{code}")
    assert response.headers["etag"] == '"1"'
    assert response.json()["links"][0]["href"] == response.headers["location"]
    feature = edit_client.get(response.headers["location"].split("testserver")[1]).json()
    assert feature["properties"]["status"] == "active"
    assert feature["geometry"]["type"] == "MultiPolygon"  # promoted to the layer's type
    assert feature["geometry"]["coordinates"][0] == SQUARE
    with edit_client.engine.connect() as conn:
        record = conn.execute(select(CodeRecord.__table__).where(
            CodeRecord.__table__.c.code == code)).one()
    assert record.status == "active" and record.object_type == "building"
    assert audit(edit_client, code)[0][0] == "create"
    again = edit_client.post("/collections/buildings/items", json=new_building(code),
                             headers=WRITER)
    assert again.status_code == 409


@pytest.mark.parametrize(("change", "field"), [
    ({"properties": {"code": building_code(9003)[:-1] + ("0" if building_code(9003)[-1] != "0"
                                                        else "1")}}, "check"),
    ({"properties": {"floors": "six"}}, "floors"),
    ({"properties": {"colour": "red"}}, "colour"),
    ({"properties": {"status": "gone"}}, "status"),
    ({"geometry": {"type": "Point", "coordinates": [113.93, 22.52]}}, "geometry"),
    ({"geometry": {"type": "Polygon", "coordinates": [[[113.93, 22.52], [113.94, 22.53],
                                                      [113.94, 22.52], [113.93, 22.53],
                                                      [113.93, 22.52]]]}}, "geometry"),
    ({"geometry": {"type": "Polygon", "coordinates": [[[22.52, 113.93], [22.52, 113.94],
                                                      [22.53, 113.94], [22.52, 113.93]]]}},
     "geometry"),
    ({"type": "FeatureCollection"}, "type"),
])
def test_create_refuses_bad_features_naming_the_field(edit_client, change, field):
    body = new_building(building_code(9003))
    for key, value in change.items():
        if key == "properties":
            body["properties"].update(value)
        else:
            body[key] = value
    response = edit_client.post("/collections/buildings/items", json=body, headers=WRITER)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field, response.json()


def test_a_store_rule_is_checked_before_the_store_and_named(edit_client):
    body = new_building(building_code(9004), floors=-2)
    response = edit_client.post("/collections/buildings/items", json=body, headers=WRITER)
    assert response.status_code == 400
    problem = response.json()
    assert problem["field"] == "floors" and problem["value"] == "-2"
    assert "ck_building_floors" in problem["detail"]


def test_a_reference_the_store_lacks_is_400_not_500(edit_client):
    body = new_building(building_code(9041), address_code="NO-SUCH-ADDRESS")
    response = edit_client.post("/collections/buildings/items", json=body, headers=WRITER)
    assert response.status_code == 400
    problem = response.json()
    assert (problem["field"], problem["value"]) == ("address_code", "NO-SUCH-ADDRESS")
    assert problem["detail"] == "no address with code NO-SUCH-ADDRESS"
    assert edit_client.get(f"/collections/buildings/items/{building_code(9041)}"
                           ).status_code == 404


def test_content_crs_reads_the_body_in_a_gk_zone(edit_client):
    to_gk = Transformer.from_crs(4490, 4547, always_xy=True)
    ring = [list(reversed(to_gk.transform(x, y))) for x, y in SQUARE[0]]  # northing first
    code = building_code(9005)
    body = new_building(code)
    body["geometry"] = {"type": "Polygon", "coordinates": [ring]}
    response = edit_client.post("/collections/buildings/items", json=body, headers={
        **WRITER, "Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/4547>"})
    assert response.status_code == 201, response.text
    stored = response.json()["geometry"]["coordinates"][0][0]
    for got, want in zip(stored, SQUARE[0], strict=True):
        assert got == pytest.approx(want, abs=1e-8)


def test_replace_and_update_keep_the_code_and_lock_optimistically(edit_client):
    code = building_code(9006)
    created = edit_client.post("/collections/buildings/items", json=new_building(code),
                               headers=WRITER)
    url = f"/collections/buildings/items/{code}"
    etag = created.headers["etag"]
    replaced = edit_client.put(url, json=new_building(code, floors=9, name="改建楼"),
                               headers={**WRITER, "If-Match": etag})
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["etag"] == '"2"'
    assert replaced.json()["properties"]["floors"] == 9
    stale = edit_client.patch(url, json={"properties": {"floors": 10}},
                              headers={**WRITER, "If-Match": etag})
    assert stale.status_code == 412
    patched = edit_client.patch(url, json={"properties": {"height": 31.0}},
                                headers={**WRITER, "If-Match": '"2"',
                                         "Content-Type": "application/merge-patch+json"})
    assert patched.status_code == 200, patched.text
    props = patched.json()["properties"]
    assert (props["height"], props["floors"], props["name"], props["code"]) == (
        31.0, 9, "改建楼", code)
    assert edit_client.get(url).headers["etag"] == '"3"'
    retiring = edit_client.patch(url, json={"properties": {"status": "demolished"}},
                                 headers=WRITER)
    assert retiring.status_code == 400 and "DELETE" in retiring.json()["detail"]
    recoded = edit_client.patch(url, json={"properties": {"code": building_code(9007)}},
                                headers=WRITER)
    assert recoded.status_code == 400 and "keeps its code" in recoded.json()["detail"]
    assert [a[0] for a in audit(edit_client, code)] == ["create", "replace", "update"]


def test_delete_retires_and_never_erases(edit_client):
    code = building_code(9008)
    edit_client.post("/collections/buildings/items", json=new_building(code), headers=WRITER)
    url = f"/collections/buildings/items/{code}"
    assert edit_client.delete(url, headers={**WRITER, "If-Match": '"7"'}).status_code == 412
    gone = edit_client.delete(url, headers={**WRITER, "If-Match": '"1"'})
    assert gone.status_code == 204
    kept = edit_client.get(url)
    assert kept.status_code == 200 and kept.json()["properties"]["status"] == "demolished"
    with edit_client.engine.connect() as conn:
        record = conn.execute(select(CodeRecord.__table__).where(
            CodeRecord.__table__.c.code == code)).one()
    assert record.status == "retired" and record.retired_at is not None
    assert edit_client.delete(url, headers=WRITER).status_code == 409
    assert edit_client.patch(url, json={"properties": {"floors": 2}},
                             headers=WRITER).status_code == 409
    reused = edit_client.post("/collections/buildings/items", json=new_building(code),
                              headers=WRITER)
    assert reused.status_code == 409


def test_deleting_a_sample_address_ends_its_validity(edit_client):
    feature = edit_client.get("/collections/addresses/items",
                              params={"level": "room", "limit": 1}).json()["features"][0]
    code = feature["id"]
    assert edit_client.delete(f"/collections/addresses/items/{code}",
                              headers=WRITER).status_code == 204
    after = edit_client.get(f"/collections/addresses/items/{code}").json()["properties"]
    assert after["status"] == "retired" and after["valid_to"] is not None
    later = edit_client.get("/collections/addresses/items", params={
        "datetime": "2999-01-01/..", "level": "room", "limit": 10000}).json()
    assert code not in {f["id"] for f in later["features"]}
    assert later["numberMatched"] > 0


def test_read_only_layers_refuse_writes(edit_client):
    code = edit_client.get("/collections/roads/items?limit=1").json()["features"][0]["id"]
    response = edit_client.delete(f"/collections/roads/items/{code}", headers=WRITER)
    assert response.status_code == 405
    person = edit_client.post("/collections/people/items", headers=WRITER,
                              json={"type": "Feature", "geometry": None, "properties": {}})
    assert person.status_code == 405


def test_missing_feature_edits_are_404(edit_client):
    response = edit_client.patch("/collections/buildings/items/NOPE",
                                 json={"properties": {"floors": 2}}, headers=WRITER)
    assert response.status_code == 404


def test_racing_creates_of_one_code_give_one_201_and_409s(edit_client):
    code = building_code(9010)

    def create(_):
        return edit_client.post("/collections/buildings/items", json=new_building(code),
                                headers=WRITER).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(create, range(4)))
    assert statuses == [201, 409, 409, 409]


def _placed(client, code):
    props = client.get(f"/collections/buildings/items/{code}").json()["properties"]
    return {k: props[k] for k in ("township_code", "community_code", "grid_code",
                                  "beidou_code")}


def test_a_posted_building_is_placed_and_gets_a_code(edit_client):
    from twin.codes.schemes import get_scheme

    body = new_building(None)
    del body["properties"]["code"]
    del body["properties"]["township_code"]
    response = edit_client.post("/collections/buildings/items", json=body, headers=WRITER)
    assert response.status_code == 201, response.text
    code = response.headers["location"].rsplit("/", 1)[1]
    parsed = get_scheme("building").parse(code)
    assert parsed["township"].text == "440305002" and parsed["year"].text == "2024"
    placed = _placed(edit_client, code)
    assert placed["township_code"] == "440305002000"
    assert placed["community_code"].startswith("440305002")
    assert placed["grid_code"].startswith(placed["community_code"])
    assert placed["beidou_code"].startswith("N49")
    with edit_client.engine.connect() as conn:
        record = conn.execute(select(CodeRecord.__table__).where(
            CodeRecord.__table__.c.code == code)).one()
    assert record.status == "active" and record.natural_key.startswith("fp:")
    # The same footprint again is the same building: its code, and a conflict.
    again = edit_client.post("/collections/buildings/items", json=body, headers=WRITER)
    assert again.status_code == 409 and code in again.json()["detail"]


def test_a_place_the_geometry_contradicts_is_refused(edit_client):
    body = new_building(building_code(9101), township_code="440305001000")
    response = edit_client.post("/collections/buildings/items", json=body, headers=WRITER)
    assert response.status_code == 400
    problem = response.json()
    assert problem["field"] == "township_code" and "440305002000" in problem["detail"]


def test_a_building_outside_every_township_needs_its_code(edit_client):
    body = new_building(None)
    del body["properties"]["code"]
    del body["properties"]["township_code"]
    body["geometry"]["coordinates"] = [[[x + 3, y] for x, y in ring] for ring in SQUARE]
    response = edit_client.post("/collections/buildings/items", json=body, headers=WRITER)
    assert response.status_code == 400 and response.json()["field"] == "code"


def test_moving_a_building_places_it_again(edit_client):
    code = building_code(9102)
    created = edit_client.post("/collections/buildings/items", json=new_building(code),
                               headers=WRITER)
    assert created.status_code == 201, created.text
    before = _placed(edit_client, code)
    # What a desktop client does: move the geometry, send every property back as it was.
    feature = edit_client.get(f"/collections/buildings/items/{code}").json()
    moved = [[[x - 0.03, y + 0.01] for x, y in ring] for ring in SQUARE]
    feature["geometry"] = {"type": "Polygon", "coordinates": moved}
    props = {k: v for k, v in feature["properties"].items()
             if k not in ("status", "version", "updated_at", "id")}
    response = edit_client.put(f"/collections/buildings/items/{code}", headers={
        **WRITER, "If-Match": created.headers["etag"]},
        json={"type": "Feature", "geometry": feature["geometry"], "properties": props})
    assert response.status_code == 200, response.text
    after = _placed(edit_client, code)
    assert after["beidou_code"] != before["beidou_code"]
    assert after["grid_code"] != before["grid_code"]
    assert response.json()["id"] == code  # the code stays


def test_an_address_edit_reaches_the_geocoder_at_once(edit_client):
    # Any active road: earlier tests of this module may have written roads elsewhere, so
    # the query names the road's own admin chain (深圳 and 鹤岗 both have a 南山区).
    road = edit_client.get("/collections/addresses/items", params={
        "level": "road", "status": "active", "limit": 1}).json()["features"][0]
    where = road["properties"]["full_text"].removesuffix(road["properties"]["value"])
    query = {"q": f"{where}甲乙丙路"}
    assert edit_client.get("/geocode", params=query).json()[
        "status"] != "matched"  # the geocoder's index is built now
    etag = edit_client.get(f"/collections/addresses/items/{road['id']}").headers["etag"]
    patched = edit_client.patch(f"/collections/addresses/items/{road['id']}", headers={
        **WRITER, "If-Match": etag}, json={"properties": {"aliases": ["甲乙丙路"]}})
    assert patched.status_code == 200, patched.text
    found = edit_client.get("/geocode", params=query).json()
    assert found["status"] == "matched" and found["code"] == road["id"], found


def test_the_api_and_an_import_read_a_value_by_the_same_rules(edit_client, tmp_path):
    """twin.rows: a numeric string is read as a file's cell would be; a bad one, a value
    the table's CHECK refuses and a place outside China are refused by both faces alike."""
    from twin.layers import LAYERS
    from twin.transfer import import_layer

    code = building_code(9042)
    created = edit_client.post("/collections/buildings/items",
                               json=new_building(code, floors="7"), headers=WRITER)
    assert created.status_code == 201, created.text
    assert created.json()["properties"]["floors"] == 7
    url = f"/collections/addresses/items/{_any_address(edit_client)}"
    demolished = edit_client.patch(url, json={"properties": {"status": "demolished"}},
                                   headers=WRITER)
    assert demolished.status_code == 400 and demolished.json()["field"] == "status"
    far = new_building(building_code(9043))
    far["geometry"]["coordinates"] = [[[2.35, 48.85], [2.36, 48.85], [2.36, 48.86],
                                       [2.35, 48.86], [2.35, 48.85]]]
    refused = edit_client.post("/collections/buildings/items", json=far, headers=WRITER)
    assert refused.status_code == 400 and "outside China" in refused.json()["detail"]
    path = tmp_path / "far.csv"
    path.write_text("code,floors,wkt\nFAR1,3,\"POLYGON ((2.35 48.85, 2.36 48.85, 2.36 48.86, "
                    "2.35 48.85))\"\nFAR2,six,\"POLYGON ((113.93 22.52, 113.931 22.52, "
                    "113.931 22.521, 113.93 22.52))\"\n", encoding="utf-8")
    report = import_layer(edit_client.engine, LAYERS["buildings"], path)
    assert report.inserted == 0
    assert [(p.row, p.field) for p in report.problems] == [(2, "geometry"), (3, "floors")]
    assert "outside China" in report.problems[0].reason


def _any_address(client) -> str:
    return client.get("/collections/addresses/items", params={"limit": 1}).json()[
        "features"][0]["id"]


def _sample_building(client) -> str:
    from twin.models import Building

    with client.engine.connect() as conn:
        return conn.execute(select(Building.code).order_by(Building.code)).scalars().first()


def test_every_layer_of_the_twin_places_what_the_api_creates(edit_client):
    """落图 on create for each editable layer: township, community and grid from the
    geometry, as twin.placement finds them; a place the geometry contradicts is refused."""
    from shapely import Point

    from twin.codes.check import uscc_check
    from twin.placement import PlacementIndex

    point = [113.9302, 22.5202]
    expected = PlacementIndex.from_store(edit_client.engine).place(Point(*point))
    assert expected["township_code"] == "440305002000"
    house = _sample_building(edit_client)[:17] + "09999"
    org = "91440305002999990"
    bodies = {
        "houses": {"code": house + mod11_2(house), "building_code": _sample_building(
            edit_client), "room": "9999室"},
        "organizations": {"code": org + uscc_check(org), "name": "落图测试单位"},
        "addresses": {"code": f"{expected['community_code']}99010001000000", "level": "door",
                      "value": "9999号", "full_text": "南山区测试路9999号",
                      "county_code": "440305000000"},
        "city_objects": {"code": "4403050101999999", "object_type": "路灯"},
    }
    for layer, props in bodies.items():
        response = edit_client.post(f"/collections/{layer}/items", headers=WRITER, json={
            "type": "Feature", "geometry": {"type": "Point", "coordinates": point},
            "properties": props})
        assert response.status_code == 201, (layer, response.text)
        placed = response.json()["properties"]
        assert {k: placed[k] for k in ("township_code", "community_code", "grid_code")} == {
            k: expected[k] for k in ("township_code", "community_code", "grid_code")}, layer
        assert placed["grid_code"].startswith(placed["community_code"])
    wrong = edit_client.post("/collections/organizations/items", headers=WRITER, json={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": point},
        "properties": {"code": "91350100M000100Y43", "name": "错位单位",
                       "community_code": "440305001001"}})
    assert wrong.status_code == 400 and wrong.json()["field"] == "community_code"


def test_a_house_written_through_the_api_gets_its_3d_code(edit_client):
    """A created house is lifted to its storey in its building; moving it to another floor
    lifts it again; a floor that names no storey leaves it without one."""
    from twin.codes import beidou
    from twin.models import Building

    building = _sample_building(edit_client)
    with edit_client.engine.connect() as conn:
        floors, height = conn.execute(select(Building.floors, Building.height)
                                      .where(Building.code == building)).one()
    body = building[:17] + "09998"
    code = body + mod11_2(body)
    point = [113.9302, 22.5202]
    created = edit_client.post("/collections/houses/items", headers=WRITER, json={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": point},
        "properties": {"code": code, "building_code": building, "floor": "2层",
                       "room": "201室"}})
    assert created.status_code == 201, created.text
    storey = height / floors
    for floor, middle in (("2层", 1.5 * storey), ("1层", 0.5 * storey)):
        if floor == "1层":
            moved = edit_client.patch(f"/collections/houses/items/{code}", headers=WRITER,
                                      json={"properties": {"floor": floor}})
            assert moved.status_code == 200, moved.text
        got = edit_client.get(f"/collections/houses/items/{code}").json()["properties"]
        cell = beidou.decode_3d(got["beidou_code_3d"])
        assert cell.contains(*point) and cell.bottom <= middle < cell.top
    unnamed = edit_client.patch(f"/collections/houses/items/{code}", headers=WRITER,
                                json={"properties": {"floor": "夹层"}})
    assert unnamed.json()["properties"]["beidou_code_3d"] is None


def test_a_building_edit_lifts_its_houses_again(edit_client):
    """A building's height, floors or footprint decide its houses' 3D codes: an edit of them
    lifts every house again in the same write (new house versions, an audit line each), and
    /codes reads the new code as the house's cell, the old one as no one's."""
    from shapely import affinity
    from shapely.geometry import shape

    from twin.codes import beidou
    from twin.models import Building, House

    with edit_client.engine.connect() as conn:
        # The building with fewest houses (a few reads a house), the last of those by code.
        building = conn.execute(select(House.building_code).where(House.geom.is_not(None))
                                .group_by(House.building_code)
                                .order_by(func.count(), House.building_code.desc())
                                ).scalars().first()
        floors, height = conn.execute(select(Building.floors, Building.height)
                                      .where(Building.code == building)).one()
        houses = conn.execute(select(House.code).where(House.building_code == building)
                              .order_by(House.code)).scalars().all()
    # A house without a point of its own stands on its building's footprint.
    body = building[:17] + "09997"
    pointless = body + mod11_2(body)
    created = edit_client.post("/collections/houses/items", headers=WRITER, json={
        "type": "Feature", "geometry": None,
        "properties": {"code": pointless, "building_code": building, "floor": "1层"}})
    assert created.status_code == 201, created.text

    def read(code):
        got = edit_client.get(f"/collections/houses/items/{code}")
        return got.json(), got.headers["etag"]

    before = {code: read(code) for code in (*houses, pointless)}
    footprint = shape(edit_client.get(f"/collections/buildings/items/{building}").json()[
        "geometry"])
    moved = affinity.translate(footprint, 0.0002, 0.0001)
    taller = edit_client.patch(f"/collections/buildings/items/{building}", headers=WRITER, json={
        "type": "Feature", "geometry": moved.__geo_interface__,
        "properties": {"floors": floors * 2, "height": height * 3}})
    assert taller.status_code == 200, taller.text
    storey = height * 3 / (floors * 2)
    writer = audit(edit_client, building)[-1][1]
    after = {code: read(code) for code in before}
    for code, (old, tag) in before.items():
        new, new_tag = after[code]
        code_3d = new["properties"]["beidou_code_3d"]
        assert code_3d != old["properties"]["beidou_code_3d"] and new_tag != tag
        n = int(new["properties"]["floor"].rstrip("层"))
        cell = beidou.decode_3d(code_3d)
        lon, lat = (new["geometry"]["coordinates"] if new["geometry"] is not None
                    else moved.representative_point().coords[0])
        assert cell.contains(lon, lat) and cell.bottom <= (n - 0.5) * storey < cell.top
        assert audit(edit_client, code)[-1] == ("update", writer, "houses")
    for code in (houses[0], pointless):  # /codes explains the new cell, not the old one
        cells = (after[code][0], before[code][0])
        new_code, old_code = (c["properties"]["beidou_code_3d"] for c in cells)
        located = [(r["code"], r["relation"], r["direction"])
                   for r in edit_client.get(f"/codes/{new_code}").json()["related"]]
        assert (code, "beidou_code_3d", "located here") in located
        gone = edit_client.get(f"/codes/{old_code}").json()["related"]
        assert code not in {r["code"] for r in gone}
    # An edit that leaves the storeys alone leaves the houses alone.
    renamed = edit_client.patch(f"/collections/buildings/items/{building}", headers=WRITER,
                                json={"properties": {"name": "改名楼"}})
    assert renamed.status_code == 200
    assert {code: read(code)[1] for code in before} == {c: t for c, (_, t) in after.items()}
    assert len(audit(edit_client, pointless)) == 2
