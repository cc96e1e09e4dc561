"""OGC API - Processes over HTTP on both stores: descriptions, sync and async executions,
jobs with progress, results that pandas and geopandas read, dismissal and bad inputs."""

from __future__ import annotations

import io
import json

import geopandas as gpd
import pandas as pd
import pytest
from sqlalchemy import func, select

from tests.processes.conftest import ASYNC, CSV, WRITER, XLSX, file_input, new_footprints, wait_for
from twin import models

PROCESSES = {"geocode", "reverse-geocode", "batch-geocode", "batch-code", "place"}
SPEC = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/"
ADDRESSES = "地址,备注\n广东省深圳市南山区,甲\n,空的\n深圳市南山区不存在路9号,丙\n"


def test_processes_are_listed_and_described(api):
    listed = api.get("/processes").json()
    assert {p["id"] for p in listed["processes"]} == PROCESSES
    for summary in listed["processes"]:
        assert "inputs" not in summary and summary["jobControlOptions"]
        execute = [x for x in summary["links"] if x["rel"].endswith("/execute")]
        assert execute and execute[0]["href"].endswith(f"/processes/{summary['id']}/execution")
        description = api.get(f"/processes/{summary['id']}").json()
        assert description["inputs"] and description["outputs"]
        for spec in description["inputs"].values():
            assert "schema" in spec and spec["minOccurs"] in (0, 1)
    classes = api.get("/conformance").json()["conformsTo"]
    for name in ("core", "json", "job-list", "dismiss", "ogc-process-description"):
        assert SPEC + name in classes


def test_unknown_process_and_job_are_problems(api):
    response = api.get("/processes/nothing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "batch-code" in response.json()["detail"]
    assert api.get("/jobs/nonesuch").status_code == 404
    assert api.get("/jobs/nonesuch/results").status_code == 404
    assert api.delete("/jobs/nonesuch").status_code == 404


def test_sync_geocode_and_reverse_geocode(api):
    one = api.post("/processes/geocode/execution",
                   json={"inputs": {"address": "广东省深圳市南山区"}}).json()
    assert one["result"]["code"] == "440305000000"
    assert one["result"]["status"] in ("matched", "partial")
    many = api.post("/processes/geocode/execution", json={"inputs": {
        "addresses": ["广东省深圳市南山区", "无此地址"]}}).json()["result"]
    assert [r["query"] for r in many] == ["广东省深圳市南山区", "无此地址"]
    near = api.post("/processes/reverse-geocode/execution", json={"inputs": {
        "lon": 113.94, "lat": 22.53, "limit": 2}}).json()["result"]
    assert near["status"] == "found" and 1 <= len(near["addresses"]) <= 2
    raw = api.post("/processes/geocode/execution", json={
        "inputs": {"address": "广东省深圳市南山区"}, "response": "raw"})
    assert raw.json()["code"] == "440305000000"


def test_sync_batch_geocode_gives_the_file_back_in_its_format(api):
    frame = pd.read_csv(io.StringIO(ADDRESSES), dtype=str, keep_default_na=False)
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    answer = api.post("/processes/batch-geocode/execution", json={"inputs": {
        "file": file_input(buffer.getvalue(), XLSX), "column": "地址"}})
    assert answer.status_code == 200, answer.text
    document = answer.json()
    assert document["result"]["type"] == XLSX
    assert document["report"]["rows"] == 3
    # a blank cell is answered as a blank GET /geocode query is: unmatched, not a bad row
    assert document["report"]["bad_rows"] == []
    download = api.get(document["result"]["href"])
    coded = pd.read_excel(io.BytesIO(download.content), dtype=str)
    assert list(coded["备注"]) == ["甲", "空的", "丙"]
    assert list(coded["geo_status"])[1] == "unmatched"
    assert coded["geo_code"].iloc[0] == "440305000000"


def test_async_batch_geocode_is_a_job_with_progress_results_and_dismissal(api):
    answer = api.post("/processes/batch-geocode/execution", headers=ASYNC, json={
        "inputs": {"file": file_input(ADDRESSES.encode()), "column": "地址"}})
    assert answer.status_code == 201
    assert answer.headers["Preference-Applied"] == "respond-async"
    job_url = answer.headers["Location"]
    assert answer.json()["status"] in ("accepted", "running", "successful")
    status = wait_for(api, job_url)
    assert status["status"] == "successful", status
    assert status["progress"] == 100 and status["attempts"] == 1
    assert any(x["rel"].endswith("/results") for x in status["links"])
    listed = api.get("/jobs", params={"processID": "batch-geocode"}).json()
    assert status["jobID"] in [j["jobID"] for j in listed["jobs"]]
    results = api.get(job_url + "/results").json()
    assert results["result"]["type"] == CSV
    csv = api.get(results["result"]["href"])
    assert "attachment" in csv.headers["content-disposition"]
    frame = pd.read_csv(io.BytesIO(csv.content), dtype=str, keep_default_na=False)
    assert list(frame["备注"]) == ["甲", "空的", "丙"]
    assert frame["geo_status"].iloc[1] == "unmatched"
    assert api.get(job_url + "/results/report").json() == results["report"]

    dismissed = api.delete(job_url)
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    gone = api.get(job_url + "/results")
    assert gone.status_code == 404 and "dismissed" in gone.json()["detail"]
    assert api.delete(job_url).status_code == 404
    only_dismissed = api.get("/jobs", params={"status": "dismissed"}).json()["jobs"]
    assert all(j["status"] == "dismissed" for j in only_dismissed)


def test_place_answers_admin_grid_and_beidou_codes_as_geojson(api):
    features = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "在南山"},
         "geometry": {"type": "Point", "coordinates": [113.90, 22.54]}},
        {"type": "Feature", "properties": {"name": "没有几何"}, "geometry": None},
        {"type": "Feature", "properties": {"name": "在北京"},
         "geometry": {"type": "Point", "coordinates": [116.31, 39.99]}},
    ]}
    document = api.post("/processes/place/execution", json={"inputs": {
        "features": features, "beidou_level": 8}}).json()
    assert document["report"]["rows"] == 3 and document["report"]["placed"] == 1
    assert document["report"]["outside"] == [2]
    assert document["report"]["bad_rows"][0]["row"] == 1
    placed = gpd.read_file(io.BytesIO(api.get(document["result"]["href"]).content))
    assert list(placed["name"]) == ["在南山", "没有几何", "在北京"]
    assert placed["township_code"].iloc[0] == "440305001000"
    assert placed["community_code"].iloc[0].startswith("440305001")
    assert len(placed["beidou_code"].iloc[0]) == 16  # level 8, GB/T 39409
    qualified = api.post("/processes/place/execution", json={"inputs": {"features": {
        "value": features, "mediaType": "application/geo+json"}}}).json()
    assert qualified["report"] == document["report"]


def test_place_reads_a_csv_with_lon_lat(api):
    data = b"name,lon,lat\na,113.90,22.54\nb,x,22.5\n"
    document = api.post("/processes/place/execution", json={"inputs": {
        "file": file_input(data)}}).json()
    frame = pd.read_csv(io.BytesIO(api.get(document["result"]["href"]).content), dtype=str)
    assert frame["township_code"].iloc[0] == "440305001000"
    assert document["report"]["bad_rows"][0]["row"] == 3


def test_batch_code_needs_write_and_issues_each_code_once(api, process_engine):
    squares = new_footprints(process_engine, 3)
    registry = "name,wkt,year_built\n" + "".join(
        f'楼{i},"{wkt}",2001\n' for i, wkt in enumerate(squares))
    body = {"inputs": {"file": file_input(registry.encode())}}
    assert api.post("/processes/batch-code/execution", json=body).status_code == 401
    first = api.post("/processes/batch-code/execution", json=body, headers=WRITER).json()
    assert first["report"]["codes_issued"] == 3
    coded = pd.read_csv(io.BytesIO(api.get(first["result"]["href"], headers=WRITER).content),
                        dtype=str)
    assert list(coded["status"]) == ["new"] * 3 and coded["code"].nunique() == 3
    again = api.post("/processes/batch-code/execution", headers={**WRITER, **ASYNC}, json=body)
    status = wait_for(api, again.headers["Location"], headers=WRITER)
    assert status["status"] == "successful", status
    second = api.get(again.headers["Location"] + "/results", headers=WRITER).json()
    assert second["report"]["codes_issued"] == 0
    recoded = pd.read_csv(io.BytesIO(api.get(second["result"]["href"], headers=WRITER).content),
                          dtype=str)
    assert list(recoded["code"]) == list(coded["code"])


def classified_values(engine, count: int = 10):
    """Points and address texts of people with a house, and every 敏感 or 内部 value of those
    people and houses (names, phones, birth years; areas, uses), as text."""
    person, house, address = (models.Person.__table__, models.House.__table__,
                              models.Address.__table__)
    building = models.Building.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            select(person.c.name, person.c.phone, person.c.birth_year, house.c.area,
                   house.c.use, address.c.full_text, func.ST_X(person.c.geom),
                   func.ST_Y(person.c.geom), func.ST_AsText(building.c.geom))
            .join(house, house.c.code == person.c.house_code)
            .join(address, address.c.code == person.c.address_code)
            .join(building, building.c.code == house.c.building_code)
            .where(house.c.area.is_not(None), person.c.phone.is_not(None))
            .order_by(person.c.code).limit(count)).all()
    assert len(rows) == count
    secrets = {str(v) for r in rows for v in r[:5] if v is not None}
    return rows, secrets


def values_in(document) -> set[str]:
    """Every scalar of a JSON document, as text."""
    if isinstance(document, dict):
        return set().union(*(values_in(v) for v in document.values())) if document else set()
    if isinstance(document, list):
        return set().union(*(values_in(v) for v in document)) if document else set()
    return {str(document)}


def test_process_outputs_hold_no_classified_value_of_what_they_touch(api, process_engine):
    """Geocoding where people live, placing their points and coding their buildings give a
    caller without the sensitive scope, or without a key, no 敏感 or 内部 value back: the
    processes read addresses, codes and places, never a classified field."""
    rows, secrets = classified_values(process_engine)
    texts = [r.full_text for r in rows]
    csv = ("地址\n" + "".join(f"{t}\n" for t in texts)).encode()
    points = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"n": i},
         "geometry": {"type": "Point", "coordinates": [r[6], r[7]]}}
        for i, r in enumerate(rows)]}
    registry = "name,wkt\n" + "".join(f'楼{i},"{r[8]}"\n' for i, r in enumerate(rows))
    runs = [({}, "geocode", {"addresses": texts}),
            ({}, "batch-geocode", {"file": file_input(csv), "column": "地址"}),
            ({"X-API-Key": "reader-key"}, "place", {"features": points}),
            (WRITER, "batch-code", {"file": file_input(registry.encode())})]
    for headers, process, inputs in runs:
        answer = api.post(f"/processes/{process}/execution", headers={**headers, **ASYNC},
                          json={"inputs": inputs})
        assert answer.status_code == 201, answer.text
        job = answer.headers["Location"]
        assert wait_for(api, job, headers=headers)["status"] == "successful", process
        document = api.get(job + "/results", headers=headers).json()
        seen = values_in(document)
        if isinstance(document["result"], dict) and "href" in document["result"]:
            download = api.get(document["result"]["href"], headers=headers)
            assert download.status_code == 200, process
            table = (gpd.read_file(io.BytesIO(download.content)).drop(columns="geometry")
                     if process == "place" else pd.read_csv(io.BytesIO(download.content),
                                                            dtype=str))
            seen |= {str(v) for v in table.to_numpy().ravel()}
            assert len(table) == len(rows), process
        assert len(seen) > len(rows), process  # the output was read, not empty
        assert not seen & secrets, (process, seen & secrets)


@pytest.mark.parametrize(("process", "inputs", "field"), [
    ("geocode", {"address": "x", "nonsense": 1}, "inputs.nonsense"),
    ("reverse-geocode", {"lat": 22.5}, "inputs.lon"),
    ("reverse-geocode", {"lon": 200, "lat": 22.5}, "inputs.lon"),
    ("reverse-geocode", {"lon": 113.9, "lat": 22.5, "limit": 2.5}, "inputs.limit"),
    ("batch-geocode", {"file": {"value": "@@@", "mediaType": CSV}, "column": "a"},
     "inputs.file"),
    ("batch-geocode", {"file": file_input(b"a\n1\n", "text/plain"), "column": "a"},
     "inputs.file"),
    ("batch-geocode", {"file": {"href": "http://example.com/a.csv"}, "column": "a"},
     "inputs.file"),
    ("batch-geocode", {"file": file_input(b"a\n1\n")}, "inputs.column"),
    ("batch-geocode", {"file": file_input(b"a\n1\n"), "column": "nope"}, "column"),
    ("place", {"features": {"type": "Feature"}}, "inputs.features"),
    ("geocode", {"addresses": "not a list"}, "inputs.addresses"),
])
def test_bad_inputs_name_the_field_and_value(api, process, inputs, field):
    answer = api.post(f"/processes/{process}/execution", json={"inputs": inputs})
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["field"] == field


def test_a_failed_job_says_why_and_has_no_results(api):
    answer = api.post("/processes/batch-geocode/execution", headers=ASYNC, json={
        "inputs": {"file": file_input(ADDRESSES.encode()), "column": "没有这列"}})
    status = wait_for(api, answer.headers["Location"])
    assert status["status"] == "failed" and "没有这列" in status["message"]
    results = api.get(answer.headers["Location"] + "/results")
    assert results.status_code == 404 and "没有这列" in results.json()["detail"]


def test_a_file_too_large_to_wait_for_asks_for_a_job(api):
    big = ("地址\n" + "广东省深圳市南山区\n" * 120_000).encode()
    answer = api.post("/processes/batch-geocode/execution", json={"inputs": {
        "file": file_input(big), "column": "地址"}})
    assert answer.status_code == 413
    assert "respond-async" in answer.json()["detail"]
    assert json.loads(answer.text)["field"] == "inputs.file"
