"""The audit log: every write and every read of unmasked sensitive fields, append-only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, insert

from twin.models import AuditEntry

AUDIT: Table = AuditEntry.__table__  # type: ignore[assignment]


def record(conn: Connection, actor: str, action: str, layer: str, object_id: str | None,
           detail: dict[str, Any] | None = None) -> None:
    """Append one audit line inside the caller's transaction."""
    conn.execute(insert(AUDIT).values(
        actor=actor, action=action, layer=layer, object_id=object_id, detail=detail or {},
    ))
