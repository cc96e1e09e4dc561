"""How far each layer's table has changed: the version its committed writes have reached.

Every committed write to a layer's table raises that table's version (migrations 0003 on
PostGIS: once per transaction, in commit order; 0009 on SpatiaLite: once per row written,
or once for a bulk write, by SQLite's one writer at a time). Whatever a reader keeps in
memory from a snapshot at version N is exact while the store says N; reading the version
is one primary-key lookup.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from twin.store import Store

# More ids written than this are not listed: a reader reads the layer whole again, cheaper
# than row by row by then (and an IN-list of them would pass SQLite's parameter limit).
LIST_LIMIT = 10_000

OLDEST_SQL = "SELECT min(version) FROM layer_touch WHERE layer = :layer"
CHANGED_SQL = """
SELECT DISTINCT c.feature_id FROM layer_touch t JOIN layer_change c ON c.touch_id = t.id
WHERE t.layer = :layer AND t.version > :since LIMIT :limit
"""


def layer_version(conn: Connection, table_name: str) -> int | None:
    """The change version of `table_name` as `conn`'s snapshot sees it (None: not kept)."""
    return Store.of(conn.engine).dialect.layer_version(conn, table_name)


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
