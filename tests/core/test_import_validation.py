"""What an import refuses, row by row, from real files: each bad row named by row, field,
value and reason, the good rows landed, nothing else written (README: "Import").
"""

import pandas as pd
import pytest
from sqlalchemy import func, select

from twin import models
from twin.layers import LAYERS
from twin.transfer import import_layer

from ..stores import STORES, ready_store

GOOD_USCC = "91350100M000100Y43"  # GB 32100-2015's worked example
RING = "113.93 22.53, 113.9304 22.53, 113.9304 22.5303, 113.93 22.5303, 113.93 22.53"


@pytest.fixture(scope="module", params=STORES)
def store(request, tmp_path_factory):
    with ready_store(request.param, tmp_path_factory.mktemp("validation")) as engine:
        yield engine


def rows_of(engine, model) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(model.code)).scalars())


def problems(report) -> dict[int, tuple[str, str | None, str]]:
    return {p.row: (p.field, None if p.value is None else str(p.value), p.reason)
            for p in report.problems}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_organizations_are_checked_row_by_row(store, tmp_path, fmt):
    frame = pd.DataFrame([
        # row 2: good
        {"code": GOOD_USCC, "name": "好单位", "status": "active", "lon": "113.93", "lat": "22.53"},
        # row 3: GB 32100 check character wrong (the example's is 3)
        {"code": "91350100M000100Y45", "name": "校验错", "status": "active", "lon": "", "lat": ""},
        # row 4: a character GB 32100 does not use (I)
        {"code": "91350100M000100I43", "name": "字符错", "status": "active", "lon": "", "lat": ""},
        # row 5: 17 characters
        {"code": "91350100M000100Y4", "name": "短码", "status": "active", "lon": "", "lat": ""},
        # row 6: a status outside the allowed values
        {"code": "91440300MA5DC0TF15", "name": "状态错", "status": "closed", "lon": "", "lat": ""},
        # row 7: required name missing
        {"code": "91440300MA5DC0TF15", "name": "", "status": "active", "lon": "", "lat": ""},
        # row 8: name longer than the column's 128 characters
        {"code": "91440300MA5DC0TF15", "name": "长" * 129, "status": "active", "lon": "",
         "lat": ""},
        # row 9: a point nobody can read
        {"code": "91440300MA5DC0TF15", "name": "坐标错", "status": "active", "lon": "东经",
         "lat": "22.5"},
    ])
    path = tmp_path / f"orgs.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_excel(path, index=False)
    before = rows_of(store, models.Organization)
    report = import_layer(store, LAYERS["organizations"], path)
    found = problems(report)
    assert sorted(found) == [3, 4, 5, 6, 7, 8, 9]
    assert found[3] == ("code", "91350100M000100Y45", "check character should be 3 (GB 32100)")
    assert found[4][:2] == ("code", "91350100M000100I43") and "I" in found[4][2]
    assert found[5] == ("code", "91350100M000100Y4",
                        "a unified social credit code has 18 characters (GB 32100)")
    assert found[6][:2] == ("status", "closed") and found[6][2].startswith("status is one of")
    assert "active" in found[6][2]
    assert found[7] == ("name", None, "organizations features need name")
    assert found[8] == ("name", "长" * 129, "name is at most 128 characters, got 129")
    assert found[9] == ("lon/lat", "东经,22.5", "longitude/latitude are not numbers")
    assert report.inserted == 1
    assert rows_of(store, models.Organization) == sorted([*before, GOOD_USCC])
    with store.begin() as conn:
        conn.execute(models.Organization.__table__.delete())


def test_buildings_bad_numbers_and_geometry_are_refused(store, tmp_path):
    good = f"MULTIPOLYGON ((({RING})))"
    bowtie = "MULTIPOLYGON (((113.93 22.53, 113.931 22.531, 113.931 22.53, 113.93 22.531, " \
             "113.93 22.53)))"
    frame = pd.DataFrame([
        {"code": "V1", "floors": "3", "year_built": "2001", "status": "active", "wkt": good},
        {"code": "V2", "floors": "3.5", "year_built": "2001", "status": "active", "wkt": good},
        {"code": "V3", "floors": "three", "year_built": "2001", "status": "active", "wkt": good},
        {"code": "V4", "floors": "3", "year_built": "2001", "status": "active", "wkt": bowtie},
        {"code": "V5", "floors": "3", "year_built": "2001", "status": "active",
         "wkt": "POINT (113.93 22.53)"},
        {"code": "V6", "floors": "3", "year_built": "2001", "status": "active", "wkt": ""},
        {"code": "V7", "floors": "3", "year_built": "2001", "status": "razed", "wkt": good},
    ])
    path = tmp_path / "buildings.csv"
    frame.to_csv(path, index=False)
    report = import_layer(store, LAYERS["buildings"], path)
    found = problems(report)
    assert sorted(found) == [3, 4, 5, 6, 7, 8]
    assert found[3] == ("floors", "3.5", "floors takes a whole number, not '3.5'")
    assert found[4][:2] == ("floors", "three") and "three" in found[4][2]
    assert found[5][0] == "geometry" and found[5][2].startswith("geometry is invalid: Self-inter")
    assert found[6] == ("geometry", "Point",
                        "buildings takes Polygon or MultiPolygon geometries, not Point")
    assert found[7] == ("geometry", None, "buildings features need a geometry")
    assert found[8][:2] == ("status", "razed") and "status is one of" in found[8][2]
    assert report.inserted == 1
    assert rows_of(store, models.Building) == ["V1"]
    with store.begin() as conn:
        conn.execute(models.Building.__table__.delete())
        assert conn.execute(select(func.count()).select_from(models.Building)).scalar() == 0
