"""API keys and bearer tokens kept in the store: made, listed and revoked, never shown twice.

A key is a random token given to its holder once; the store keeps its SHA-256, its scopes
(`read`, `write`, `sensitive`, `admin`) and optionally its own rate limit ("100/minute",
the `limits` library's notation). Keys from `TWIN_API_KEYS` keep working beside these.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from limits import parse
from sqlalchemy import JSON, DateTime, Engine, String, Table, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from twin.errors import InvalidInput, NotFound
from twin.models import Base, Key

SCOPES = ("read", "write", "sensitive", "admin")
TOKEN_PREFIX = "twin_"


class ApiKey(Base):
    """A stored key: its hash, scopes and limit (migration 0004)."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(Key, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    rate_limit: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                 default=lambda: datetime.now(UTC))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class KeyRecord:
    """What may be said about a key: never the key itself."""

    id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    rate_limit: str | None
    created_at: datetime
    revoked_at: datetime | None

    @property
    def actor(self) -> str:
        """The name the audit log gives the key's holder."""
        return f"key:{self.name}#{self.id}"[:64]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly view."""
        return {"id": self.id, "name": self.name, "prefix": self.prefix,
                "scopes": list(self.scopes), "rate_limit": self.rate_limit,
                "created_at": self.created_at.isoformat(),
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


def hash_key(secret: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(secret.encode()).hexdigest()


def check_scopes(scopes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The scopes, in the canonical order; InvalidInput naming an unknown one."""
    for scope in scopes:
        if scope not in SCOPES:
            raise InvalidInput(f"unknown scope {scope!r}; scopes are {', '.join(SCOPES)}",
                               field="scopes", value=scope)
    if not scopes:
        raise InvalidInput("a key needs at least one scope", field="scopes", value="")
    return tuple(s for s in SCOPES if s in scopes)


def check_rate_limit(text: str | None) -> str | None:
    """A rate limit in the `limits` notation ("100/minute"), or InvalidInput."""
    if text is None or not text.strip():
        return None
    try:
        parse(text)
    except ValueError:
        raise InvalidInput(f"rate limit {text!r} is not like '100/minute' or '10/second'",
                           field="rate_limit", value=text) from None
    return text.strip()


def _record(row: Any) -> KeyRecord:
    return KeyRecord(row.id, row.name, row.prefix, tuple(row.scopes), row.rate_limit,
                     row.created_at, row.revoked_at)


def create_key(engine: Engine, name: str, scopes: list[str] | tuple[str, ...],
               rate_limit: str | None = None) -> tuple[KeyRecord, str]:
    """Make a key; returns its record and the secret, which is not kept and not shown again."""
    if not name.strip() or len(name) > 64:
        raise InvalidInput("a key needs a name of 1 to 64 characters", field="name", value=name)
    ordered, limit = check_scopes(scopes), check_rate_limit(rate_limit)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    table = cast(Table, ApiKey.__table__)
    with engine.begin() as conn:
        new_id = conn.execute(insert(table).values(
            name=name.strip(), prefix=secret[:12], key_hash=hash_key(secret),
            scopes=list(ordered), rate_limit=limit, created_at=datetime.now(UTC),
        ).returning(table.c.id)).scalar_one()
        row = conn.execute(select(table).where(table.c.id == new_id)).one()
    return _record(row), secret


def list_keys(engine: Engine, include_revoked: bool = True) -> list[KeyRecord]:
    """Every stored key, oldest first."""
    table = cast(Table, ApiKey.__table__)
    stmt = select(table).order_by(table.c.id)
    if not include_revoked:
        stmt = stmt.where(table.c.revoked_at.is_(None))
    with engine.connect() as conn:
        return [_record(row) for row in conn.execute(stmt)]


def revoke_key(engine: Engine, key_id: int) -> KeyRecord:
    """Revoke a key by id (revoking twice keeps the first time); NotFound for no such key."""
    table = cast(Table, ApiKey.__table__)
    with engine.begin() as conn:
        conn.execute(update(table).where(table.c.id == key_id, table.c.revoked_at.is_(None))
                     .values(revoked_at=datetime.now(UTC)))
        row = conn.execute(select(table).where(table.c.id == key_id)).first()
    if row is None:
        raise NotFound(f"no API key with id {key_id}")
    return _record(row)


def find_key(engine: Engine, secret: str) -> KeyRecord | None:
    """The active key `secret` stands for, or None."""
    table = cast(Table, ApiKey.__table__)
    with engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.key_hash == hash_key(secret),
                                               table.c.revoked_at.is_(None))).first()
    return None if row is None else _record(row)
