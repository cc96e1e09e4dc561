"""How far each layer's table has changed: the version its committed writes have reached.

On PostGIS every committed transaction that writes a layer's table raises that table's
version by one (migration 0003), in commit order. Whatever a reader keeps in memory from
a snapshot at version N is exact while the store says N; reading the version is one
primary-key lookup. SQLite stores keep no versions (`None`).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from twin.store import Store


def layer_version(conn: Connection, table_name: str) -> int | None:
    """The change version of `table_name` as `conn`'s snapshot sees it (None: not kept)."""
    return Store.of(conn.engine).dialect.layer_version(conn, table_name)


CHANGED_SQL = """
SELECT bool_or(c.feature_id IS NULL) AS whole, array_agg(DISTINCT c.feature_id) AS ids,
       (SELECT min(version) FROM layer_touch WHERE layer = :layer) AS oldest
FROM layer_touch t JOIN layer_change c ON c.touch_id = t.id
WHERE t.layer = :layer AND t.version > :since
"""


def changed_ids(conn: Connection, table_name: str, since: int) -> list[int] | None:
    """Ids of `table_name` written after version `since` (as `conn`'s snapshot sees it).

    None when they are not all known: a statement wrote too many rows to list, the table
    was truncated or has no ids, or touches that old are forgotten. Read it whole then.
    """
    row = conn.execute(text(CHANGED_SQL), {"layer": table_name, "since": since}).one()
    if row.whole or (row.oldest is not None and row.oldest > since + 1):
        return None
    return [i for i in (row.ids or []) if i is not None]
