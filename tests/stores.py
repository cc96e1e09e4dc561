"""Real stores for tests: a fresh SpatiaLite file or a fresh PostGIS database, dropped after.

TWIN_TEST_POSTGIS_URL names the PostgreSQL server's maintenance database (default: the local
trust-auth server). Tests never skip a store: no PostGIS means a failing run, not a green one.

Migrating a store and loading the national divisions takes seconds, and a hundred tests want
a fresh store: each test process builds each kind of store once, as a template (a PostGIS
template database, a SpatiaLite file), and every fresh store is a copy of it (`CREATE
DATABASE ... TEMPLATE`, a file copy). The copy is the same store that migrating would give.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text

import sample_data
from twin.admin_areas import install_divisions
from twin.settings import StoreSettings
from twin.store import Store, migrate, open_store

POSTGIS_ADMIN_URL = os.environ.get(
    "TWIN_TEST_POSTGIS_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
STORES = ("spatialite", "postgis")


def _database_url(name: str) -> str:
    return POSTGIS_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _admin_execute(statement: str) -> None:
    admin = create_engine(POSTGIS_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()


def on_postgis(engine: Engine) -> bool:
    """True when `engine` is a PostGIS store (for tests whose expectations differ by store)."""
    return Store.of(engine).dialect.name == "postgis"


@contextmanager
def postgis_database(prefix: str = "twin_test", template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database, empty or a copy of `template`; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _admin_execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield _database_url(name)
    finally:
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def store_url(kind: str, workdir: Path) -> Iterator[str]:
    """The URL of a fresh, empty store of `kind` (spatialite or postgis)."""
    if kind == "spatialite":
        yield f"sqlite:///{workdir / f'twin-{uuid.uuid4().hex[:8]}.db'}"
    else:
        with postgis_database() as url:
            yield url


# Templates this process has built: (kind, recipe) -> file path or database name.
_templates: dict[tuple[str, str], str] = {}


def _template(kind: str, recipe: str, fill: Callable[[Engine], object]) -> str:
    """The template of `kind` holding a migrated store filled by `fill`; built once."""
    key = (kind, recipe)
    if key in _templates:
        return _templates[key]
    if kind == "spatialite":
        where = Path(tempfile.mkdtemp(prefix="twin-templates-"))
        atexit.register(shutil.rmtree, where, True)
        template = str(where / f"{recipe}.db")
        url = f"sqlite:///{template}"
    else:
        template = f"twin_template_{recipe}_{uuid.uuid4().hex[:10]}"
        _admin_execute(f'CREATE DATABASE "{template}"')
        atexit.register(_admin_execute, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        url = _database_url(template)
    engine = open_store(StoreSettings(database_url=url))
    try:
        migrate(engine)
        install_divisions(engine)
        fill(engine)
    finally:
        engine.dispose()  # a template takes no connections while it is copied
    _templates[key] = template
    return template


@contextmanager
def _copied_store(kind: str, workdir: Path, template: str) -> Iterator[Engine]:
    """A store of its own, copied from `template`; disposed (and dropped) afterwards."""
    with ExitStack() as stack:
        if kind == "spatialite":
            path = workdir / f"twin-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(template, path)
            url = f"sqlite:///{path}"
        else:
            url = stack.enter_context(postgis_database(template=template))
        engine = open_store(StoreSettings(database_url=url))
        try:
            yield engine
        finally:
            engine.dispose()


def ready_store(kind: str, workdir: Path) -> AbstractContextManager[Engine]:
    """A migrated store of `kind` holding the division table; disposed afterwards."""
    return _copied_store(kind, workdir, _template(kind, "empty", lambda engine: None))


def sample_store(
    kind: str, workdir: Path, secret: bytes = b"test-secret"
) -> AbstractContextManager[Engine]:
    """A store of `kind` of its own holding the small sample city, loaded with `secret`."""
    template = _template(kind, f"sample_{secret.hex()}",
                         lambda engine: sample_data.load(engine, "small", secret=secret))
    return _copied_store(kind, workdir, template)
