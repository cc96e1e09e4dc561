"""Real stores for tests: a fresh SpatiaLite file or a fresh PostGIS database, dropped after.

TWIN_TEST_POSTGIS_URL names the PostgreSQL server's maintenance database (default: the local
trust-auth server). Tests never skip a store: no PostGIS means a failing run, not a green one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

from twin.admin_areas import install_divisions
from twin.settings import StoreSettings
from twin.store import Store, migrate, open_store

POSTGIS_ADMIN_URL = os.environ.get(
    "TWIN_TEST_POSTGIS_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
STORES = ("spatialite", "postgis")


@contextmanager
def postgis_database(prefix: str = "twin_test") -> Iterator[str]:
    """A new, empty PostgreSQL database (PostGIS is added by migrate); yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGIS_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGIS_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def on_postgis(engine: Engine) -> bool:
    """True when `engine` is a PostGIS store (for tests whose expectations differ by store)."""
    return Store.of(engine).dialect.name == "postgis"


@contextmanager
def store_url(kind: str, workdir: Path) -> Iterator[str]:
    """The URL of a fresh, empty store of `kind` (spatialite or postgis)."""
    if kind == "spatialite":
        yield f"sqlite:///{workdir / f'twin-{uuid.uuid4().hex[:8]}.db'}"
    else:
        with postgis_database() as url:
            yield url


@contextmanager
def ready_store(kind: str, workdir: Path) -> Iterator[Engine]:
    """A migrated store of `kind` holding the division table; disposed afterwards."""
    with store_url(kind, workdir) as url:
        engine = open_store(StoreSettings(database_url=url))
        try:
            migrate(engine)
            install_divisions(engine)
            yield engine
        finally:
            engine.dispose()
