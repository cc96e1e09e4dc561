"""The one table that maps exception classes to HTTP statuses, and problem+json bodies."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from twin.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    StoreError,
    TwinError,
)

PROBLEM_JSON = "application/problem+json"

# Most specific first: the first class an exception is an instance of decides.
STATUS_BY_ERROR: list[tuple[type[Exception], int]] = [
    (PreconditionFailed, 412),
    (Conflict, 409),
    (NotFound, 404),
    (InvalidInput, 400),
    (StoreError, 503),
    (TwinError, 500),
]


def register_error_handlers(app: FastAPI, table: list[tuple[type[Exception], int]]) -> None:
    """Register a problem+json handler per class; packages add their classes to `table`."""
    ordered = list(table)

    def status_of(exc: Exception) -> int:
        return next(status for cls, status in ordered if isinstance(exc, cls))

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        status = status_of(exc)
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
        return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)

    for cls, _ in ordered:
        app.add_exception_handler(cls, handle)
