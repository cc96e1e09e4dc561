"""Fixtures of the features tests: ground truth read through the API, a store to edit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from tests.conftest import settings_for
from tests.stores import STORES, sample_store

WRITER = {"X-API-Key": "writer-key"}
SENSITIVE = {"Authorization": "Bearer sensitive-key"}


def everything(client: TestClient, layer: str, **params: Any) -> list[dict[str, Any]]:
    """Every feature of a layer in one page (the sample is far below the maximum limit)."""
    response = client.get(f"/collections/{layer}/items", params={"limit": 10000, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["numberReturned"] == body["numberMatched"] == len(body["features"])
    return body["features"]


def walk(client: TestClient, url: str, headers: dict[str, str] | None = None
         ) -> list[dict[str, Any]]:
    """Every page from `url` on, following next links; returns the page bodies."""
    pages = []
    while url:
        response = client.get(url, headers=headers or {})
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        assert len(pages) < 500
    return pages


@pytest.fixture(scope="module", params=STORES)
def edit_client(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[TestClient]:
    """The app over a private store of each kind holding the small sample: tests may write."""
    with sample_store(request.param, tmp_path_factory.mktemp(f"edit-{request.param}")) as engine:
        config = settings_for(engine)
        # A geocode after a write waits for the rebuild that covers it only when the last
        # build took at most this long: the sample's takes 1-2 s, and longer on a loaded
        # machine, where the old base would answer and the tests reading their writes fail.
        config.api.address_index_fresh_wait = 60
        with TestClient(create_app(config)) as client:
            client.engine = engine  # type: ignore[attr-defined]
            yield client
