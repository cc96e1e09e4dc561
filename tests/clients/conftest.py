"""Real servers for real clients: the twin under uvicorn in a subprocess, on both stores.

`twin_server` serves the small sample city from a SpatiaLite file and from a fresh PostGIS
database (dropped afterwards); the client tests run against each.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext

import pytest

import sample_data
from twin.settings import StoreSettings
from twin.store import migrate, open_store

from ..stores import postgis_database
from .servers import TwinServer, start_twin, stop


@pytest.fixture(scope="session", params=["spatialite", "postgis"])
def twin_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwinServer]:
    """The twin served by uvicorn over a store holding the small sample city."""
    workdir = tmp_path_factory.mktemp(f"twin-{request.param}")
    fresh = (nullcontext(f"sqlite:///{workdir / 'twin.db'}") if request.param == "spatialite"
             else postgis_database("twin_clients"))
    with fresh as url:
        engine = open_store(StoreSettings(database_url=url))
        try:
            migrate(engine)
            sample_data.load(engine, "small")
            server = start_twin(url, workdir)
            try:
                yield TwinServer(server.url, server.log, server.process, request.param, engine)
            finally:
                stop(server.process)
        finally:
            engine.dispose()
