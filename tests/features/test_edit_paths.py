"""Write paths the other edit tests leave out, over HTTP on both stores: a code given as
the Feature id, a township and year with no building number left, an ETag not ours, a house
whose geometry is taken away, edits the store's own rules refuse.
"""

from __future__ import annotations

import threading
import time

import shapely.geometry

from tests.stores import on_postgis
from twin import models
from twin.codes import beidou, registry
from twin.codes.check import mod11_2

from .conftest import WRITER
from .test_edit import SQUARE, building_code, new_building


def test_a_bad_credit_code_given_as_the_feature_id_is_refused(edit_client):
    body = {"type": "Feature", "id": "91350100M000100Y45",
            "geometry": {"type": "Point", "coordinates": [113.93, 22.52]},
            "properties": {"name": "以编号给码"}}
    response = edit_client.post("/collections/organizations/items", json=body, headers=WRITER)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["field"] == "code" and problem["value"] == "91350100M000100Y45"
    assert problem["detail"] == ("91350100M000100Y45 is not a valid unified social credit "
                                 "code: check character is '5', expected '3'")
    assert edit_client.get("/collections/organizations/items/91350100M000100Y45"
                           ).status_code == 404


def test_a_township_year_with_no_building_number_left_is_a_conflict(edit_client):
    last = "4403050022019" "9999" "00000"
    last += mod11_2(last)
    taken = edit_client.post("/collections/buildings/items", headers=WRITER,
                             json=new_building(last, year_built=2019))
    assert taken.status_code == 201, taken.text
    body = new_building(None, year_built=2019)
    del body["properties"]["code"], body["properties"]["township_code"]
    body["geometry"]["coordinates"] = [[[x + 0.002, y] for x, y in ring] for ring in SQUARE]
    before = edit_client.get("/collections/buildings/items",
                             params={"year_built": 2019, "limit": 100}).json()
    response = edit_client.post("/collections/buildings/items", json=body, headers=WRITER)
    assert response.status_code == 409, response.text
    assert response.json()["detail"] == (
        "no building number left for township 440305002, year 2019: the code layout holds "
        "9999 per township and year")
    after = edit_client.get("/collections/buildings/items",
                            params={"year_built": 2019, "limit": 100}).json()
    assert after["numberMatched"] == before["numberMatched"]


def test_an_etag_that_is_not_ours_matches_no_version(edit_client):
    code = edit_client.get("/collections/buildings/items", params={"limit": 1}
                           ).json()["features"][0]["id"]
    url = f"/collections/buildings/items/{code}"
    before = edit_client.get(url)
    for tag in ('"stale"', 'W/"abc", "x1"'):
        response = edit_client.patch(url, json={"properties": {"floors": 77}},
                                     headers={**WRITER, "If-Match": tag})
        assert response.status_code == 412, (tag, response.text)
        assert "read it again and retry" in response.json()["detail"]
    after = edit_client.get(url)
    assert after.json() == before.json() and after.headers["etag"] == before.headers["etag"]
    weak = edit_client.patch(url, json={"properties": {"floors": 77}},
                             headers={**WRITER, "If-Match": f'"x", W/{before.headers["etag"]}'})
    assert weak.status_code == 200, weak.text  # one of the tags is the current version
    assert weak.json()["properties"]["floors"] == 77


def test_a_code_the_registry_issued_before_is_never_given_again(edit_client):
    with edit_client.engine.begin() as conn:
        code = registry.issue(conn, registry.CodeRequest(
            "building", "test:issued-elsewhere",
            {"township": "440305002", "year": 2018, "household": 0},
            object_type="building")).code
    response = edit_client.post("/collections/buildings/items", headers=WRITER,
                                json=new_building(code, year_built=2018))
    assert response.status_code == 409, response.text
    assert response.json()["detail"] == f"code {code} was issued before; a code is never reused"
    assert edit_client.get(f"/collections/buildings/items/{code}").status_code == 404


def test_a_house_without_a_point_is_lifted_from_its_buildings_footprint(edit_client):
    """A house whose point is taken away keeps a 3D code: its building's footprint is where
    it is (the cell holds the footprint's point)."""
    house = edit_client.get("/collections/houses/items", params={"limit": 1}).json()["features"][0]
    assert house["geometry"] is not None and house["properties"]["beidou_code_3d"]
    building = edit_client.get(
        f"/collections/buildings/items/{house['properties']['building_code']}").json()
    inside = shapely.geometry.shape(building["geometry"]).representative_point()
    url = f"/collections/houses/items/{house['id']}"
    response = edit_client.patch(url, json={"geometry": None}, headers=WRITER)
    assert response.status_code == 200, response.text
    for got in (response.json(), edit_client.get(url).json()):
        assert got["geometry"] is None
        cell = beidou.decode_3d(got["properties"]["beidou_code_3d"])
        assert cell.west <= inside.x <= cell.east and cell.south <= inside.y <= cell.north
        assert got["properties"]["version"] == house["properties"]["version"] + 1
    # Moved to a building the twin does not hold: refused naming the field and the value,
    # on both stores alike; the house stays as it was.
    before = edit_client.get(url).json()
    response = edit_client.patch(url, json={"properties": {"building_code": "NOT-IN-TWIN"}},
                                 headers=WRITER)
    problem = response.json()
    assert response.status_code == 400, problem
    assert (problem["field"], problem["value"]) == ("building_code", "NOT-IN-TWIN")
    assert problem["detail"] == "no building with code NOT-IN-TWIN"
    assert edit_client.get(url).json() == before


def test_an_edit_breaking_a_store_rule_is_refused_naming_the_rule(edit_client):
    """A rule only the store holds (an address valid until before it was valid) refuses
    the edit as bad input with the store's own words; a parent address that is not there
    is refused before the store is asked, naming the field and the value."""
    postgis = edit_client.engine.dialect.name == "postgresql"
    address = edit_client.get("/collections/addresses/items", params={"limit": 1}
                              ).json()["features"][0]
    code = address["id"]
    url = f"/collections/addresses/items/{code}"
    rule = ('new row for relation "address" violates check constraint "ck_address_validity"'
            if postgis else "CHECK constraint failed: ck_address_validity")
    response = edit_client.patch(url, json={"properties": {"valid_to": "1990-01-01"}},
                                 headers=WRITER)
    assert response.status_code == 400, response.text
    assert response.json()["detail"] == f"{code} breaks a rule of the store: {rule}"
    parent = code[:-6] + "999999"
    response = edit_client.patch(url, json={"properties": {"parent_code": parent}},
                                 headers=WRITER)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert (problem["field"], problem["value"]) == ("parent_code", parent)
    assert problem["detail"] == f"no address with code {parent}"
    after = edit_client.get(url).json()
    assert (after["geometry"], after["properties"]) == (address["geometry"], address["properties"])


def test_a_code_taken_by_a_writer_the_edit_did_not_see_is_a_conflict(edit_client):
    """Two writers, one code: the other's row is not committed when this edit looks, so
    only the store's unique rule can tell; the edit waits for the other to commit, then is
    told (409), not given a 500."""
    from sqlalchemy import select

    code = building_code(9077)
    t = models.Building.__table__
    columns = [c for c in t.columns if c.name not in ("id", "code")]
    answers: list = []
    with edit_client.engine.connect() as other:
        row = other.execute(select(*columns).limit(1)).mappings().one()
        other.execute(t.insert().values(**row, code=code))  # not committed yet
        writer = threading.Thread(target=lambda: answers.append(edit_client.post(
            "/collections/buildings/items", json=new_building(code), headers=WRITER)))
        writer.start()
        _until_the_writer_waits(edit_client.engine)
        other.commit()
        writer.join(30)
    assert answers and answers[0].status_code == 409, answers and answers[0].text
    assert answers[0].json()["detail"] == (
        f"{code} was taken meanwhile: "
        + ('duplicate key value violates unique constraint "building_code_key"'
           if on_postgis(edit_client.engine) else "UNIQUE constraint failed: building.code"))


def _until_the_writer_waits(engine) -> None:
    """Until the edit waits for the other writer's lock: seen on PostGIS; on SQLite (no
    view of waiters) long enough for the request to reach its insert, well inside the
    store's 30 s busy timeout."""
    from sqlalchemy import text

    if not on_postgis(engine):
        time.sleep(2.5)
        return
    waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                   "AND datname = current_database()")
    deadline = time.monotonic() + 30
    with engine.connect() as watch:
        while not watch.execute(waiting).scalar() and time.monotonic() < deadline:
            time.sleep(0.05)
