"""The one table that maps exception classes to HTTP statuses, and problem+json bodies."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from addressing.errors import BatchTooLarge
from twin.errors import (
    Conflict,
    InvalidInput,
    NotEditable,
    NotFound,
    PreconditionFailed,
    StoreError,
    TwinError,
)
from twin.store import UNANSWERED, unanswered

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class ApiError(TwinError):
    """Errors only the HTTP face raises: who may call, and which methods a resource takes."""


class Unauthorized(ApiError):
    """No valid API key or bearer token where one is needed."""

    title = "Unauthorized"


class Forbidden(ApiError):
    """The caller's key lacks the scope the operation needs."""

    title = "Forbidden"


class RateLimited(ApiError):
    """The caller made more requests than its rate limit allows; Retry-After says when."""

    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}
        self.members = {"retry_after": retry_after}


class RequestTooLarge(ApiError):
    """A request body larger than the server takes (TWIN_MAX_BODY_BYTES)."""

    title = "Request too large"


class NoSuchPath(ApiError):
    """A path no route serves, or a method a path does not take (the router's own 404/405)."""

    title = "Not found"

    def __init__(self, message: str, status: int, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.title = "Not found" if status == 404 else "Method not allowed"
        self.headers = headers


class InvalidRequest(ApiError):
    """A parameter or body the route's declared types refuse (FastAPI's own validation)."""

    title = "Invalid input"

    def __init__(self, exc: RequestValidationError):
        problems = [_problem(e) for e in exc.errors()]
        super().__init__("; ".join(p["detail"] for p in problems))
        self.field, self.value = problems[0]["field"], problems[0]["value"]
        self.members = {"errors": problems}


def _problem(error: Any) -> dict[str, Any]:
    # One entry of FastAPI's error list as where (query limit, body [3]), what and the value.
    where = [str(part) for part in error.get("loc", ())]
    place = where[0] if where else "request"
    field = ".".join(where[1:]) or None
    value = error.get("input")
    shown = None if value is None else str(value)[:200]
    detail = f"{place} {field}: {error.get('msg')}" if field else f"{place}: {error.get('msg')}"
    if shown is not None and field:
        detail += f" (got {shown!r})"
    return {"location": place, "field": field, "value": shown, "detail": detail}


class InputTooLarge(ApiError):
    """An input too large to process while the request waits: run it as a job."""

    title = "Input too large for a synchronous execution"

    def __init__(self, message: str, *, field: str, value: object):
        super().__init__(message)
        self.field, self.value = field, value


class AddressIndexNotReady(ApiError):
    """No address index answers yet: the first build runs, or the last one failed."""

    title = "Address index not ready"

    def __init__(self, message: str, *, retry_after: int, members: dict[str, object]):
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}
        self.members = members


# Most specific first: the first class an exception is an instance of decides. Every
# package's errors derive from these core classes (AddressInputError is an InvalidInput).
STATUS_BY_ERROR: list[tuple[type[Exception], int]] = [
    (InvalidRequest, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotEditable, 405),
    (RequestTooLarge, 413),
    (RateLimited, 429),
    (InputTooLarge, 413),
    (AddressIndexNotReady, 503),
    (BatchTooLarge, 413),
    (PreconditionFailed, 412),
    (Conflict, 409),
    (NotFound, 404),
    (InvalidInput, 400),
    (StoreError, 503),
    (TwinError, 500),
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


def known_error(exc: Exception) -> Exception:
    """`exc`, or the twin error it means (a driver's "the store did not answer" is
    StoreUnavailable: 503 with Retry-After, the driver's words logged, no SQL shown)."""
    translated = unanswered(exc)
    if translated is None:
        return exc
    log.warning("store did not answer: %s", exc)
    return translated


def status_of(exc: Exception, table: list[tuple[type[Exception], int]] = STATUS_BY_ERROR
              ) -> int | None:
    """The status `table` gives `exc` (None: not an error the API knows)."""
    return next((status for cls, status in table if isinstance(exc, cls)), None)


def register_error_handlers(app: FastAPI, table: list[tuple[type[Exception], int]]) -> None:
    """Register a problem+json handler per class; packages add their classes to `table`."""
    ordered = list(table)

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        status = status_of(exc, ordered) or 500
        response = problem_response(request, exc, status)
        if status == 405 and "allow" not in response.headers:  # a read-only layer's write
            response.headers["Allow"] = ", ".join(_allowed_methods(request))
        return response

    async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return await handle(request, InvalidRequest(exc))

    async def no_such_path(request: Request, exc: Exception) -> JSONResponse:
        # The router's own 404/405 (no route, or a method a route does not take).
        assert isinstance(exc, StarletteHTTPException)
        detail = (f"no resource at {request.url.path}; the API is described at /api"
                  if exc.status_code == 404 else str(exc.detail))
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # every method the path takes, not only one route's
            headers = {"Allow": ", ".join(_allowed_methods(request))}
        error = NoSuchPath(detail, exc.status_code, headers)
        return problem_response(request, error, exc.status_code)

    async def store_unanswered(request: Request, exc: Exception) -> JSONResponse:
        return await handle(request, known_error(exc))

    for cls, _ in ordered:
        app.add_exception_handler(cls, handle)
    for cls in UNANSWERED:  # the store went away mid-request: 503, try again
        app.add_exception_handler(cls, store_unanswered)
    app.add_exception_handler(StarletteHTTPException, no_such_path)
    # OGC API Features /req/core/query-param-invalid: a bad parameter value is a 400.
    app.add_exception_handler(RequestValidationError, invalid_request)
    _document_problems(app)


def _allowed_methods(request: Request) -> list[str]:
    # Ask the documented routes themselves (included routers' too): a method is allowed
    # where one of them takes it at this path. The undocumented catch-alls (a write to a
    # read-only or unknown layer) only refuse, so they add no method.
    path = request.scope.get("path", "")
    root = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    allowed: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        if not route.methods or not route.path_format or not getattr(
                route, "include_in_schema", True):
            continue
        if _path_regex(route.path_format).match(path):
            allowed |= set(route.methods)
    return [m for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE") if m in allowed]


@lru_cache(maxsize=1024)
def _path_regex(path_format: str) -> re.Pattern[str]:
    return compile_path(path_format)[0]


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details; `field` and `value` say what was refused",
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "instance": {"type": "string"},
        "field": {"type": "string"}, "value": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["type", "title", "status", "detail"],
}


def _document_problems(app: FastAPI) -> None:
    """Make the OpenAPI document say 400 problem+json where FastAPI would say 422."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = build()
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                if responses.pop("422", None) is not None:
                    responses.setdefault("400", {
                        "description": "Invalid input: which parameter or field, and why",
                        "content": {PROBLEM_JSON: {
                            "schema": {"$ref": "#/components/schemas/Problem"}}},
                    })
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        schemas["Problem"] = PROBLEM_SCHEMA
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
