"""The audit log: who did what, when, to which records; append-only.

`record` appends one line per write or sensitive read (in the same transaction as a
write); nothing in the service updates or deletes a line. `read_audit` reads it, newest
first, in pages that continue below an id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, insert, select

from twin.models import AuditEntry

AUDIT = cast(Table, AuditEntry.__table__)


def record(conn: Connection, actor: str, action: str, layer: str, object_id: str | None,
           detail: dict[str, Any] | None = None) -> None:
    """Append one audit line inside the caller's transaction."""
    conn.execute(insert(AUDIT).values(
        actor=actor, action=action, layer=layer, object_id=object_id, detail=detail or {},
    ))


@dataclass(frozen=True)
class AuditQuery:
    """Filters on the log; each one given narrows it, all must hold."""

    actor: str | None = None
    action: str | None = None
    layer: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    below_id: int | None = None  # the next page: lines older than this one
    limit: int = 100


def read_audit(engine: Engine, q: AuditQuery) -> tuple[list[dict[str, Any]], bool]:
    """The lines matching `q`, newest first, and whether older ones follow."""
    c = AUDIT.c
    stmt = select(AUDIT).order_by(c.id.desc()).limit(q.limit + 1)
    for column, value in ((c.actor, q.actor), (c.action, q.action), (c.layer, q.layer),
                          (c.object_id, q.object_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if q.since is not None:
        stmt = stmt.where(c.at >= q.since)
    if q.until is not None:
        stmt = stmt.where(c.at <= q.until)
    if q.below_id is not None:
        stmt = stmt.where(c.id < q.below_id)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    lines = [{"id": r.id, "at": _iso(r.at), "actor": r.actor, "action": r.action,
              "layer": r.layer, "object_id": r.object_id, "detail": r.detail}
             for r in rows[:q.limit]]
    return lines, len(rows) > q.limit


def _iso(at: datetime | str) -> str:
    # SQLite hands back text for a server-default timestamp; PostGIS a datetime.
    return at if isinstance(at, str) else at.isoformat()
