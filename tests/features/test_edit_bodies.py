"""Bodies the write API refuses, over HTTP on both stores: each a 400 problem naming the
field and what is wrong, and nothing written (README: "Edits").
"""

from __future__ import annotations

import json

import pytest

from twin.codes.check import mod11_2, uscc_check

from .conftest import WRITER

SQUARE = [[[113.9301, 22.5201], [113.9303, 22.5201], [113.9303, 22.5203], [113.9301, 22.5203],
           [113.9301, 22.5201]]]
BUILDING = "4403050012024" "8801" "00000"
BUILDING += mod11_2(BUILDING)
ORGANIZATION = "91350100M000100Y43"  # GB 32100-2015's worked example


def building(**props) -> dict:
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": SQUARE},
            "properties": {"code": BUILDING, "name": "测试楼", "floors": 6, "height": 19.5,
                           "use": "办公", "year_built": 2024, "township_code": "440305002000",
                           **props}}


def organization(**props) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.93, 22.52]},
            "properties": {"code": ORGANIZATION, "name": "测试单位", **props}}


def with_geometry(geometry) -> dict:
    body = building()
    body["geometry"] = geometry
    return body


def posted(client, layer: str, content: bytes) -> dict:
    response = client.post(f"/collections/{layer}/items", content=content,
                           headers={**WRITER, "Content-Type": "application/geo+json"})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


@pytest.mark.parametrize(("layer", "body", "field", "detail"), [
    ("buildings", b'{"type": "Feature", ', "body", "the body is not JSON"),
    ("buildings", b"[1, 2]", "type", "must be a GeoJSON Feature"),
    ("buildings", json.dumps({"type": "Feature", "properties": "tall"}), "properties",
     "properties must be an object"),
    ("buildings", building(name=123), "name", "name takes a string"),
    ("buildings", building(name="楼" * 65), "name", "name is at most 64 characters"),
    ("buildings", building(floors=6.5), "floors", "floors takes a whole number, not 6.5"),
    ("buildings", building(floors=True), "floors", "floors takes a whole number, not True"),
    ("buildings", building(height="tall"), "height", "height takes a number"),
    ("buildings", building(status="razed"), "status", "status is one of"),
    ("buildings", with_geometry({"type": "Polygon", "coordinates": "here"}), "geometry",
     "geometry is not valid GeoJSON"),
    ("buildings", with_geometry({"type": "Polygon", "coordinates": []}), "geometry",
     "geometry is empty"),
    ("buildings", with_geometry(None), "geometry", "buildings features need a geometry"),
    ("buildings", with_geometry({"type": "Polygon", "coordinates": [
        [[10.0, 50.0], [10.1, 50.0], [10.1, 50.1], [10.0, 50.0]]]}), "geometry",
     "geometry lies outside China"),
    ("organizations", organization(code="91350100M000100Y45"), "code",
     "check character should be 3 (GB 32100)"),
    ("organizations", organization(code="91350100M000100I43"), "code",
     "has a character outside GB 32100's alphabet"),
    ("organizations", organization(code=None), "code", "code cannot be empty"),
    ("organizations", {**organization(), "properties": {"name": "无码单位"}}, "code",
     "needs its code in properties.code"),
    ("organizations", organization(name=None), "name", "name cannot be empty"),
    ("organizations", {**organization(), "properties": {"code": ORGANIZATION}}, "name",
     "organizations features need name"),
    ("organizations", organization(name="单" * 129), "name", "name is at most 128 characters"),
])
def test_create_refuses_the_body_naming_field_and_fault(edit_client, layer, body, field, detail):
    content = body if isinstance(body, bytes) else (
        body.encode() if isinstance(body, str) else json.dumps(body).encode())
    problem = posted(edit_client, layer, content)
    assert problem["field"] == field, problem
    assert detail in problem["detail"], problem
    code = BUILDING if layer == "buildings" else ORGANIZATION
    assert edit_client.get(f"/collections/{layer}/items/{code}").status_code == 404


def test_replace_and_update_refuse_bad_bodies_and_leave_the_feature(edit_client):
    created = edit_client.post("/collections/organizations/items", json=organization(),
                               headers=WRITER)
    assert created.status_code == 201, created.text
    url = f"/collections/organizations/items/{ORGANIZATION}"
    before = edit_client.get(url).json()
    refusals = [
        ("PATCH", b"{oops", "body", "not JSON"),
        ("PATCH", json.dumps({"properties": {"name": 7}}).encode(), "name", "takes a string"),
        ("PATCH", json.dumps({"properties": {"code": "91440300MA5DC0TF1D"}}).encode(), "code",
         "a feature keeps its code"),
        ("PATCH", json.dumps({"properties": {"status": "retired"}}).encode(), "status",
         "with DELETE"),
        ("PUT", json.dumps({**organization(), "properties": {"code": ORGANIZATION}}).encode(),
         "name", "organizations features need name"),
        ("PUT", json.dumps(organization(industry="行" * 33)).encode(), "industry",
         "industry is at most 32 characters"),
    ]
    for method, content, field, detail in refusals:
        response = edit_client.request(method, url, content=content, headers={
            **WRITER, "Content-Type": "application/merge-patch+json" if method == "PATCH"
            else "application/geo+json"})
        assert response.status_code == 400, (method, content, response.text)
        assert response.json()["field"] == field, response.json()
        assert detail in response.json()["detail"], response.json()
    after = edit_client.get(url)
    assert after.json() == before and after.headers["etag"] == '"1"'
    assert edit_client.delete(url, headers=WRITER).status_code == 204
    gone = edit_client.patch(url, content=json.dumps({"properties": {"name": "复活"}}),
                             headers={**WRITER, "Content-Type": "application/merge-patch+json"})
    assert gone.status_code == 409 and "retired" in gone.json()["detail"]


def test_every_bad_field_is_listed_in_one_problem(edit_client):
    # A create, a replace and a patch with three faults each: one 400 whose `errors` names
    # every field with its value, so the writer fixes them in one round.
    body = building(floors=6.5, height="tall", status="razed")
    body["geometry"] = {"type": "Polygon", "coordinates": []}
    problem = posted(edit_client, "buildings", json.dumps(body).encode())
    listed = {e["field"]: e for e in problem["errors"]}
    assert set(listed) == {"floors", "height", "status", "geometry"}, problem
    assert listed["floors"]["value"] == "6.5" and listed["height"]["value"] == "tall"
    assert listed["status"]["value"] == "razed"
    assert "whole number" in listed["floors"]["detail"]
    assert "status is one of" in listed["status"]["detail"]
    assert "geometry is empty" in listed["geometry"]["detail"]
    assert problem["detail"].startswith("4 fields refused")
    assert problem["field"] == "floors"

    code = "91350100M000200Y4"
    code += uscc_check(code)
    created = edit_client.post("/collections/organizations/items",
                               json=organization(code=code), headers=WRITER)
    assert created.status_code == 201, created.text
    url = f"/collections/organizations/items/{code}"
    for method, media in (("PUT", "application/geo+json"),
                          ("PATCH", "application/merge-patch+json")):
        bad = organization(code=code, name=7, industry="行" * 33, colour="red")
        response = edit_client.request(method, url, content=json.dumps(bad).encode(),
                                       headers={**WRITER, "Content-Type": media})
        assert response.status_code == 400, response.text
        errors = response.json()["errors"]
        assert [(e["field"], e["value"]) for e in errors] == [
            ("name", "7"), ("industry", "行" * 33), ("colour", "red")], errors
    assert edit_client.get(url).headers["etag"] == '"1"'
    assert edit_client.delete(url, headers=WRITER).status_code == 204


def test_an_import_row_names_each_bad_field():
    from twin.errors import InvalidFields
    from twin.layers import get_layer
    from twin.rows import convert_row

    with pytest.raises(InvalidFields) as refused:
        convert_row(get_layer("buildings"), {"code": BUILDING, "floors": "six",
                                             "height": "-", "year_built": "1700"}, text=True)
    assert [(p.field, p.value) for p in refused.value.problems] == [
        ("floors", "six"), ("height", "-"), ("year_built", 1700)]
    assert str(refused.value).startswith("3 fields refused: floors takes a whole number")
