"""Stores for the code tests: a fresh SpatiaLite file and a fresh PostGIS database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select

from tests.stores import STORES, sample_store, store_url
from twin import models
from twin.settings import StoreSettings
from twin.store import migrate, open_store

# Tables the code tests write, children first.
WRITTEN = ("house", "building", "grid", "address", "code_registry", "code_sequence",
           "audit_log", "admin_area")


@contextmanager
def migrated_store(kind: str, workdir: Path) -> Iterator[Engine]:
    """A fresh migrated store of `kind` (no division table)."""
    with store_url(kind, workdir) as url:
        engine = open_store(StoreSettings(database_url=url))
        try:
            migrate(engine)
            yield engine
        finally:
            engine.dispose()


@pytest.fixture(scope="session", params=STORES)
def code_store(request, tmp_path_factory) -> Iterator[Engine]:
    """A migrated, empty store of each kind (shared by the session; tests clean up)."""
    with migrated_store(request.param, tmp_path_factory.mktemp("codes")) as engine:
        yield engine


@pytest.fixture
def store(code_store: Engine) -> Iterator[Engine]:
    """The session store, emptied of everything the code tests write after each test."""
    yield code_store
    with code_store.begin() as conn:
        for name in WRITTEN:
            conn.execute(delete(models.Base.metadata.tables[name]))


@pytest.fixture(scope="session", params=STORES)
def sample_code_store(request, tmp_path_factory) -> Iterator[Engine]:
    """A store of each kind with the small sample city loaded (shared by the session)."""
    with sample_store(request.param, tmp_path_factory.mktemp("codes-sample"), b"sample") as engine:
        yield engine


@pytest.fixture
def city(sample_code_store: Engine) -> Iterator[Engine]:
    """The sample store; buildings and codes a test issued are removed afterwards."""
    yield sample_code_store
    registry = models.CodeRecord.__table__
    building = models.Building.__table__
    with sample_code_store.begin() as conn:
        issued = conn.execute(select(registry.c.code)).scalars().all()
        for start in range(0, len(issued), 5000):
            conn.execute(delete(building).where(building.c.code.in_(issued[start:start + 5000])))
        for table in (registry, models.CodeSequence.__table__, models.AuditEntry.__table__):
            conn.execute(delete(table))
        conn.execute(building.update().where(building.c.status == "demolished")
                     .values(status="active"))
