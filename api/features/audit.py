"""Audit lines for reads through the API: who saw unmasked sensitive fields."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from api.auth import Principal
from twin.audit import record


def record_read(engine: Engine, principal: Principal, layer: str, object_id: str | None,
                detail: dict[str, Any]) -> None:
    """Log a sensitive read in its own transaction."""
    with engine.begin() as conn:
        record(conn, principal.actor, "read-sensitive", layer, object_id, detail)
