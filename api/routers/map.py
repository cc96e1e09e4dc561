"""The one map (一张图) at /map and the browser assets the app serves itself.

MapLibre GL JS and Swagger UI come from npm packages that scripts/setup.sh installs into
api/static/node_modules (api/static/package.json pins them); ReDoc's standalone bundle
comes from the PyPI package fastapi-standalone-docs (about 1 MB, where npm's `redoc` brings
about 110 packages). Nothing is fetched from a CDN, so the map and both API documentation
pages work on a machine without internet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import fastapi_standalone_docs
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.html import render
from api.links import url_for
from twin.codes import beidou

STATIC = Path(__file__).resolve().parents[1] / "static"
VENDOR = STATIC / "node_modules"
# URL path under /static/vendor → folder of an npm package.
VENDORED = {"maplibre-gl": VENDOR / "maplibre-gl" / "dist",
            "swagger-ui": VENDOR / "swagger-ui-dist",
            "redoc": Path(fastapi_standalone_docs.__path__[0]) / "static" / "redoc"}
REQUIRED = (VENDORED["maplibre-gl"] / "maplibre-gl.js",
            VENDORED["swagger-ui"] / "swagger-ui-bundle.js",
            VENDORED["redoc"] / "redoc.standalone.js")

router = APIRouter(tags=["Map"])


def missing_assets() -> list[str]:
    """Vendored files that are not installed (scripts/setup.sh installs them)."""
    return [str(path.relative_to(STATIC)) for path in REQUIRED if not path.exists()]


@router.get("/map", operation_id="getMap", summary="The one map of every layer",
            response_class=HTMLResponse)
def one_map(request: Request) -> HTMLResponse:
    """MapLibre over the twin's own vector tiles: layers, 3D buildings, search, CQL2."""
    base_map = request.app.state.settings.api.map_base_tiles
    body: dict[str, Any] = {
        "description": "一张图: every layer of the twin on one map.",
        "missing": missing_assets(),
        "static": url_for(request, "/static"),
        "config": {
            "base": url_for(request, ""),
            # Over a GCJ-02 base map the twin's tiles come shifted into GCJ-02 to lie on it.
            "tilejson": url_for(request, "/map/gcj02/tilejson.json" if base_map
                                else "/tiles/WebMercatorQuad/tilejson.json"),
            "baseMap": base_map,
        },
    }
    return render(request, "map.html", "一张图 · The one map", body)


@router.get("/map/beidou", operation_id="getBeidouCode",
            summary="BeiDou grid location code (GB/T 39409) of a point")
def beidou_code(
    lon: Annotated[float, Query(ge=-180, le=180, description="CGCS2000 longitude")],
    lat: Annotated[float, Query(ge=-88, le=88, description="CGCS2000 latitude")],
    level: Annotated[int, Query(ge=1, le=beidou.MAX_LEVEL, description="grid level")] = 8,
) -> dict[str, Any]:
    """The 2D BeiDou grid code of the point at `level` (what the map shows on a click)."""
    return {"lon": lon, "lat": lat, "level": level, "code": beidou.encode(lon, lat, level)}


def _swagger_ui(request: Request) -> HTMLResponse:
    static = url_for(request, "/static/vendor/swagger-ui")
    return get_swagger_ui_html(
        openapi_url=url_for(request, "/openapi.json"), title=f"{request.app.title} · API",
        swagger_js_url=f"{static}/swagger-ui-bundle.js",
        swagger_css_url=f"{static}/swagger-ui.css",
        swagger_favicon_url=f"{static}/favicon-32x32.png",
    )


def _redoc(request: Request) -> HTMLResponse:
    # No Google Fonts either: ReDoc falls back to the system's fonts.
    return get_redoc_html(
        openapi_url=url_for(request, "/openapi.json"), title=f"{request.app.title} · API",
        redoc_js_url=url_for(request, "/static/vendor/redoc/redoc.standalone.js"),
        redoc_favicon_url=url_for(request, "/static/vendor/swagger-ui/favicon-32x32.png"),
        with_google_fonts=False,
    )


def register(app: FastAPI) -> None:
    """The map page, the API documentation pages and the static files they load."""
    app.include_router(router)
    app.add_api_route("/api.html", _swagger_ui, include_in_schema=False,
                      response_class=HTMLResponse)
    app.add_api_route("/redoc", _redoc, include_in_schema=False, response_class=HTMLResponse)
    for name, folder in VENDORED.items():
        app.mount(f"/static/vendor/{name}", StaticFiles(directory=folder, check_dir=False),
                  name=f"vendor-{name}")
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
