"""Stored keys over HTTP on both stores: scopes, revocation, anonymous reading switched
off, per-key rate limits answered 429 with Retry-After; TWIN_API_KEYS keeps working."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

import api.auth
from api import create_app
from tests.conftest import settings_for
from tests.stores import STORES, ready_store
from twin.keys import create_key, revoke_key


@pytest.fixture(scope="module", params=STORES)
def keyed(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[TestClient]:
    """The app over a private store of each kind with anonymous reading switched off."""
    with ready_store(request.param, tmp_path_factory.mktemp(f"keys-{request.param}")) as engine:
        config = settings_for(engine)
        config.security.anonymous_scopes = []
        with TestClient(create_app(config)) as client:
            client.engine = engine  # type: ignore[attr-defined]
            yield client


def test_anonymous_reading_can_be_switched_off(keyed):
    for path in ("/collections", "/collections/buildings", "/collections/buildings/items",
                 "/collections/buildings/queryables"):
        response = keyed.get(path)
        assert response.status_code == 401, path
        assert response.headers["content-type"] == "application/problem+json"
    assert keyed.get("/collections", headers={"X-API-Key": "writer-key"}).status_code == 200


def test_a_stored_key_reads_and_writes_by_its_scopes(keyed):
    _, reader = create_key(keyed.engine, "reader", ["read"])
    _, writer = create_key(keyed.engine, "writer", ["read", "write"])
    as_bearer = {"Authorization": f"Bearer {reader}"}
    assert keyed.get("/collections/roads/items", headers=as_bearer).status_code == 200
    feature = {"type": "Feature", "geometry": None,
               "properties": {"code": "X", "name": "x"}}
    denied = keyed.post("/collections/city_objects/items", json=feature, headers=as_bearer)
    assert denied.status_code == 403 and "key:reader#" in denied.json()["detail"]
    allowed = keyed.post("/collections/city_objects/items", json=feature,
                         headers={"X-API-Key": writer})
    assert allowed.status_code != 403  # past the scope check (the body decides the rest)


def test_a_revoked_key_stops_working(keyed, monkeypatch):
    record, secret = create_key(keyed.engine, "leaving", ["read"])
    headers = {"X-API-Key": secret}
    assert keyed.get("/collections", headers=headers).status_code == 200
    revoke_key(keyed.engine, record.id)
    monkeypatch.setattr(api.auth, "KEY_CACHE_SECONDS", 0.0)  # the cache keeps it 5 s
    refused = keyed.get("/collections", headers=headers)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert keyed.get("/collections", headers={"X-API-Key": "nonsense"}).status_code == 401


def test_rate_limit_is_a_429_with_retry_after(keyed):
    _, secret = create_key(keyed.engine, "busy", ["read"], "3/minute")
    headers = {"X-API-Key": secret}
    answers = [keyed.get("/collections/roads", headers=headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    limited = answers[-1]
    assert limited.headers["content-type"] == "application/problem+json"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "3/minute" in limited.json()["detail"]
    # The lean items path counts against the same limit.
    assert keyed.get("/collections/roads/items", headers=headers).status_code == 429
    # Another key is not slowed by this one.
    assert keyed.get("/collections/roads", headers={"X-API-Key": "writer-key"}
                     ).status_code == 200


def test_anonymous_rate_limit_per_client(keyed):
    config = settings_for(keyed.engine)
    config.security.anonymous_rate_limit = "2/second"
    with TestClient(create_app(config)) as client:
        codes = [client.get("/collections/grids").status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        time.sleep(1.1)
        assert client.get("/collections/grids").status_code == 200
