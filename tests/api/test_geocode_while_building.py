"""Geocoding while the address index is built in the background: 503 first, then answers.

Builds are held honestly: the cache's `on_progress` hook, called from the build thread,
waits on an event the test sets.
"""

import threading
import time
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from addressing.base_import import import_address_base
from api import create_app
from tests.addressing.test_base_import import GOOD, write
from tests.addressing.test_service import _edit
from tests.conftest import settings_for
from tests.stores import STORES

ROOM = "深圳市南山区科苑路15号科兴科学园A座12层1201室"


@contextmanager
def lazy_app(engine, **api):
    """An app that builds its address index on the first geocoding request, not at start."""
    settings = settings_for(engine)
    settings.api.address_index_at_startup = False
    settings.api.address_index_wait = 0.0
    for name, value in api.items():
        setattr(settings.api, name, value)
    with TestClient(create_app(settings)) as client:
        yield client


def hold_builds(client):
    """Make every build of `client`'s index wait for the returned event."""
    gate = threading.Event()
    client.app.state.address_base.on_progress = lambda read, total: gate.wait(30)
    return gate


def wait_for(client, done, seconds=30.0):
    """Poll GET /geocode/status until `done(status)`."""
    deadline = time.monotonic() + seconds
    while True:
        status = client.get("/geocode/status").json()
        if done(status):
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.02)


@pytest.fixture
def base_engine(empty_engine, tmp_path):
    import_address_base(empty_engine, write(tmp_path / "base.csv", GOOD))
    return empty_engine


@pytest.mark.parametrize("store_kind", STORES)
def test_first_request_during_the_build_is_503_then_200(base_engine, store_kind):
    with lazy_app(base_engine) as client:
        assert client.get("/geocode/status").json()["state"] == "idle"
        gate = hold_builds(client)
        response = client.get("/geocode", params={"q": ROOM})
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert int(response.headers["retry-after"]) >= 1
        body = response.json()
        assert (body["status"], body["state"], body["title"]) == (
            503, "building", "Address index not ready")
        assert "being built" in body["detail"]
        # Once the build has counted the rows (it is held at its first report), progress.
        wait_for(client, lambda s: s["nodes_total"] is not None)
        body = client.get("/geocode", params={"q": ROOM}).json()
        assert body["nodes_read"] == 0 and body["nodes_total"] > 0
        assert f"of {body['nodes_total']} address nodes read" in body["detail"]
        assert client.post("/geocode", json=[ROOM]).status_code == 503
        assert client.get("/reverse", params={"lon": 113.9432, "lat": 22.5431}
                          ).status_code == 503
        assert client.get("/geocode/status").json()["building"] is True
        gate.set()
        status = wait_for(client, lambda s: s["state"] == "ready")
        assert status["nodes"] == body["nodes_total"] and status["seconds"] >= 0
        assert status["built_at"] and status["error"] is None
        answer = client.get("/geocode", params={"q": ROOM})
        assert answer.status_code == 200, answer.text
        assert (answer.json()["status"], answer.json()["level"]) == ("matched", "room")
        near = client.get("/reverse", params={"lon": 113.9432, "lat": 22.5431}).json()
        assert near["status"] == "found"


@pytest.mark.parametrize("store_kind", STORES)
def test_a_request_waits_briefly_for_a_short_build(base_engine, store_kind):
    with lazy_app(base_engine, address_index_wait=30.0) as client:
        response = client.get("/geocode", params={"q": ROOM})
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "matched"


@pytest.mark.parametrize("store_kind", STORES)
def test_startup_build_needs_no_request(base_engine, store_kind):
    settings = settings_for(base_engine)
    settings.api.address_index_at_startup = True
    with TestClient(create_app(settings)) as client:
        status = wait_for(client, lambda s: s["state"] == "ready")
        assert status["nodes"] > 0


@pytest.mark.parametrize("store_kind", STORES)
def test_an_edit_is_rebuilt_behind_the_old_index(base_engine, store_kind):
    # A fresh wait of 0: the served index "took longer to build" than requests may wait,
    # as a city's does, so the old index answers during the rebuild.
    with lazy_app(base_engine, address_index_wait=30.0,
                  address_index_fresh_wait=0.0) as client:
        assert client.get("/geocode", params={"q": "深圳市南山区甲一路"}
                          ).json()["status"] != "matched"
        first = client.get("/geocode/status").json()
        gate = hold_builds(client)
        _edit(base_engine, "甲一路", "甲一大厦")
        client.app.state.address_base.forget()  # what an address edit through the API does
        # The rebuild runs (held): the old index answers, at once and unchanged.
        old = client.get("/geocode", params={"q": "深圳市南山区甲一路"})
        assert old.status_code == 200 and old.json()["status"] != "matched"
        status = wait_for(client, lambda s: s["building"])
        assert status["state"] == "ready" and status["built_at"] == first["built_at"]
        assert client.get("/geocode", params={"q": ROOM}).json()["status"] == "matched"
        gate.set()
        wait_for(client, lambda s: s["built_at"] != first["built_at"] and not s["building"])
        new = client.get("/geocode", params={"q": "深圳市南山区甲一路"})
        assert new.json()["status"] == "matched"


@pytest.mark.parametrize("store_kind", STORES)
def test_after_an_edit_a_quick_rebuild_is_waited_for(base_engine, store_kind):
    with lazy_app(base_engine, address_index_wait=30.0) as client:
        assert client.get("/geocode", params={"q": "深圳市南山区甲一路"}
                          ).json()["status"] != "matched"
        gate = hold_builds(client)
        _edit(base_engine, "甲一路", "甲一大厦")
        client.app.state.address_base.forget()
        threading.Timer(0.5, gate.set).start()  # the rebuild ends while the request waits
        started = time.monotonic()
        new = client.get("/geocode", params={"q": "深圳市南山区甲一路"})
        assert new.status_code == 200 and new.json()["status"] == "matched"
        assert time.monotonic() - started >= 0.4


@pytest.mark.parametrize("store_kind", STORES)
def test_a_rebuild_slower_than_the_fresh_wait_is_not_waited_for_longer(base_engine,
                                                                        store_kind):
    with lazy_app(base_engine, address_index_wait=30.0,
                  address_index_fresh_wait=0.3) as client:
        client.get("/geocode", params={"q": ROOM})
        gate = hold_builds(client)
        _edit(base_engine, "甲一路", "甲一大厦")
        client.app.state.address_base.forget()
        started = time.monotonic()
        old = client.get("/geocode", params={"q": "深圳市南山区甲一路"})
        assert old.status_code == 200 and old.json()["status"] != "matched"
        assert time.monotonic() - started < 5
        gate.set()


@pytest.mark.parametrize("store_kind", STORES)
def test_a_failed_build_is_503_with_the_reason_and_retried(base_engine, store_kind):
    # A real failure: the address table is out of reach (renamed away) during the build.
    with base_engine.begin() as conn:
        conn.execute(text("ALTER TABLE address RENAME TO address_away"))
    with lazy_app(base_engine, address_index_retry=0.0) as client:
        response = client.get("/geocode", params={"q": ROOM})
        assert response.status_code == 503, response.text
        assert "retry-after" in response.headers
        status = wait_for(client, lambda s: s["state"] == "failed")
        assert "address" in status["error"]
        again = client.get("/geocode", params={"q": ROOM})
        assert again.status_code == 503
        assert again.json()["error"] and "address" in again.json()["error"]
        with base_engine.begin() as conn:
            conn.execute(text("ALTER TABLE address_away RENAME TO address"))
        deadline = time.monotonic() + 30
        while (answer := client.get("/geocode", params={"q": ROOM})).status_code == 503:
            assert time.monotonic() < deadline, answer.text
            time.sleep(0.05)
        assert answer.status_code == 200 and answer.json()["status"] == "matched"
        assert client.get("/geocode/status").json()["error"] is None
