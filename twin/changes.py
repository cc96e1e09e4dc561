"""How far each layer's table has changed: the version its committed writes have reached.

Every committed write to a layer's table raises that table's version (migrations 0003 on
PostGIS: once per transaction, in commit order; 0009 on SpatiaLite: once per row written,
or once for a bulk write, by SQLite's one writer at a time). Whatever a reader keeps in
memory from a snapshot at version N is exact while the store says N; reading the version
is one primary-key lookup.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Connection, Engine, text

from twin.store import Store

# More ids written than this are not listed: a reader reads the layer whole again, cheaper
# than row by row by then (and an IN-list of them would pass SQLite's parameter limit).
LIST_LIMIT = 10_000

VERSIONS_SQL = "SELECT layer, version FROM layer_version"
OLDEST_SQL = "SELECT min(version) FROM layer_touch WHERE layer = :layer"
CHANGED_SQL = """
SELECT DISTINCT c.feature_id FROM layer_touch t JOIN layer_change c ON c.touch_id = t.id
WHERE t.layer = :layer AND t.version > :since LIMIT :limit
"""


def layer_version(conn: Connection, table_name: str) -> int | None:
    """The change version of `table_name` as `conn`'s snapshot sees it (None: not kept)."""
    return Store.of(conn.engine).dialect.layer_version(conn, table_name)


def layer_versions(conn: Connection) -> dict[str, int]:
    """Table name → change version of every layer table, as `conn`'s snapshot sees them."""
    return Store.of(conn.engine).dialect.layer_versions(conn)


def changed_ids(conn: Connection, table_name: str, since: int) -> list[int] | None:
    """Ids of `table_name` written after version `since` (as `conn`'s snapshot sees it).

    None when they are not all known: a write was too large to list, the table was
    truncated or has no ids, or touches that old are forgotten. Read it whole then.
    """
    ids = conn.execute(text(CHANGED_SQL), {"layer": table_name, "since": since,
                                           "limit": LIST_LIMIT + 1}).scalars().all()
    # Asked second: on a connection without one snapshot, touches forgotten after the ids
    # were read show here (touches are only ever forgotten, never noted at old versions).
    oldest = conn.execute(text(OLDEST_SQL), {"layer": table_name}).scalar()
    if len(ids) > LIST_LIMIT or None in ids or (oldest is not None and oldest > since + 1):
        return None
    return [int(i) for i in ids]


class LayerVersions(Protocol):
    """Reads layers' change versions on the event loop (`twin.features.lookup` on PostGIS,
    `SqliteVersions` on SpatiaLite): what says whether a kept tile still holds."""

    async def layer_versions(self, tables: list[str]) -> dict[str, int]:
        """The change versions of `tables` (those the store keeps)."""
        ...


class SqliteVersions:
    """Layers' change versions of a SpatiaLite file, read on the event loop.

    SQLite has no async driver, but a primary-key read of a small table takes microseconds,
    less than the hop to a worker thread it saves. The connection is this reader's own, in
    autocommit (no snapshot held between reads); in WAL mode a reader never waits for the
    writer, and should the file be locked anyway (a recovery), the read gives up at once
    and says nothing: the caller draws the tile the usual way.
    """

    def __init__(self, connection: Any, locked: type[Exception]) -> None:
        self._conn = connection
        self._locked = locked

    @classmethod
    def of(cls, engine: Engine) -> SqliteVersions | None:
        """A reader of `engine`'s SQLite file (None: not SQLite, or a private in-memory
        store)."""
        path = engine.url.database
        if engine.dialect.name != "sqlite" or not path or path == ":memory:":
            return None
        # The engine's own SQLite library (pysqlite3 on some Pythons): two SQLite copies in
        # one process on one WAL file break each other's locks.
        dbapi = engine.dialect.loaded_dbapi
        conn = dbapi.connect(path, check_same_thread=False, isolation_level=None, timeout=0)
        return cls(conn, dbapi.OperationalError)

    async def layer_versions(self, tables: list[str]) -> dict[str, int]:  # noqa: D102
        try:
            rows = self._conn.execute(VERSIONS_SQL).fetchall()
        except self._locked:  # locked (or not migrated yet): draw it the usual way
            return {}
        return {table: int(version) for table, version in rows if table in tables}

    def close(self) -> None:
        """Close the reader's connection."""
        self._conn.close()
