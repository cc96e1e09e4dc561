"""Request-scoped dependencies: the store, settings, content negotiation."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import Engine

from twin.settings import Settings
from twin.store import Store


def get_store(request: Request) -> Store:
    """The store, made once in the app lifespan."""
    return request.app.state.store


def get_engine(request: Request) -> Engine:
    """The store's engine."""
    return request.app.state.store.engine


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    return request.app.state.settings


StoreDep = Annotated[Store, Depends(get_store)]
EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


class MediaType(StrEnum):
    """Representations the API can answer with."""

    json = "application/json"
    geojson = "application/geo+json"
    html = "text/html"
    openapi = "application/vnd.oai.openapi+json;version=3.0"


F_VALUES = {"json": MediaType.json, "geojson": MediaType.geojson, "html": MediaType.html}


def negotiate(
    request: Request,
    f: Annotated[
        str | None, Query(description="Response format: json, geojson or html (overrides Accept)")
    ] = None,
) -> MediaType:
    """Resolve `f=` or the Accept header, once, into a MediaType (JSON by default)."""
    if f is not None:
        if f not in F_VALUES:
            from twin.errors import InvalidInput

            raise InvalidInput(
                f"unknown format f={f!r}; use one of {', '.join(F_VALUES)}", field="f", value=f
            )
        return F_VALUES[f]
    accept = request.headers.get("accept", "")
    if "text/html" in accept and "json" not in accept:
        return MediaType.html
    if "application/geo+json" in accept:
        return MediaType.geojson
    return MediaType.json


MediaTypeDep = Annotated[MediaType, Depends(negotiate)]
