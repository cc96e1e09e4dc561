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


def _load_sample(engine: Engine) -> None:
    from sample_data.load import load

    load(engine, "small")


@pytest.fixture(scope="session", params=["spatialite", "postgis"])
def sample_code_store(request, tmp_path_factory) -> Iterator[Engine]:
    """A store of each kind with the small sample city loaded (shared by the session)."""
    if request.param == "spatialite":
        path = tmp_path_factory.mktemp("codes-sample") / "twin.db"
        engine = open_store(StoreSettings(database_url=f"sqlite:///{path}"))
        migrate(engine)
        _load_sample(engine)
        yield engine
        engine.dispose()
        return
    url, admin = make_postgis_db()
    engine = open_store(StoreSettings(database_url=url))
    migrate(engine)
    _load_sample(engine)
    yield engine
    engine.dispose()
    drop_postgis_db(url, admin)


@pytest.fixture
def city(sample_code_store: Engine) -> Iterator[Engine]:
    """The sample store; buildings and codes a test issued are removed afterwards."""
    yield sample_code_store
    registry = models.CodeRecord.__table__
    building = models.Building.__table__
    with sample_code_store.begin() as conn:
        issued = select_codes = conn.execute(
            text("SELECT code FROM code_registry")).scalars().all()
        del select_codes
        for start in range(0, len(issued), 5000):
            conn.execute(delete(building).where(building.c.code.in_(issued[start:start + 5000])))
        for table in (registry, models.CodeSequence.__table__, models.AuditEntry.__table__):
            conn.execute(delete(table))
        conn.execute(building.update().where(building.c.status == "demolished")
                     .values(status="active"))
