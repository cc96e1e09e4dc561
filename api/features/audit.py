"""The audit log: every write and every read of unmasked sensitive fields."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Table, insert

from api.auth import Principal
from twin.models import AuditEntry

AUDIT: Table = AuditEntry.__table__  # type: ignore[assignment]


def record(conn: Connection, principal: Principal, action: str, layer: str,
           object_id: str | None, detail: dict[str, Any] | None = None) -> None:
    """Append one audit line inside the caller's transaction."""
    conn.execute(insert(AUDIT).values(
        actor=principal.actor, action=action, layer=layer, object_id=object_id,
        detail=detail or {},
    ))


def record_read(engine: Engine, principal: Principal, layer: str, object_id: str | None,
                detail: dict[str, Any]) -> None:
    """Log a sensitive read in its own transaction."""
    with engine.begin() as conn:
        record(conn, principal, "read-sensitive", layer, object_id, detail)
