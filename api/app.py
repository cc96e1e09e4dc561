"""The app factory: `create_app(settings)` builds the whole HTTP service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from addressing.service import AddressBaseCache
from api.errors import STATUS_BY_ERROR, register_error_handlers
from api.fast_reads import FastReads
from api.features.lookup import FeatureLookup
from api.routers import codes, collections, common, features, geocoding, processes
from twin import __version__
from twin.settings import Settings
from twin.store import is_postgis, migrate, open_store


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service for `settings` (read from TWIN_* variables when not given)."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = open_store(settings.store)
        migrate(engine)
        app.state.engine = engine
        # Item reads on the event loop (api.features.lookup): PostGIS has an async driver.
        lookup = (await FeatureLookup.open(engine)
                  if settings.api.fast_reads and is_postgis(engine) else None)
        app.state.lookup = lookup
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
            engine.dispose()

    app = FastAPI(
        title=settings.api.title,
        description=settings.api.description,
        version=__version__,
        root_path=settings.api.root_path,
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/api.html",
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
    app.include_router(processes.router)
    if settings.api.fast_reads:
        app.add_middleware(FastReads)
    return app
