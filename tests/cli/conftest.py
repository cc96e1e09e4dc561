"""A sample city on each store for the command-line tests, and what they share.

The stores are shared by the package (one pair, loaded once): tests may create buildings,
so each `unchanged` check compares the store just before and after its own command.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest
import shapely
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from cli.main import app
from tests.stores import STORES, sample_store
from twin import models

runner = CliRunner()


@dataclass
class City:
    """A store holding the small sample city, and its URL for --database-url."""

    engine: Engine
    url: str

    def twin(self, *args: str) -> object:
        """Run `twin ARGS --database-url URL` in this process; the click Result."""
        return runner.invoke(app, [*map(str, args), "--database-url", self.url])

    def state(self) -> tuple[int, ...]:
        """What a failed command must leave as it was: rows and versions of the written
        tables."""
        tables = (models.Building, models.CodeRecord, models.Address, models.Road,
                  models.CityObject)
        with self.engine.connect() as conn:
            counts = [conn.execute(select(func.count()).select_from(t.__table__)).scalar()
                      for t in tables]
            versions = conn.execute(select(func.sum(models.Building.version))).scalar()
        return (*counts, versions or 0)


@pytest.fixture(scope="package", params=STORES)
def city(request, tmp_path_factory) -> Iterator[City]:
    """The small sample city on each store, for the CLI tests."""
    with sample_store(request.param, tmp_path_factory.mktemp(request.param)) as engine:
        yield City(engine, engine.url.render_as_string(hide_password=False))


def free_squares(engine: Engine, n: int, size: float = 0.0002) -> list[str]:
    """WKT squares inside the twin's townships, clear of every building (new buildings)."""
    area = models.AdminArea.__table__
    b = models.Building.__table__
    with engine.connect() as conn:
        towns = [shapely.from_wkb(bytes(w)) for (w,) in conn.execute(
            select(func.ST_AsBinary(area.c.geom)).where(area.c.level == "township",
                                                        area.c.geom.is_not(None)))]
        feet = [shapely.from_wkb(bytes(w)) for (w,) in conn.execute(
            select(func.ST_AsBinary(b.c.geom)))]
    union = shapely.union_all(towns)
    taken = shapely.STRtree(feet)
    x0, y0, x1, y1 = union.bounds
    out: list[str] = []
    for x in np.arange(x0 + 0.001, x1, 0.0011):
        for y in np.arange(y0 + 0.001, y1, 0.0011):
            square = shapely.box(x, y, x + size, y + size)
            if union.contains(square.buffer(0.0003)) and not len(
                    taken.query(square.buffer(0.0005), predicate="intersects")):
                out.append(shapely.to_wkt(square, rounding_precision=7))
                if len(out) == n:
                    return out
    raise AssertionError("the sample city has no room for new buildings")


def stored_codes(engine: Engine, n: int = 2) -> list[tuple[str, str]]:
    """(code, footprint WKT) of the first stored buildings."""
    b = models.Building.__table__
    with engine.connect() as conn:
        rows = conn.execute(select(b.c.code, func.ST_AsText(b.c.geom)).order_by(b.c.code)
                            .limit(n)).all()
    return [(str(c), str(w)) for c, w in rows]


OUTSIDE = "POLYGON ((100 30, 100.001 30, 100.001 30.001, 100 30.001, 100 30))"
