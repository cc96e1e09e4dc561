"""Who is calling: API keys (`X-API-Key` or `Authorization: Bearer`) and their scopes."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from api.errors import Forbidden, Unauthorized
from twin.settings import Settings

SCOPES = ("read", "write", "sensitive", "admin")


@dataclass(frozen=True)
class Principal:
    """The caller: an actor name fit for the audit log (never the key) and its scopes."""

    actor: str
    scopes: frozenset[str]

    def can(self, scope: str) -> bool:
        """True when the caller holds `scope` (admin holds every scope)."""
        return scope in self.scopes or "admin" in self.scopes

    def require(self, scope: str) -> None:
        """Raise Unauthorized/Forbidden unless the caller holds `scope`."""
        if self.can(scope):
            return
        if self.actor == "anonymous":
            raise Unauthorized(
                f"this needs the {scope!r} scope: send an API key as X-API-Key or "
                "Authorization: Bearer <key>"
            )
        raise Forbidden(f"the key of {self.actor} lacks the {scope!r} scope")


def _presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def principal_for(settings: Settings, key: str | None) -> Principal:
    """The principal a key stands for (anonymous without one); Unauthorized for a bad key."""
    if key is None:
        return Principal("anonymous", frozenset(settings.security.anonymous_scopes))
    for known, scopes in settings.security.api_keys.items():
        if hmac.compare_digest(known.encode(), key.encode()):
            fingerprint = hashlib.sha256(known.encode()).hexdigest()[:12]
            return Principal(f"key:{fingerprint}", frozenset(scopes))
    raise Unauthorized("unknown API key")


def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the caller of this request."""
    return principal_for(request.app.state.settings, _presented_key(request))


PrincipalDep = Annotated[Principal, Depends(current_principal)]
