"""The hot read routes, answered without the framework's routing and dependency solving.

`GET /collections/{id}/items` and `GET /collections/{id}/items/{featureId}` as GeoJSON are
what GIS clients call most, and `/collections` and `/collections/{id}` as JSON what they
call first. FastAPI spends more time matching ~30 routes and solving a
route's dependencies than the store spends on a primary-key lookup (about 45 % of an
item-by-id request under load). This middleware recognises those two requests, reads the
same parameters the FastAPI routes declare and calls the same handlers
(`api.features.items.read_items` / `read_item`), so there is one implementation of the
answer. Anything else (HTML, another method, a value the routes would refuse with their
own validation) goes on to FastAPI untouched; the routes stay the contract in OpenAPI.

On PostGIS an item read that writes no audit line goes on the event loop
(`api.features.lookup`); everything else runs in the thread pool as the routes would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import current_principal
from api.dependencies import MediaType, negotiate
from api.errors import problem_response, status_of
from api.features.items import audits_reads, read_item, read_items
from api.features.lookup import read_item_on_loop
from api.features.params import ItemsParams
from api.features.query import filterable
from api.routers.collections import collections_json
from twin.layers import LAYERS, Layer

PREFIX = "/collections/"
ITEMS_KEYS = ("limit", "bbox", "bbox-crs", "datetime", "crs", "filter", "filter-lang",
              "filter-crs", "sortby", "properties", "cursor")
Answer = Callable[[], Awaitable[Response]]
FILTERABLE = {name: frozenset(c.name for c in layer.attribute_columns() if filterable(c))
              for name, layer in LAYERS.items()}


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


class FastReads:
    """ASGI middleware: the GeoJSON items/item GETs straight to their handlers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a hot read here, or pass the request on."""
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path = _route_path(scope)
        if path == "/collections":
            await self._described(scope, receive, send, None)
            return
        if not path.startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        parts = path[len(PREFIX):].split("/")
        if len(parts) == 1 and parts[0] in LAYERS:
            await self._described(scope, receive, send, LAYERS[parts[0]])
            return
        if len(parts) not in (2, 3) or parts[0] not in LAYERS or parts[1] != "items" or (
                len(parts) == 3 and not parts[2]):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        answer = self._item(request, parts) if len(parts) == 3 else self._items(request, parts)
        if answer is None:
            await self.app(scope, receive, send)
            return
        try:
            response = await answer()
        except Exception as exc:
            status = status_of(exc)
            if status is None:
                raise
            response = problem_response(request, exc, status)
        await response(scope, receive, send)

    async def _described(self, scope: Scope, receive: Receive, send: Send,
                         layer: Layer | None) -> None:
        # /collections and /collections/{id} as JSON: what clients ask for first.
        request = Request(scope, receive)
        if self._media(request) is None or set(request.query_params) - {"f"}:
            await self.app(scope, receive, send)  # HTML, or parameters the route refuses
            return
        state = request.app.state
        try:
            response = await run_in_threadpool(
                lambda: collections_json(request, state.engine, current_principal(request),
                                         layer))
        except Exception as exc:
            status = status_of(exc)
            if status is None:
                raise
            response = problem_response(request, exc, status)
        await response(scope, receive, send)

    @staticmethod
    def _media(request: Request) -> MediaType | None:
        f = request.query_params.get("f")
        if f is not None and f not in ("json", "geojson"):
            return None  # HTML, or a format FastAPI's route refuses in its own words
        media = negotiate(request, f)
        return None if media is MediaType.html else media

    def _item(self, request: Request, parts: list[str]) -> Answer | None:
        media = self._media(request)
        if media is None:
            return None
        query = request.query_params
        state = request.app.state
        layer, feature_id = LAYERS[parts[0]], parts[2]

        async def answer() -> Response:
            principal = current_principal(request)
            lookup = getattr(state, "lookup", None)
            if lookup is not None and not audits_reads(layer, principal):
                return await read_item_on_loop(request, lookup, state.engine, layer,
                                               feature_id, principal, media)
            return await run_in_threadpool(
                read_item, request, state.engine, layer, feature_id, query.get("crs"),
                query.get("properties"), principal, media)

        return answer

    def _items(self, request: Request, parts: list[str]) -> Answer | None:
        media = self._media(request)
        if media is None:
            return None
        query = request.query_params
        limit = query.get("limit")
        if limit is not None and not (limit.isascii() and limit.isdigit() and int(limit) >= 1):
            return None  # FastAPI's own validation answers that
        values = [query.get(k) for k in ITEMS_KEYS]
        params = ItemsParams(int(limit) if limit is not None else None, *values[1:])
        layer = LAYERS[parts[0]]
        filters = {k: v for k, v in query.items() if k in FILTERABLE[layer.name]}
        state = request.app.state

        def answer() -> Response:
            return read_items(request, state.engine, state.settings, layer, params, filters,
                              current_principal(request), media)

        return partial(run_in_threadpool, answer)
