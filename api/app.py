"""The app factory: `create_app(settings)` builds the whole HTTP service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from addressing.service import AddressBaseCache
from api.errors import STATUS_BY_ERROR, register_error_handlers
from api.fast_reads import FastReads
from api.limits import RequestLimits
from api.openapi import install_openapi
from api.routers import (
    audit,
    codes,
    collections,
    common,
    features,
    geocoding,
    map,
    processes,
    tiles,
)
from twin import __version__
from twin.catalog import catalog
from twin.changes import SqliteVersions
from twin.features.lookup import FeatureLookup
from twin.settings import Settings
from twin.store import Store


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service for `settings` (read from TWIN_* variables when not given)."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store.open(settings.store)
        store.migrate()
        app.state.store = store
        engine = app.state.engine = store.engine
        catalog(engine).warm()  # the layers' counts and extents, ahead of /collections
        # Item reads on the event loop (twin.features.lookup), where the store's driver has
        # an async face.
        lookup = (await FeatureLookup.open(engine)
                  if settings.api.fast_reads and store.dialect.reads_async else None)
        app.state.lookup = lookup
        # Layers' versions on the event loop, which answer a kept tile without a thread.
        loop_versions = (SqliteVersions.of(engine)
                         if settings.api.fast_reads and lookup is None else None)
        app.state.versions = lookup or loop_versions
        # The geocoder's index takes minutes at city scale: built behind the server, which
        # answers at once (the geocoding routes say 503 until the first index is ready).
        addresses = app.state.address_base = AddressBaseCache(
            retry_every=settings.api.address_index_retry)
        if settings.api.address_index_at_startup:
            addresses.start(engine)
        jobs = await processes.start_jobs(app, engine, addresses, settings)
        try:
            yield
        finally:
            await jobs.close()
            addresses.close()
            if lookup is not None:
                await lookup.close()
            if loop_versions is not None:
                loop_versions.close()
            store.dispose()

    app = FastAPI(
        title=settings.api.title,
        description=settings.api.description,
        version=__version__,
        root_path=settings.api.root_path,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,  # served from local files by api.routers.map
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.conformance = []
    register_error_handlers(app, STATUS_BY_ERROR)
    app.include_router(common.router)
    app.include_router(collections.router)
    features.register(app)
    app.include_router(geocoding.router)
    app.include_router(codes.router)
    tiles.register(app)
    map.register(app)
    app.include_router(audit.router)
    app.include_router(processes.router)
    if settings.api.fast_reads:
        app.add_middleware(FastReads, routes=features.hot_routes())
    app.add_middleware(RequestLimits, limits=settings.api)  # outermost: before any route
    install_openapi(app, settings)
    return app
