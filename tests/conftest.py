"""Fixtures shared by every test: real stores of both kinds and the app over them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api import create_app
from twin.settings import ApiSettings, SecuritySettings, Settings, StoreSettings

from .stores import STORES, ready_store, sample_store

SECRET = "test-secret"
API_KEYS = {
    "reader-key": ["read"],
    "writer-key": ["read", "write"],
    "sensitive-key": ["read", "sensitive"],
    "admin-key": ["read", "write", "sensitive", "admin"],
}


# Files that take a minute or more of one worker: run first, so that under
# `--dist loadfile` (scripts/test) neither worker ends the run alone with one of them.
LONG_FILES = (
    "tests/api/test_schemathesis.py",
    "tests/core/test_cli_serve_export.py",
    "tests/clients/test_pygeoapi.py",
    "tests/clients/test_map_browser.py",
    "tests/codes/test_codes_api.py",
    "tests/processes/test_pygeoapi_processes.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    first = {name: rank for rank, name in enumerate(LONG_FILES)}
    items.sort(key=lambda item: first.get(item.nodeid.split("::")[0], len(first)))


@pytest.fixture(scope="session", params=STORES)
def sample_engine(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Engine]:
    """A store of each kind holding the small sample city; shared, so tests must not write."""
    with sample_store(request.param, tmp_path_factory.mktemp(request.param)) as engine:
        yield engine


@pytest.fixture
def empty_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """A fresh store (divisions only) for a test that writes; parametrise with `store_kind`."""
    kind = getattr(request, "param", None) or request.node.callspec.params.get("store_kind")
    with ready_store(kind, tmp_path) as engine:
        yield engine


def settings_for(engine: Engine) -> Settings:
    """Test settings over an existing store."""
    return Settings(
        store=StoreSettings(database_url=engine.url.render_as_string(hide_password=False)),
        security=SecuritySettings(environment="test", secret_key=SECRET, api_keys=API_KEYS),
        api=ApiSettings(),
    )


@pytest.fixture(scope="session")
def client(sample_engine: Engine) -> Iterator[TestClient]:
    """The app over the sample store of each kind, lifespan running."""
    with TestClient(create_app(settings_for(sample_engine))) as test_client:
        yield test_client
