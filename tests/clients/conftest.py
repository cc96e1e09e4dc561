"""Real servers for real clients: the twin under uvicorn in a subprocess, on both stores.

`twin_server` serves the small sample city from a SpatiaLite file and from a fresh PostGIS
database (dropped afterwards); the client tests run against each.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..stores import sample_store
from .servers import TwinServer, start_twin, stop


@pytest.fixture(scope="session", params=["spatialite", "postgis"])
def twin_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwinServer]:
    """The twin served by uvicorn over a store holding the small sample city."""
    workdir = tmp_path_factory.mktemp(f"twin-{request.param}")
    with sample_store(request.param, workdir, b"sample") as engine:
        server = start_twin(engine.url.render_as_string(hide_password=False), workdir)
        try:
            yield TwinServer(server.url, server.log, server.process, request.param, engine)
        finally:
            stop(server.process)
