"""Stores for the code tests: a fresh SpatiaLite file and a fresh PostGIS database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, delete, text

from twin import models
from twin.settings import StoreSettings
from twin.store import migrate, open_store

POSTGIS_SERVER = os.environ.get(
    "TWIN_TEST_POSTGIS_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432"
)
# Tables the code tests write, children first.
WRITTEN = ("house", "building", "grid", "address", "code_registry", "code_sequence",
           "audit_log", "admin_area")


def make_postgis_db() -> tuple[str, Engine]:
    """A new, empty PostGIS database: (url, admin engine to drop it with)."""
    name = f"twin_codes_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{POSTGIS_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return f"{POSTGIS_SERVER}/{name}", admin


def drop_postgis_db(url: str, admin: Engine) -> None:
    """Drop a database made by make_postgis_db."""
    name = url.rsplit("/", 1)[1]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=["spatialite", "postgis"])
def code_store(request, tmp_path_factory) -> Iterator[Engine]:
    """A migrated, empty store of each kind (shared by the session; tests clean up)."""
    if request.param == "spatialite":
        path = tmp_path_factory.mktemp("codes") / "twin.db"
        engine = open_store(StoreSettings(database_url=f"sqlite:///{path}"))
        migrate(engine)
        yield engine
        engine.dispose()
        return
    url, admin = make_postgis_db()
    engine = open_store(StoreSettings(database_url=url))
    migrate(engine)
    yield engine
    engine.dispose()
    drop_postgis_db(url, admin)


@pytest.fixture
def store(code_store: Engine) -> Iterator[Engine]:
    """The session store, emptied of everything the code tests write after each test."""
    yield code_store
    with code_store.begin() as conn:
        for name in WRITTEN:
            conn.execute(delete(models.Base.metadata.tables[name]))
