"""One feature by its code on PostGIS, read on the event loop (and layers' versions, which
say whether a kept tile still holds).

An item-by-id read is a primary-key lookup PostGIS answers in a fraction of a millisecond;
the way there cost more: a hop to the thread pool, a pooled SQLAlchemy connection switched
to autocommit and back, the statement's cache lookup and result processing. Here the same
statement the generic path runs (`twin.features.service.item_statement`) is compiled once
per shape and executed through an async psycopg pool, prepared on each connection at first
use. Everything before and after the read (checks, 304, links, masking, the bytes) is the
generic path's own code, so both answer alike.

Audited reads (sensitive fields shown unmasked) keep to the generic path: the audit write
is a blocking transaction.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from psycopg import AsyncCursor
from psycopg.rows import RowMaker
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine
from sqlalchemy.engine import Dialect

from twin.features.service import ItemShape, item_statement

VERSIONS_SQL = "SELECT layer, version FROM layer_version WHERE layer = ANY(%(tables)s)"

# Connections of the read pool: about one per request the event loop interleaves.
POOL_MIN = 1
POOL_MAX = 8
# How long a read waits for a connection: while the store is down (restarting), a request
# is answered 503 after this, not held for the pool's default 30 s.
WAIT_SECONDS = 3.0


class StoreRow(tuple[Any, ...]):
    """A row as the answer builders read it: by position, by name, with `_fields`."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[self._fields.index(name)]
        except ValueError:
            raise AttributeError(name) from None


@lru_cache(maxsize=64)
def row_class(names: tuple[str, ...]) -> type[StoreRow]:
    """The StoreRow type of rows with these column names."""
    return type("StoreRow", (StoreRow,), {"__slots__": (), "_fields": names})


class Lookup(NamedTuple):
    """An item shape's statement compiled once: SQL, fixed parameters, its row type."""

    sql: str
    fixed: dict[str, Any]
    row: type[StoreRow]

    def rows(self, _cursor: AsyncCursor[Any]) -> RowMaker[StoreRow]:
        """psycopg row factory; the names are known, so the result's description is not read
        (building it costs more than the rest of the fetch)."""
        return self.row


@lru_cache(maxsize=256)
def compiled_lookup(dialect: Dialect, shape_key: tuple[str, bool, tuple[str, ...] | None]
                    ) -> Lookup:
    """The SQL text, fixed parameters and row type of an item shape's statement."""
    stmt = item_statement(*shape_key)
    compiled = stmt.compile(dialect=dialect)
    return Lookup(str(compiled), dict(compiled.params),
                  row_class(tuple(stmt.selected_columns.keys())))


async def _ready(conn: Any) -> None:
    # Same session settings as the store's reads (twin.dialects.PostGIS): no JIT.
    await conn.execute("SET jit = off")


class FeatureLookup:
    """Prepared primary-key lookups of every layer over an async psycopg pool."""

    def __init__(self, pool: AsyncConnectionPool, dialect: Dialect) -> None:
        self.pool = pool
        self.dialect = dialect

    @classmethod
    async def open(cls, engine: Engine) -> FeatureLookup:
        """A lookup over the PostGIS store of `engine` (its URL, its own connections)."""
        conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False)
        pool: AsyncConnectionPool = AsyncConnectionPool(
            conninfo, min_size=POOL_MIN, max_size=POOL_MAX, open=False,
            kwargs={"autocommit": True}, configure=_ready, timeout=WAIT_SECONDS)
        await pool.open()
        return cls(pool, engine.dialect)

    async def close(self) -> None:
        """Close the pool's connections."""
        await self.pool.close()

    async def layer_versions(self, tables: list[str]) -> dict[str, int]:
        """The change versions of `tables` (twin.changes.layer_version, several at once)."""
        async with self.pool.connection() as conn:
            cursor = await conn.execute(VERSIONS_SQL, {"tables": tables}, prepare=True)
            return {table: int(version) for table, version in await cursor.fetchall()}

    async def row(self, shape: ItemShape, feature_id: str) -> StoreRow | None:
        """The row of `feature_id` in the shape asked for, or None."""
        lookup = compiled_lookup(
            self.dialect, (shape.layer.name, shape.crs.is_storage_order, shape.properties))
        async with self.pool.connection() as conn:
            cursor = conn.cursor(row_factory=lookup.rows)
            await cursor.execute(lookup.sql, {**lookup.fixed, "feature_id": feature_id},
                                 prepare=True)
            return await cursor.fetchone()
