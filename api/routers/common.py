"""OGC API - Common: landing page, conformance, the API definition, health."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.conformance import conformance_classes
from api.dependencies import MediaType, MediaTypeDep, SettingsDep, StoreDep
from api.html import render
from api.links import TILESETS_VECTOR, TILING_SCHEMES, link, url_for

router = APIRouter(tags=["Common"])


@router.get("/", operation_id="getLandingPage", summary="Landing page")
def landing(request: Request, settings: SettingsDep, media: MediaTypeDep) -> object:
    """Links to everything the service offers."""
    json_type = MediaType.json.value
    title = settings.api.title
    body = {
        "title": title,
        "description": settings.api.description,
        "links": [
            link(url_for(request, "/"), "self", json_type, "This document"),
            link(url_for(request, "/", f="html"), "alternate", "text/html", "This page as HTML"),
            link(url_for(request, "/api"), "service-desc", MediaType.openapi.value, "OpenAPI 3.0"),
            link(url_for(request, "/api.html"), "service-doc", "text/html", "API documentation"),
            link(url_for(request, "/conformance"), "conformance", json_type, "Conformance"),
            link(url_for(request, "/collections"), "data", json_type, "Collections"),
            link(url_for(request, "/tiles"), TILESETS_VECTOR, json_type, "Vector tiles"),
            link(url_for(request, "/tileMatrixSets"), TILING_SCHEMES, json_type,
                 "Tile matrix sets"),
            link(url_for(request, "/map"), "alternate", "text/html", "The one map (一张图)"),
            link(url_for(request, "/processes"), "http://www.opengis.net/def/rel/ogc/1.0/processes",
                 json_type, "Processes"),
            link(url_for(request, "/jobs"), "http://www.opengis.net/def/rel/ogc/1.0/job-list",
                 json_type, "Jobs"),
            link(url_for(request, "/health"), "status", json_type, "Health"),
        ],
    }
    if media is MediaType.html:
        return render(request, "landing.html", title, body)
    return body


@router.get("/conformance", operation_id="getConformance", summary="Conformance classes")
def conformance(request: Request, media: MediaTypeDep) -> object:
    """The OGC conformance classes this service implements."""
    body = {"conformsTo": conformance_classes(request.app.state)}
    if media is MediaType.html:
        return render(request, "conformance.html", "Conformance", body)
    return body


@router.get("/api", operation_id="getApi", summary="OpenAPI 3.0 definition")
def openapi_document(request: Request) -> JSONResponse:
    """The OpenAPI document, served with the OGC media type."""
    return JSONResponse(request.app.openapi(), media_type=MediaType.openapi.value)


@router.get("/health", operation_id="getHealth", summary="Liveness and store check")
def health(store: StoreDep) -> dict[str, object]:
    """Says whether the store answers, and which kind it is (postgis or spatialite)."""
    with store.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok", "store": store.dialect.name}
