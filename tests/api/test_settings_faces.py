"""Settings a deployment turns, seen from outside: the development secret refused outside
dev/test, TWIN_ROOT_PATH behind a proxy, the scopes of a caller without a key, and an
anonymous read of one person masked.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api import create_app
from tests.conftest import settings_for
from twin.settings import DEV_SECRET, ApiSettings, SecuritySettings

SENSITIVE = {"X-API-Key": "sensitive-key"}


@pytest.mark.parametrize("environment", ["prod", "production", "staging"])
def test_the_development_secret_is_refused_outside_dev_and_test(environment, monkeypatch):
    monkeypatch.setenv("TWIN_ENVIRONMENT", environment)
    monkeypatch.delenv("TWIN_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="TWIN_SECRET_KEY must be set outside dev/test"):
        SecuritySettings()
    monkeypatch.setenv("TWIN_SECRET_KEY", DEV_SECRET)  # set, but to the published one
    with pytest.raises(ValidationError, match="TWIN_SECRET_KEY"):
        SecuritySettings()
    monkeypatch.setenv("TWIN_SECRET_KEY", "a-real-secret")
    assert SecuritySettings().secret_key.get_secret_value() == "a-real-secret"


@pytest.mark.parametrize("environment", ["dev", "test"])
def test_the_development_secret_is_allowed_in_dev_and_test(environment, monkeypatch):
    monkeypatch.setenv("TWIN_ENVIRONMENT", environment)
    monkeypatch.delenv("TWIN_SECRET_KEY", raising=False)
    assert SecuritySettings().secret_key.get_secret_value() == DEV_SECRET


def app_over(engine, *, anonymous_scopes: list[str] | None = None) -> TestClient:
    settings = settings_for(engine)
    settings.api = ApiSettings(address_index_at_startup=False)  # the rest from TWIN_* vars
    if anonymous_scopes is not None:
        settings.security = SecuritySettings(
            environment="test", secret_key=settings.security.secret_key,
            api_keys=settings.security.api_keys, anonymous_scopes=anonymous_scopes)
    return TestClient(create_app(settings))


def test_links_carry_the_root_path_behind_a_proxy(sample_engine, monkeypatch):
    # The proxy serves the twin at /twin and strips the prefix before passing requests on;
    # the deployment says so in the environment, as the README's settings table has it.
    monkeypatch.setenv("TWIN_ROOT_PATH", "/twin")
    with app_over(sample_engine) as client:
        landing = client.get("/")
        assert landing.status_code == 200
        hrefs = [link["href"] for link in landing.json()["links"]]
        assert hrefs and all(h.startswith("http://testserver/twin/") for h in hrefs), hrefs
        page = client.get("/collections/buildings/items", params={"limit": 2})
        assert page.status_code == 200
        links = {link["rel"]: link["href"] for link in page.json()["links"]}
        assert links["self"].startswith("http://testserver/twin/collections/buildings/items")
        nxt = links["next"]
        assert nxt.startswith("http://testserver/twin/collections/buildings/items?")
        # What the proxy passes on for the next link gives the next page.
        second = client.get(nxt.removeprefix("http://testserver/twin"))
        assert second.status_code == 200
        first_ids = {f["id"] for f in page.json()["features"]}
        assert first_ids.isdisjoint(f["id"] for f in second.json()["features"])
        item = page.json()["features"][0]["id"]
        one = client.get(f"/collections/buildings/items/{item}").json()
        assert any(link["href"] == f"http://testserver/twin/collections/buildings/items/{item}"
                   for link in one["links"])


def test_without_anonymous_scopes_a_key_is_needed_to_read(sample_engine):
    with app_over(sample_engine, anonymous_scopes=[]) as client:
        refused = client.get("/collections/buildings/items", params={"limit": 1})
        assert refused.status_code == 401, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert client.get("/collections/buildings/items", params={"limit": 1},
                          headers=SENSITIVE).status_code == 200


def one_person(client: TestClient, code: str, headers=None, **params) -> dict:
    response = client.get(f"/collections/people/items/{code}", headers=headers or {},
                          params=params)
    assert response.status_code == 200, response.text
    return response.json()["properties"]


def test_an_anonymous_read_of_one_person_is_masked(client):
    code = client.get("/collections/people/items", params={"limit": 1}).json()["features"][0]["id"]
    real = one_person(client, code, SENSITIVE)
    assert real["name"] and real["phone"] and real["birth_year"]
    # The default GeoJSON read, and the same item through the routed path (a CRS asked for).
    for params in ({}, {"crs": "http://www.opengis.net/def/crs/EPSG/0/4490"}):
        seen = one_person(client, code, **params)
        assert seen["name"] == real["name"][0] + "*" * (len(real["name"]) - 1), params
        phone = real["phone"]
        assert seen["phone"] == phone[:3] + "*" * (len(phone) - 7) + phone[-4:], params
        assert seen["birth_year"] is None, params
        assert "id_hash" not in seen and "id_hash" not in real


def test_anonymous_scopes_can_grant_sensitive_reads(sample_engine):
    with app_over(sample_engine, anonymous_scopes=["read", "sensitive"]) as client:
        feature = client.get("/collections/people/items", params={"limit": 1}).json()
        code = feature["features"][0]["id"]
        assert one_person(client, code) == one_person(client, code, SENSITIVE)
        assert "*" not in one_person(client, code)["name"]
