"""Who is calling: API keys (`X-API-Key` or `Authorization: Bearer`), their scopes and rates.

A key is looked up in `TWIN_API_KEYS` first (as before), then among the keys stored
hashed in the store (`twin.keys`, made with `twin keys create`). Stored keys found are
kept for KEY_CACHE_SECONDS, so a revoked key stops working within that time in every
server process. Without a key the caller has `TWIN_ANONYMOUS_SCOPES` (`[]` switches
anonymous reading off). Each key may carry its own rate limit, and anonymous callers
share `TWIN_ANONYMOUS_RATE_LIMIT` per client address; a caller over its limit gets a
429 with Retry-After (the `limits` library counts, in memory per server process).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import threading
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api.errors import Forbidden, RateLimited, Unauthorized
from twin.keys import find_key, hash_key
from twin.layers import Level
from twin.settings import Settings

SCOPES = ("read", "write", "sensitive", "admin")
KEY_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class Principal:
    """The caller: an actor name fit for the audit log (never the key) and its scopes."""

    actor: str
    scopes: frozenset[str]
    rate_limit: str | None = None

    @property
    def anonymous(self) -> bool:
        """True for a caller without a key."""
        return self.actor.startswith("anonymous")

    @property
    def clearance(self) -> Level:
        """The highest classification this caller sees as stored: 敏感 with the sensitive
        scope, 内部 for a key with the read scope, else 公开 (`twin.layers.Level`)."""
        if self.can("sensitive"):
            return Level.sensitive
        if self.can("read") and not self.anonymous:
            return Level.internal
        return Level.public

    def can(self, scope: str) -> bool:
        """True when the caller holds `scope` (admin holds every scope)."""
        return scope in self.scopes or "admin" in self.scopes

    def require(self, scope: str) -> None:
        """Raise Unauthorized/Forbidden unless the caller holds `scope`."""
        if self.can(scope):
            return
        if self.anonymous:
            raise Unauthorized(
                f"this needs the {scope!r} scope: send an API key as X-API-Key or "
                "Authorization: Bearer <key>"
            )
        raise Forbidden(f"the key of {self.actor} lacks the {scope!r} scope")

    def require_clearance(self, level: Level, what: str) -> None:
        """Refuse `what` (a filter on a field, a layer's tiles) unless the caller sees
        `level` as stored: 401 without a key, 403 for a key without the sensitive scope."""
        if self.clearance.covers(level):
            return
        need = "the 'sensitive' scope" if level is Level.sensitive else "the 'read' scope"
        if self.anonymous:
            raise Unauthorized(f"{what} ({level.value}) needs an API key with {need}: send "
                               "it as X-API-Key or Authorization: Bearer <key>")
        raise Forbidden(f"{what} ({level.value}) needs {need}; the key of {self.actor} "
                        "lacks it")


def _presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


class KeyRing:
    """Stored keys as found in the store, kept briefly by their hash."""

    def __init__(self) -> None:
        self._found: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def principal(self, engine: object, secret: str) -> Principal | None:
        """The principal of a stored key (None: no such active key)."""
        digest = hash_key(secret)
        kept = self._found.get(digest)
        if kept is not None and time.monotonic() - kept[0] < KEY_CACHE_SECONDS:
            return kept[1]
        record = find_key(engine, secret)  # type: ignore[arg-type]
        found = None if record is None else Principal(
            record.actor, frozenset(record.scopes), record.rate_limit)
        with self._lock:
            if len(self._found) > 10_000:
                self._found.clear()
            self._found[digest] = (time.monotonic(), found)
        return found


class RateLimits:
    """Per-caller rate limits, counted in memory (moving window)."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._items: dict[str, RateLimitItem] = {}

    def hit(self, who: str, limit: str) -> None:
        """Count one request of `who`; RateLimited with Retry-After when over `limit`."""
        item = self._items.get(limit)
        if item is None:
            item = self._items[limit] = parse(limit)
        if self._limiter.hit(item, who):
            return
        reset = self._limiter.get_window_stats(item, who).reset_time
        retry = max(1, math.ceil(reset - time.time()))
        raise RateLimited(f"{who} is over its rate limit of {limit}; retry in {retry} s",
                          retry_after=retry)


def principal_for(settings: Settings, key: str | None, ring: KeyRing | None = None,
                  engine: object = None) -> Principal:
    """The principal a key stands for (anonymous without one); Unauthorized for a bad key."""
    if key is None:
        return Principal("anonymous", frozenset(settings.security.anonymous_scopes),
                         settings.security.anonymous_rate_limit)
    for known, scopes in settings.security.api_keys.items():
        if hmac.compare_digest(known.encode(), key.encode()):
            fingerprint = hashlib.sha256(known.encode()).hexdigest()[:12]
            return Principal(f"key:{fingerprint}", frozenset(scopes))
    stored = ring.principal(engine, key) if ring is not None and engine is not None else None
    if stored is None:
        raise Unauthorized("unknown or revoked API key")
    return stored


def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the caller of this request, counted against its rate limit."""
    state = request.app.state
    ring: KeyRing | None = getattr(state, "key_ring", None)
    if ring is None:
        ring = state.key_ring = KeyRing()
    principal = principal_for(state.settings, _presented_key(request), ring,
                              getattr(state, "engine", None))
    if principal.rate_limit:
        limits: RateLimits | None = getattr(state, "rate_limits", None)
        if limits is None:
            limits = state.rate_limits = RateLimits()
        who = principal.actor
        if who == "anonymous":
            who = f"anonymous@{request.client.host if request.client else '-'}"
        limits.hit(who, principal.rate_limit)
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
