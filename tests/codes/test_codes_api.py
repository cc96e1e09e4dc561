import json
import subprocess
import sys

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from sample_data.messy_buildings import messy_registry
from twin import models
from twin.codes import registry
from twin.codes.registry import CodeRequest
from twin.settings import Settings


@pytest.fixture
def client(city):
    url = city.url.render_as_string(hide_password=False)
    with TestClient(create_app(Settings.from_env(database_url=url))) as c:
        yield c


def sample_building(engine) -> str:
    with engine.connect() as conn:
        return conn.execute(select(models.Building.code).order_by(models.Building.code)).scalar()


def test_a_sample_building_code(client, city):
    code = sample_building(city)
    body = client.get(f"/codes/{code}").json()
    reading = body["readings"][0]
    assert reading["scheme"] == "building"
    assert [s["name"] for s in reading["segments"]] == ["township", "year", "building",
                                                        "household", "check"]
    assert reading["segments"][0]["meaning"].startswith("广东省 深圳市 南山区")
    assert body["issued"] is False  # loaded with the sample, not issued by the registry
    assert body["names"][0]["layer"] == "buildings"
    assert body["names"][0]["href"].endswith(f"/collections/buildings/items/{code}")


def test_history_of_a_split_building(client, city):
    request = CodeRequest("building", "api-old", {"township": "440305001", "year": 2001,
                                                  "household": 0})
    with city.begin() as conn:
        old = registry.issue(conn, request).code
        parts = registry.split(conn, old, [
            CodeRequest("building", f"api-old/{i}", dict(request.values)) for i in (1, 2)])
    body = client.get(f"/codes/{parts[1].code}").json()
    assert body["issued"] and body["record"]["predecessors"] == [old]
    assert [h["code"] for h in body["history"]][0] == old
    old_body = client.get(f"/codes/{old}").json()
    assert old_body["record"]["status"] == "retired"
    assert old_body["record"]["events"][0]["action"] == "split"
    assert old_body["record"]["successors"] == [p.code for p in parts]


@pytest.mark.parametrize(
    ("code", "scheme"),
    [("N50J47539B825534", "beidou-2d"), ("N051H0016000480E7010366734331434", "beidou-3d"),
     ("91350100M000100Y43", "uscc"), ("440305001001", "division"),
     ("44030500100100030015000000", "address"), ("4403050102000007", "component")],
)
def test_other_kinds_of_code(client, code, scheme):
    response = client.get(f"/codes/{code}")
    assert response.status_code == 200, response.text
    assert scheme in [r["scheme"] for r in response.json()["readings"]]


def test_a_division_code_names_its_area(client):
    body = client.get("/codes/440305001001").json()
    assert body["names"][0]["layer"] == "admin_areas"


@pytest.mark.parametrize(
    ("code", "says"),
    [("hello", "no scheme has codes of 5 characters"),
     ("44030500120010001000001", "check character")],
)
def test_unreadable_codes_are_a_400_that_says_why(client, code, says):
    response = client.get(f"/codes/{code}")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert says in response.json()["detail"]


def test_the_cli_codes_a_file(city, tmp_path):
    reg = messy_registry(city, rows=60, seed=3)
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    reg.write_csv(source)
    url = city.url.render_as_string(hide_password=False)
    run = subprocess.run([sys.executable, "-m", "cli", "code", str(source), "-o", str(out),
                          "--database-url", url], capture_output=True, text=True, timeout=120)
    bad = json.loads((tmp_path / "out.report.json").read_text())["bad_rows"]
    assert run.returncode == (1 if bad else 0), run.stderr[-2000:]  # 1: done, rows refused
    assert "codes issued" in run.stderr
    coded = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(coded.status) == reg.expected_status
    assert (tmp_path / "out.report.json").exists()


def _related(body, layer):
    return [r for r in body["related"] if r["layer"] == layer]


def test_one_code_leads_to_the_rest(client, city):
    """一码互联: building → houses → people, building → address → organizations, place."""
    with city.connect() as conn:
        house = conn.execute(select(models.Person.house_code).where(
            models.Person.house_code.is_not(None)).order_by(models.Person.code)).scalar()
        building = conn.execute(select(models.House.building_code).where(
            models.House.code == house)).scalar()
        office = conn.execute(select(models.Organization.code, models.Organization.address_code)
                              .order_by(models.Organization.code)).first()
    body = client.get(f"/codes/{building}").json()
    assert [r["scheme"] for r in body["readings"]] == ["building"]
    assert house in [r["code"] for r in _related(body, "houses")]
    assert {r["relation"] for r in _related(body, "admin_areas")} == {
        "township_code", "community_code"}
    assert _related(body, "grids") and _related(body, "addresses")
    house_body = client.get(_related(body, "houses")[0]["href"].split("testserver")[1]).json()
    assert _related(house_body, "buildings")[0]["code"] == building
    people = client.get(f"/codes/{house}").json()
    person = _related(people, "people")[0]
    assert person["direction"] == "referred by"
    person_body = client.get(f"/codes/{person['code']}").json()
    assert [r["scheme"] for r in person_body["readings"]] == ["person"]
    assert person_body["names"][0]["layer"] == "people"
    assert "*" in person_body["names"][0]["title"]  # a name, masked without the scope
    assert _related(person_body, "houses")[0]["code"] == house
    address = client.get(f"/codes/{office.address_code}").json()
    assert office.code in [r["code"] for r in _related(address, "organizations")]
    assert [r["scheme"] for r in address["readings"]] == ["address"]
    org = client.get(f"/codes/{office.code}").json()
    assert _related(org, "buildings"), "an organization leads to the building at its address"


def test_an_own_code_is_never_read_in_a_foreign_scheme(client, city):
    # A community code is also a valid 12-digit division reading only; the twin holds it
    # as an admin area, and nothing else is offered.
    body = client.get("/codes/440305001001").json()
    assert [r["scheme"] for r in body["readings"]] == ["division"]
    assert body["problems"] == []


@pytest.mark.parametrize("layer", ["buildings", "houses", "addresses", "people",
                                   "organizations", "city_objects"])
def test_every_code_kind_the_twin_issues_reads_in_its_own_scheme(client, city, layer):
    """Each kind of code of the sample reads in its layer's scheme, names its object and
    leads to the object's place (township, community, grid) and its 一标三实 relations."""
    from twin.layers import LAYERS

    holder = LAYERS[layer]
    with city.connect() as conn:
        query = select(holder.table.c.code).order_by(holder.table.c.code)
        if layer == "addresses":  # a room's (a road's node crosses communities and grids)
            query = query.where(holder.table.c.level == "room")
        code = conn.execute(query).scalars().first()
    response = client.get(f"/codes/{code}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert [r["scheme"] for r in body["readings"]] == [holder.scheme]
    assert body["names"][0]["layer"] == layer
    relations = {(r["layer"], r["relation"]) for r in body["related"]}
    assert {("admin_areas", "township_code"), ("admin_areas", "community_code"),
            ("grids", "grid_code")} <= relations, relations
    assert all(r["href"].endswith(f"/codes/{r['code']}") for r in body["related"])
    if layer in ("houses", "people", "organizations"):  # and on to the rest of 一标三实
        assert ("addresses", "address_code") in relations, relations


def test_every_sample_house_carries_its_3d_code_and_the_code_leads_to_it(client, city):
    """GB/T 39409 3D codes per house: the cell holds the house's point and the middle of its
    storey (the building's height shared among its floors); /codes reads the code as a 3D
    cell and lists the houses located in it, the house among them."""
    from geoalchemy2.shape import to_shape

    from twin.codes import beidou
    from twin.placement import floor_number

    h, b = models.House.__table__, models.Building.__table__
    with city.connect() as conn:
        missing = conn.execute(select(h.c.code).where(h.c.beidou_code_3d.is_(None))).first()
        rows = conn.execute(select(h.c.code, h.c.floor, h.c.geom, h.c.beidou_code_3d,
                                   b.c.floors, b.c.height)
                            .join(b, b.c.code == h.c.building_code)
                            .order_by(h.c.code).limit(200)).all()
    assert missing is None
    for row in rows:
        cell = beidou.decode_3d(row.beidou_code_3d)
        point = to_shape(row.geom)
        storey = row.height / row.floors
        middle = (floor_number(row.floor) - 0.5) * storey
        assert cell.contains(point.x, point.y)
        assert cell.bottom <= middle < cell.top, row.code
    house = rows[-1]
    answer = client.get(f"/codes/{house.beidou_code_3d}").json()
    assert [r["scheme"] for r in answer["readings"]] == ["beidou-3d"]
    located = {r["code"] for r in answer["related"] if r["direction"] == "located here"}
    assert house.code in located
    assert all(r["relation"] == "beidou_code_3d" for r in answer["related"])
