"""A store of each kind with the small sample city, for tests that run processes (which
write jobs, and batch coding writes buildings), and helpers to build execute requests."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from api import create_app
from tests.conftest import settings_for
from tests.stores import STORES, sample_store
from twin import models

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WRITER = {"X-API-Key": "writer-key"}
ASYNC = {"Prefer": "respond-async"}


@pytest.fixture(scope="module", params=STORES)
def process_engine(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Engine]:
    """A store of each kind with the small sample city, for this module alone."""
    with sample_store(request.param, tmp_path_factory.mktemp(request.param)) as engine:
        yield engine


@pytest.fixture(scope="module")
def api(process_engine: Engine) -> Iterator[TestClient]:
    """The app over that store, lifespan (and so the job worker) running."""
    with TestClient(create_app(settings_for(process_engine))) as client:
        yield client


def file_input(data: bytes, media_type: str = CSV) -> dict[str, str]:
    """An input file as OGC API - Processes sends it: a base64 qualified value."""
    return {"value": base64.b64encode(data).decode(), "mediaType": media_type,
            "encoding": "base64"}


def wait_for(client: Any, url: str, *, until: tuple[str, ...] = ("successful", "failed"),
             timeout: float = 60.0, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Poll a job's status (as the key in `headers`) until it reaches one of `until`."""
    deadline = time.monotonic() + timeout
    while True:
        status = client.get(url, headers=headers or {}).json()
        if status["status"] in until or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def new_footprints(engine: Engine, count: int, size: float = 0.00005) -> list[str]:
    """WKT squares inside the first township that touch none of the stored buildings."""
    area, building = models.AdminArea.__table__, models.Building.__table__
    with engine.connect() as conn:
        township = conn.execute(select(func.ST_AsBinary(area.c.geom)).where(
            area.c.level == "township", area.c.geom.is_not(None)).order_by(area.c.code)
        ).scalar()
        stored = [bytes(b) for b in conn.execute(select(func.ST_AsBinary(building.c.geom))
                                                 ).scalars()]
    polygon = shapely.from_wkb(bytes(township))
    tree = shapely.STRtree(shapely.from_wkb(stored))
    x0, y0, x1, y1 = polygon.bounds
    out: list[str] = []
    for x in np.arange(x0 + 0.001, x1 - 0.001, 0.0007):
        for y in np.arange(y0 + 0.001, y1 - 0.001, 0.0007):
            square = shapely.box(x, y, x + size, y + size)
            if polygon.contains(square) and not len(tree.query(square.buffer(0.0002),
                                                               "intersects")):
                out.append(shapely.to_wkt(square, rounding_precision=8))
                if len(out) == count:
                    return out
    raise AssertionError("not enough free room in the township")
