"""OWSLib's OGC API - Processes client (owslib.ogcapi.processes) against the running twin."""

from __future__ import annotations

import base64
import io
import time

import httpx
import pandas as pd
import pytest
from owslib import ogcapi as owslib_ogcapi
from owslib.ogcapi.processes import Processes

from .servers import TwinServer

pytestmark = pytest.mark.clients

PRISTINE_HEADERS = dict(owslib_ogcapi.REQUEST_HEADERS)  # see test_owslib.py


def client(server: TwinServer) -> Processes:
    w = Processes(server.url)
    w.headers = dict(PRISTINE_HEADERS)
    return w


def test_owslib_lists_describes_and_runs_processes(twin_server: TwinServer) -> None:
    w = client(twin_server)
    assert {"geocode", "reverse-geocode", "batch-geocode", "batch-code", "place"} <= {
        p["id"] for p in w.processes()}
    described = w.process("geocode")
    assert "address" in described["inputs"] and "result" in described["outputs"]
    answer = w.execute("geocode", {"address": "广东省深圳市南山区"})
    assert answer["result"]["code"] == "440305000000"


def test_owslib_runs_a_batch_job_asynchronously(twin_server: TwinServer) -> None:
    w = client(twin_server)
    csv = "地址\n广东省深圳市南山区\n\n".encode()
    job = w.execute("batch-geocode", {"column": "地址", "file": {
        "value": base64.b64encode(csv).decode(), "mediaType": "text/csv",
        "encoding": "base64"}}, async_=True)
    assert job["status"] in ("accepted", "running", "successful")
    assert w.response_headers["Preference-Applied"] == "respond-async"
    status_url = w.response_headers["Location"]
    deadline = time.monotonic() + 60
    while (status := httpx.get(status_url, timeout=30).json())["status"] not in (
            "successful", "failed"):
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert status["status"] == "successful", status
    results = httpx.get(status_url + "/results", timeout=30).json()
    frame = pd.read_csv(io.BytesIO(httpx.get(results["result"]["href"], timeout=30).content),
                        dtype=str, keep_default_na=False)
    assert list(frame["geo_code"]) == ["440305000000"]  # the blank line is no row in CSV
