"""The twin's processes inside a real pygeoapi server (our process plugins), on both stores:
the same descriptions, the same core, the same answers as the twin's own routes."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import geopandas as gpd
import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.processes import PROCESSES
from api.pygeoapi.config import process_resource
from tests.clients.peers import start_pygeoapi
from tests.clients.servers import RunningServer, stop
from tests.conftest import settings_for
from tests.processes.conftest import WRITER, file_input, new_footprints

pytestmark = pytest.mark.clients


@pytest.fixture(scope="module")
def pygeoapi(process_engine, tmp_path_factory) -> Iterator[RunningServer]:
    url = process_engine.url.render_as_string(hide_password=False)
    server = start_pygeoapi(url, tmp_path_factory.mktemp("pygeoapi-processes"),
                            extra={"batch-code": process_resource(url, "batch-code")})
    try:
        yield server
    finally:
        stop(server.process)


def run(server: RunningServer, process: str, inputs: dict) -> httpx.Response:
    return httpx.post(f"{server.url}/processes/{process}/execution", json={"inputs": inputs},
                      timeout=120)


def test_pygeoapi_describes_every_process_as_we_do(pygeoapi):
    listed = httpx.get(f"{pygeoapi.url}/processes", params={"f": "json"}, timeout=60).json()
    assert set(PROCESSES) <= {p["id"] for p in listed["processes"]}
    described = httpx.get(f"{pygeoapi.url}/processes/batch-geocode",
                          params={"f": "json"}, timeout=60).json()
    assert set(described["inputs"]) == set(PROCESSES["batch-geocode"]["inputs"])


def test_pygeoapi_geocodes_a_spreadsheet_and_places_features(pygeoapi):
    csv = "地址,备注\n广东省深圳市南山区,甲\n,空\n".encode()
    answer = run(pygeoapi, "batch-geocode", {"file": file_input(csv), "column": "地址"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    frame = pd.read_csv(io.BytesIO(base64.b64decode(body["value"])), dtype=str,
                        keep_default_na=False)
    assert body["mediaType"] == "text/csv" and list(frame["备注"]) == ["甲", "空"]
    assert frame["geo_code"].iloc[0] == "440305000000"
    assert body["report"]["bad_rows"] == [] and frame["geo_status"].iloc[1] == "unmatched"
    features = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"n": 1},
        "geometry": {"type": "Point", "coordinates": [113.90, 22.54]}}]}
    placed = run(pygeoapi, "place", {"features": features}).json()
    gdf = gpd.read_file(io.BytesIO(base64.b64decode(placed["value"])))
    assert gdf["township_code"].iloc[0] == "440305001000"
    near = run(pygeoapi, "reverse-geocode", {"lon": 113.94, "lat": 22.53}).json()
    assert near["value"]["status"] == "found"


def test_pygeoapi_and_the_twin_issue_the_same_codes(pygeoapi, process_engine):
    registry = "name,wkt\n" + "".join(
        f'楼{i},"{wkt}"\n' for i, wkt in enumerate(new_footprints(process_engine, 2)))
    inputs = {"file": file_input(registry.encode())}
    answer = run(pygeoapi, "batch-code", inputs)
    assert answer.status_code == 200, answer.text
    first = pd.read_csv(io.BytesIO(base64.b64decode(answer.json()["value"])), dtype=str)
    assert list(first["status"]) == ["new", "new"]
    with TestClient(create_app(settings_for(process_engine))) as ours:
        again = ours.post("/processes/batch-code/execution", json={"inputs": inputs},
                          headers=WRITER).json()
        assert again["report"]["codes_issued"] == 0
        # the result belongs to the key that asked for it
        result = ours.get(again["result"]["href"], headers=WRITER)
        assert result.status_code == 200, result.text
        second = pd.read_csv(io.BytesIO(result.content), dtype=str)
    assert list(second["code"]) == list(first["code"])


def test_pygeoapi_refuses_bad_inputs_by_name(pygeoapi):
    answer = run(pygeoapi, "reverse-geocode", {"lon": "east", "lat": 22.5})
    assert answer.status_code == 400, answer.text
    assert "'lon'" in answer.text
    answer = run(pygeoapi, "batch-geocode", {"file": {"href": "http://example.com/x.csv"},
                                             "column": "a"})
    assert answer.status_code == 400 and "inline" in answer.text
