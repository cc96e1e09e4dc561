"""The limits every request is held to, checked before any route runs.

Bbox size, CQL2 filter depth and body size bound what one request may cost;
each is a setting, stated in the OpenAPI document (api/openapi.py), and refused here
with a problem+json that names the parameter, its value and the limit. Checking them in
one middleware keeps one rule for every face that serves the same parameters (the
FastAPI routes and the lean read path of api/fast_reads.py alike).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import RequestTooLarge, problem_response, status_of
from twin.errors import InvalidInput
from twin.settings import ApiSettings

CRS84 = ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", "OGC:CRS84", "CRS84")


def filter_depth(text: str, lang: str | None) -> int:
    """How deeply a CQL2 filter nests: parentheses in text, arrays and objects in JSON."""
    if lang == "cql2-json":
        try:
            return _json_depth(json.loads(text))
        except ValueError:
            return 0  # not JSON: the filter parser says what is wrong with it
    depth = deepest = 0
    quoted = False
    for ch in text:
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif not quoted and ch == ")":
            depth -= 1
    return deepest


def _json_depth(value: object) -> int:
    # Iterative: a hostile filter nested thousands deep must not exhaust the stack.
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return deepest


def check_query(query: dict[str, str], limits: ApiSettings) -> None:
    """Raise InvalidInput for a parameter beyond its limit (values the routes parse later).

    `limit` is not refused: OGC API Features serves a larger page size as the maximum
    (the client follows the next links), which is what GDAL and QGIS count on.
    """
    bbox = query.get("bbox")
    if bbox is not None and query.get("bbox-crs", CRS84[0]) in CRS84:
        try:
            numbers = [float(v) for v in bbox.split(",")]
        except ValueError:
            numbers = []
        if len(numbers) in (4, 6):
            half = len(numbers) // 2
            width = numbers[half] - numbers[0]
            height = numbers[half + 1] - numbers[1]
            if max(width, height) > limits.max_bbox_degrees:
                raise InvalidInput(f"bbox spans {max(width, height):g} degrees; at most "
                                   f"{limits.max_bbox_degrees:g} on a side", field="bbox",
                                   value=bbox)
    text = query.get("filter")
    if text is not None:
        depth = filter_depth(text, query.get("filter-lang"))
        if depth > limits.max_filter_depth:
            raise InvalidInput(f"the filter nests {depth} levels deep; at most "
                               f"{limits.max_filter_depth}", field="filter", value=text[:200])


class RequestLimits:
    """ASGI middleware: refuse a request beyond a limit before it reaches a route."""

    def __init__(self, app: ASGIApp, limits: ApiSettings) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the query and the body's size, then pass the request on."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                   keep_blank_values=True))
            check_query(query, self.limits)
            declared = request.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.limits.max_body_bytes:
                raise self._too_large(int(declared))
        except (InvalidInput, RequestTooLarge) as exc:
            await problem_response(request, exc, status_of(exc) or 400)(scope, receive, send)
            return
        if declared is None and scope["method"] in ("POST", "PUT", "PATCH"):
            # A body sent in chunks without Content-Length: read it here, counting, and
            # hand the route the same bytes (the routes read whole bodies anyway).
            body = await self._read_counted(receive)
            if body is None:
                refused = self._too_large(None)
                await problem_response(request, refused, 413)(scope, receive, send)
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, send)

    def _too_large(self, size: int | None) -> RequestTooLarge:
        said = f"{size:,} bytes" if size is not None else "more"
        return RequestTooLarge(f"the request body holds {said}; at most "
                               f"{self.limits.max_body_bytes:,} bytes (TWIN_MAX_BODY_BYTES)")

    async def _read_counted(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limits.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
