"""The hot read routes, answered without the framework's routing and dependency solving.

`GET /collections/{id}/items` and `GET /collections/{id}/items/{featureId}` as GeoJSON are
what GIS clients call most, `/collections` and `/collections/{id}` as JSON what they call
first, and vector tiles (`/tiles/{tms}/{z}/{row}/{col}`, the same under a collection) what
a map asks for by the dozen on every pan. FastAPI spends more time matching ~40 routes and
solving a route's dependencies than the store spends on a primary-key lookup (about 45 % of
an item-by-id request under load, more than half of a kept tile's). This middleware finds
those requests in the table of items routes the features router declares
(`api.routers.features.hot_routes`: one dict lookup by path) or by the tile path's shape,
reads the very parameter models the routes declare (`ItemsParams`, `ItemParams`) and calls
the same handlers (`api.features.items`; `api.routers.tiles.tile_answer`), so there is
one implementation of the answer. Anything else (HTML, another method, a value the
parameter models refuse) goes on to FastAPI untouched, which answers it in its own words;
the routes stay the contract in OpenAPI.

On PostGIS an item read that writes no audit line is answered on the event loop
(`twin.features.lookup`), and on both stores a tile the cache keeps at its layers' versions
(read there: `twin.changes.LayerVersions`); everything else runs in the thread pool as the
routes would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import current_principal
from api.dependencies import MediaType, negotiate
from api.errors import known_error, problem_response, status_of
from api.features.items import read_item, read_item_on_loop, read_items
from api.routers.collections import collections_json
from api.routers.features import HotRoute
from api.routers.tiles import kept_tile_answer, tile_answer
from tiles.matrix import TileAddress
from twin.features.params import ItemParams, ItemsParams
from twin.features.service import audits_reads
from twin.layers import LAYERS, Layer

Answer = Callable[[], Awaitable[Response]]


def _route_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def _described_layer(path: str) -> tuple[Layer | None] | None:
    """(None,) for /collections, (layer,) for /collections/{id}, None for other paths."""
    if path == "/collections":
        return (None,)
    head, _, name = path.rpartition("/")
    return (LAYERS[name],) if head == "/collections" and name in LAYERS else None


def _tile_address(path: str) -> tuple[str | None, TileAddress] | None:
    """(collection or None for the whole twin, tile) for a tile path; None for other paths.

    Only whole numbers are taken here: anything else goes to the route, which refuses it.
    """
    parts = path.split("/")
    if len(parts) == 6 and parts[1] == "tiles":
        collection, (tms, zoom, row, col) = None, parts[2:]
    elif len(parts) == 8 and parts[1] == "collections" and parts[3] == "tiles":
        collection, (tms, zoom, row, col) = parts[2], parts[4:]
    else:
        return None
    if not (zoom.isdigit() and row.isdigit() and col.isdigit()):
        return None
    return collection, TileAddress(tms, int(zoom), int(row), int(col))


class FastReads:
    """ASGI middleware: the GeoJSON items/item GETs straight to their handlers."""

    def __init__(self, app: ASGIApp, routes: dict[str, HotRoute]) -> None:
        """Answer the items routes in `routes` (by path) and their item routes."""
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a hot read here, or pass the request on."""
        answer = request = None
        if scope["type"] == "http" and scope["method"] == "GET":
            path = _route_path(scope)
            hot = self.routes.get(path)
            described = _described_layer(path)
            if described is not None:
                request = Request(scope, receive)
                answer = self._described(request, described[0])
            elif hot is not None:
                request = Request(scope, receive)
                answer = self._items(request, hot)
            elif (tile := _tile_address(path)) is not None:
                request = Request(scope, receive)
                answer = self._tile(request, *tile)
            else:
                head, _, feature_id = path.rpartition("/")
                hot = self.routes.get(head)
                if hot is not None and feature_id:
                    request = Request(scope, receive)
                    answer = self._item(request, hot, feature_id)
        if answer is None or request is None:
            await self.app(scope, receive, send)
            return
        try:
            response = await answer()
        except Exception as exc:
            known = known_error(exc)
            status = status_of(known)
            if status is None:
                raise
            response = problem_response(request, known, status)
        await response(scope, receive, send)

    def _described(self, request: Request, layer: Layer | None) -> Answer | None:
        # /collections and /collections/{id} as JSON: what clients ask for first.
        if self._media(request) is None or set(request.query_params) - {"f"}:
            return None  # HTML, or parameters the route refuses
        state = request.app.state
        return partial(run_in_threadpool, lambda: collections_json(
            request, state.engine, current_principal(request), layer))

    @staticmethod
    def _tile(request: Request, collection: str | None, tile: TileAddress) -> Answer:
        # A kept tile is answered on the event loop; one to draw goes to the thread pool.
        async def answer() -> Response:
            principal = current_principal(request)
            versions = getattr(request.app.state, "versions", None)
            if versions is not None:
                kept = await kept_tile_answer(request, versions, collection, tile, principal)
                if kept is not None:
                    return kept
            return await run_in_threadpool(tile_answer, request, collection, tile, principal)

        return answer

    @staticmethod
    def _media(request: Request) -> MediaType | None:
        f = request.query_params.get("f")
        if f is not None and f not in ("json", "geojson"):
            return None  # HTML, or a format FastAPI's route refuses in its own words
        media = negotiate(request, f)
        return None if media is MediaType.html else media

    def _item(self, request: Request, hot: HotRoute, feature_id: str) -> Answer | None:
        media = self._media(request)
        if media is None:
            return None
        try:
            params = ItemParams.model_validate(request.query_params)
        except ValidationError:
            return None
        state = request.app.state
        layer = hot.layer

        async def answer() -> Response:
            principal = current_principal(request)
            lookup = getattr(state, "lookup", None)
            if lookup is not None and not audits_reads(layer, principal.clearance):
                return await read_item_on_loop(request, lookup, state.store, layer,
                                               feature_id, params, principal, media)
            return await run_in_threadpool(read_item, request, state.store, layer, feature_id,
                                           params, principal, media)

        return answer

    def _items(self, request: Request, hot: HotRoute) -> Answer | None:
        media = self._media(request)
        if media is None:
            return None
        query = request.query_params
        try:
            params = ItemsParams.of_query(query)
        except ValidationError:
            return None  # FastAPI's own validation answers that
        filters = {k: v for k, v in query.items() if k in hot.filters}
        state = request.app.state

        def answer() -> Response:
            return read_items(request, state.store, state.settings, hot.layer, params, filters,
                              current_principal(request), media)

        return partial(run_in_threadpool, answer)
