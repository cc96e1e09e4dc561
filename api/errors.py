"""The one table that maps exception classes to HTTP statuses, and problem+json bodies."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from addressing.errors import (
    AddressBaseEmpty,
    AddressError,
    AddressInputError,
    BatchTooLarge,
    UnknownAddress,
)
from twin.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    StoreError,
    TwinError,
)

PROBLEM_JSON = "application/problem+json"


class ApiError(TwinError):
    """Errors only the HTTP face raises: who may call, and which methods a resource takes."""


class Unauthorized(ApiError):
    """No valid API key or bearer token where one is needed."""

    title = "Unauthorized"


class Forbidden(ApiError):
    """The caller's key lacks the scope the operation needs."""

    title = "Forbidden"


class MethodNotAllowed(ApiError):
    """The resource exists but does not take this method (a read-only layer)."""

    title = "Method not allowed"


class AddressIndexNotReady(ApiError):
    """No address index answers yet: the first build runs, or the last one failed."""

    title = "Address index not ready"

    def __init__(self, message: str, *, retry_after: int, members: dict[str, object]):
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}
        self.members = members


# Most specific first: the first class an exception is an instance of decides.
STATUS_BY_ERROR: list[tuple[type[Exception], int]] = [
    (Unauthorized, 401),
    (Forbidden, 403),
    (MethodNotAllowed, 405),
    (AddressIndexNotReady, 503),
    (PreconditionFailed, 412),
    (Conflict, 409),
    (NotFound, 404),
    (InvalidInput, 400),
    (StoreError, 503),
    (TwinError, 500),
    (BatchTooLarge, 413),
    (UnknownAddress, 404),
    (AddressBaseEmpty, 409),
    (AddressInputError, 400),
    (AddressError, 500),
]


def problem_response(request: Request, exc: Exception, status: int) -> JSONResponse:
    """The problem+json answer for a known error."""
    body: dict[str, object] = {
        "type": "about:blank",
        "title": getattr(exc, "title", type(exc).__name__),
        "status": status,
        "detail": str(exc),
        "instance": str(request.url.path),
    }
    for extra in ("field", "value"):
        if getattr(exc, extra, None) is not None:
            body[extra] = str(getattr(exc, extra))
    body.update(getattr(exc, "members", None) or {})  # RFC 9457 extension members
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON,
                        headers=getattr(exc, "headers", None))


def status_of(exc: Exception, table: list[tuple[type[Exception], int]] = STATUS_BY_ERROR
              ) -> int | None:
    """The status `table` gives `exc` (None: not an error the API knows)."""
    return next((status for cls, status in table if isinstance(exc, cls)), None)


def register_error_handlers(app: FastAPI, table: list[tuple[type[Exception], int]]) -> None:
    """Register a problem+json handler per class; packages add their classes to `table`."""
    ordered = list(table)

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(request, exc, status_of(exc, ordered) or 500)

    for cls, _ in ordered:
        app.add_exception_handler(cls, handle)
