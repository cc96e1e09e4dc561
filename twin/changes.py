"""How far each layer's table has changed: the version its committed writes have reached.

On PostGIS every committed transaction that writes a layer's table raises that table's
version by one (migration 0003), in commit order. Whatever a reader keeps in memory from
a snapshot at version N is exact while the store says N; reading the version is one
primary-key lookup. SQLite stores keep no versions (`None`).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from twin.store import is_postgis

VERSION_SQL = "SELECT version FROM layer_version WHERE layer = :layer"


def layer_version(conn: Connection, table_name: str) -> int | None:
    """The change version of `table_name` as `conn`'s snapshot sees it (None: not kept)."""
    if not is_postgis(conn.engine):
        return None
    value = conn.execute(text(VERSION_SQL), {"layer": table_name}).scalar()
    return None if value is None else int(value)
