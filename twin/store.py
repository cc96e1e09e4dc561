"""The store: one data model on SpatiaLite (embedded default) or PostGIS, through SQLAlchemy 2.

`Store.open(settings)` (once, in the app lifespan or a command) gives the store: its
engine, with the spatial extension loaded, and its dialect (`twin.dialects`), which knows
everything that differs between the two stores. `open_store(settings)` gives the engine
alone; `migrate(engine)` brings the schema to the newest Alembic revision; `session(engine)`
opens a unit of work.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from importlib import resources
from typing import TYPE_CHECKING

# shapely, pyproj and pyogrio bundle their own GEOS/PROJ/GDAL. SQLite loads SpatiaLite
# with RTLD_GLOBAL, which puts Debian's GEOS/PROJ in the global symbol scope; a wheel
# imported after that can bind to the wrong library and crash. Python binds extension
# modules at import (RTLD_NOW), so importing them before any SpatiaLite load keeps each
# library on its own copy.
import pyogrio  # noqa: F401  (import order matters, see above)
import pyproj  # noqa: F401
import shapely  # noqa: F401
from alembic import command
from alembic.config import Config
from geoalchemy2.admin.dialects.sqlite import init_spatialite
from psycopg import OperationalError as DriverOperationalError
from psycopg_pool import PoolTimeout
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from twin.dialects import DIALECTS, StoreDialect
from twin.errors import StoreError, StoreUnavailable
from twin.models import STORAGE_SRID
from twin.settings import StoreSettings

if TYPE_CHECKING:
    from twin.boxes import BoxKeeper

# SRIDs the embedded store must know; EPSG:4490 is the storage CRS, the rest are for
# SpatiaLite-side transforms that clients may ask of the SQL directly.
SPATIALITE_SRIDS = (STORAGE_SRID, 4326, 3857)


def _sqlite_module() -> object:
    """A sqlite3 DB-API module that can load extensions.

    Some Python builds (pyenv's default among them) leave extension loading out of the
    standard `sqlite3`; `pysqlite3-binary` ships the same API with it compiled in.
    """
    if hasattr(sqlite3.Connection, "enable_load_extension"):
        return sqlite3
    try:
        from pysqlite3 import dbapi2
    except ImportError as exc:  # pragma: no cover - depends on the Python build
        raise StoreError(
            "this Python's sqlite3 cannot load SpatiaLite; pip install pysqlite3-binary"
        ) from exc
    return dbapi2


def _on_sqlite_connect(dbapi_conn: object, _record: object, *, library: str) -> None:
    dbapi_conn.enable_load_extension(True)  # type: ignore[attr-defined]
    dbapi_conn.load_extension(library)  # type: ignore[attr-defined]
    dbapi_conn.enable_load_extension(False)  # type: ignore[attr-defined]
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA cache_size = -65536")
    cursor.close()
    init_spatialite(dbapi_conn, transaction=True, init_mode="EMPTY")
    for srid in SPATIALITE_SRIDS:
        dbapi_conn.execute(  # type: ignore[attr-defined]
            "SELECT InsertEpsgSrid(?) WHERE NOT EXISTS "
            "(SELECT 1 FROM spatial_ref_sys WHERE srid = ?)",
            (srid, srid),
        )


def open_store(settings: StoreSettings | None = None) -> Engine:
    """An engine for the configured store, with SpatiaLite loaded for sqlite URLs."""
    settings = settings or StoreSettings()
    try:
        make_url(settings.database_url)
    except ArgumentError:
        raise StoreError(
            f"cannot read the store URL {settings.database_url!r} (TWIN_DATABASE_URL); use "
            "sqlite:///path/twin.db or postgresql+psycopg://user@host:5432/db"
        ) from None
    if settings.is_sqlite:
        path = settings.sqlite_path
        if path is not None and path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            settings.database_url, module=_sqlite_module(), connect_args={"timeout": 30}
        )
        event.listen(
            engine, "connect", partial(_on_sqlite_connect, library=settings.spatialite_library)
        )
    else:
        # No pre-ping: it costs a round trip per checkout (~10% of an item-by-id request);
        # a dropped connection is still noticed on use and the pool renewed.
        engine = create_engine(
            settings.database_url, pool_size=10, max_overflow=20, pool_recycle=1800
        )
    return engine


class Store:
    """One store: its engine and the dialect that knows how SQL differs on it.

    Made once per engine (`Store.open`, `Store.of`); it also keeps what is kept per store,
    such as the boxes of large layers (`box_keeper`).
    """

    def __init__(self, engine: Engine) -> None:
        """The store behind `engine` (prefer `Store.of`, which makes one per engine)."""
        self.engine = engine
        self.dialect: StoreDialect = DIALECTS[engine.dialect.name]
        self._keeper: BoxKeeper | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, settings: StoreSettings | None = None) -> Store:
        """The configured store (TWIN_DATABASE_URL by default)."""
        return cls.of(open_store(settings))

    @classmethod
    def of(cls, engine: Engine) -> Store:
        """The Store of `engine`: the same one while anything (the app, a command) holds it."""
        found = _stores.get(id(engine))
        if found is None or found.engine is not engine:
            with _stores_lock:
                found = _stores.get(id(engine))
                if found is None or found.engine is not engine:
                    found = _stores[id(engine)] = cls(engine)
        return found

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads (no transaction round trips where the store allows),
        with the session settings feature reads rely on, set once per pooled connection."""
        conn = self.engine.connect()
        try:
            options = self.dialect.read_options()
            if options:
                conn = conn.execution_options(**options)
            if not conn.info.get("reads_ready"):
                self.dialect.prepare_reads(conn)
                if conn.in_transaction():
                    conn.commit()
                conn.info["reads_ready"] = True
            yield conn
        finally:
            conn.close()

    def box_keeper(self, min_rows: int) -> BoxKeeper | None:
        """The boxes of this store's large layers (`twin.boxes`); None where the store
        cannot keep them (their statements are PostGIS's)."""
        if not self.dialect.keeps_boxes:
            return None
        if self._keeper is None:
            from twin.boxes import BoxKeeper

            with self._lock:
                if self._keeper is None:
                    self._keeper = BoxKeeper(self.engine, min_rows)
        return self._keeper

    def migrate(self, revision: str = "head") -> None:
        """Bring the schema to `revision` (see `migrate`)."""
        migrate(self.engine, revision)

    def dispose(self) -> None:
        """Close the engine's pooled connections."""
        self.engine.dispose()


# By engine id, weakly: a Store holds its engine, so an entry lives as long as its holder.
_stores: weakref.WeakValueDictionary[int, Store] = weakref.WeakValueDictionary()
_stores_lock = threading.Lock()


# What the drivers raise when the store stops answering mid-request (a restart, the
# network, a lock or statement timeout): the request may be tried again.
UNANSWERED: tuple[type[Exception], ...] = (OperationalError, InterfaceError,
                                          DriverOperationalError, PoolTimeout)


def unanswered(exc: Exception) -> StoreUnavailable | None:
    """`exc` as StoreUnavailable when it says the store did not answer, else None. The
    message keeps the driver's first line, never the SQL."""
    if not isinstance(exc, UNANSWERED):
        return None
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [type(cause).__name__])[0][:200]
    return StoreUnavailable(f"the store did not answer ({first}); try again shortly")


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("twin").joinpath("migrations")))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (newest by default); safe to run again."""
    config = _alembic_config(engine)
    try:
        with engine.begin() as connection:
            Store.of(engine).dialect.prepare_schema(connection)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except OperationalError as exc:
        raise StoreError(f"cannot reach the store at {engine.url!r}: {exc.orig}") from exc


def schema_ready(engine: Engine) -> bool:
    """True when the store has been initialised (`twin init`)."""
    try:
        return inspect(engine).has_table("address")
    except DatabaseError:  # unreachable, or a file that is not a database at all
        return False


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to `engine`."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session(engine: Engine) -> Iterator[Session]:
    """A unit of work: committed on success, rolled back on any error."""
    with make_sessions(engine)() as s, s.begin():
        yield s

