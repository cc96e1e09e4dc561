import hashlib
import json
from collections import Counter

import pandas as pd
import pytest
from sqlalchemy import func, select

from sample_data.messy_buildings import messy_registry
from twin import models
from twin.codes.schemes import BUILDING
from twin.registry_coding import CodingOptions, code_file, report_path
from twin.registry_coding.batch import ChunkFailure


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def count(engine, model) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model.__table__)).scalar()


@pytest.fixture
def messy(city, tmp_path):
    reg = messy_registry(city, rows=300, seed=11)
    path = tmp_path / "registry.csv"
    reg.write_csv(path)
    return reg, path


def test_every_row_gets_the_status_and_code_the_truth_says(city, messy, tmp_path):
    reg, path = messy
    out = tmp_path / "coded.csv"
    report = code_file(city, path, out, CodingOptions(chunk_size=40))
    coded = pd.read_csv(out, dtype=str, keep_default_na=False)
    # every input column and row, in order, plus the four result columns
    original = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(coded.columns) == [*original.columns, "code", "status", "match_method", "reason"]
    pd.testing.assert_frame_equal(coded[original.columns], original)
    wrong = [(k, e, s, r) for k, e, s, r in zip(reg.kinds, reg.expected_status, coded.status,
                                                coded.reason, strict=True) if e != s]
    assert not wrong, wrong[:5]
    for expected, code in zip(reg.expected_code, coded.code, strict=True):
        if expected:
            assert code == expected
    for i, same in enumerate(reg.same_as):
        if same is not None:
            assert coded.code[i] == coded.code[same] != ""
    new = coded[coded.status == "new"]
    assert all(BUILDING.is_valid(c) for c in new.code)
    assert report.codes_issued == new.code.nunique() == report.buildings_created
    assert len(report.problems) == Counter(reg.kinds)["bad_geometry"] + Counter(
        reg.kinds)["bad_year"]
    assert all(p.row >= 2 and p.reason for p in report.problems)
    # the new buildings were placed and stored under their codes
    with city.connect() as conn:
        placed = conn.execute(select(models.Building.code, models.Building.township_code,
                                     models.Building.beidou_code)
                              .where(models.Building.code.in_(list(new.code)))).all()
    assert len(placed) == new.code.nunique()
    assert all(t and t[:9] == c[:9] and b and len(b) == 16 for c, t, b in placed)
    # and their footprints are the ones the file gave
    import shapely

    firsts = new[~new.reason.str.startswith("same building")]
    with city.connect() as conn:
        stored = dict(conn.execute(select(models.Building.code,
                                          func.ST_AsBinary(models.Building.geom))
                                   .where(models.Building.code.in_(list(firsts.code)))).all())
    for code, wkt in zip(firsts.code, firsts.wkt, strict=True):
        assert shapely.equals_exact(shapely.from_wkb(bytes(stored[code])).geoms[0],
                                    shapely.from_wkt(wkt), 1e-9)
    assert json.loads(report_path(out).read_text())["rows"] == len(coded)


def test_rerun_keeps_the_codes_says_existing_and_issues_nothing(city, messy, tmp_path):
    _, path = messy
    first, second, third = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    r1 = code_file(city, path, first, CodingOptions(chunk_size=50))
    registry_rows, buildings = count(city, models.CodeRecord), count(city, models.Building)
    r2 = code_file(city, path, second, CodingOptions(chunk_size=50))
    assert r1.codes_issued > 0 and r2.codes_issued == 0
    a, b = (pd.read_csv(p, dtype=str, keep_default_na=False) for p in (first, second))
    assert list(a.code) == list(b.code)
    # what the first run issued, the second finds: `existing`, never `new` again
    assert "new" not in set(b.status)
    assert (b.status[a.status == "new"] == "existing").all()
    assert (b.drop(columns=["status", "match_method", "reason"])
            .equals(a.drop(columns=["status", "match_method", "reason"])))
    code_file(city, path, third, CodingOptions(chunk_size=50))
    assert digest(second) == digest(third)
    assert json.loads(report_path(second).read_text())["by_status"] == r2.by_status
    assert (count(city, models.CodeRecord), count(city, models.Building)) == (
        registry_rows, buildings)


def test_a_crash_leaves_whole_chunks_and_the_rerun_finishes_the_job(city, messy, tmp_path):
    _, path = messy
    with pytest.raises(ChunkFailure):
        code_file(city, path, tmp_path / "x.csv", CodingOptions(chunk_size=25,
                                                                fail_after_chunks=2))
    with city.connect() as conn:
        issued = set(conn.execute(select(models.CodeRecord.code)).scalars())
        stored = set(conn.execute(select(models.Building.code).where(
            models.Building.code.in_(list(issued)))).scalars())
    assert len(issued) == 50 and issued == stored  # no code without its building
    out = tmp_path / "done.csv"
    report = code_file(city, path, out, CodingOptions(chunk_size=25))
    coded = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert set(coded[coded.status == "existing"].code) >= issued
    assert report.codes_issued == coded[coded.status == "new"].code.nunique()


def test_other_formats_and_a_projected_crs(city, messy, tmp_path):
    import geopandas as gpd
    import shapely

    reg, _ = messy
    polygons = reg.frame.wkt.str.contains("POLYGON (", regex=False)
    picked = reg.frame[polygons].head(60)
    frame = picked.reset_index(drop=True)
    geoms = shapely.from_wkt(frame.wkt, on_invalid="ignore")
    ok = ~shapely.is_missing(geoms)
    kept = picked.index[ok]
    gdf = gpd.GeoDataFrame(frame[ok].drop(columns="wkt"), geometry=geoms[ok], crs="EPSG:4490")
    gk = gdf.to_crs("EPSG:4547")  # CGCS2000 3-degree Gauss-Krüger CM 114E
    gpkg, shp = tmp_path / "in.gpkg", tmp_path / "in.shp"
    gk.to_file(gpkg, engine="pyogrio")
    gk.to_file(shp, engine="pyogrio", encoding="utf-8")
    out_gpkg = tmp_path / "out.gpkg"
    code_file(city, gpkg, out_gpkg)
    coded = gpd.read_file(out_gpkg)
    assert coded.crs.to_epsg() == 4547 and len(coded) == len(gk)
    # The generator's truth for each kept row, its first listing in the file when it is a
    # duplicate (a duplicate whose first listing was left out is new here).
    listed = set(kept)
    expected = [reg.expected_status[i] if reg.same_as[i] is None or reg.same_as[i] in listed
                else "new" for i in kept]
    assert list(coded.status) == expected
    again, third = tmp_path / "again.gpkg", tmp_path / "third.gpkg"
    code_file(city, gpkg, again)
    code_file(city, gpkg, third)
    assert digest(again) == digest(third)
    out_shp = tmp_path / "out.shp"
    code_file(city, shp, out_shp)
    # the buildings the GeoPackage run created are known now: same codes, whatever status
    from_shp = gpd.read_file(out_shp)
    assert list(from_shp.code.fillna("")) == list(coded.code.fillna(""))
    assert "match_meth" in from_shp.columns
    xlsx, out_x, out_x2 = tmp_path / "in.xlsx", tmp_path / "o.xlsx", tmp_path / "o2.xlsx"
    reg.frame.head(80).to_excel(xlsx, index=False)
    code_file(city, xlsx, tmp_path / "first.xlsx")  # the run that may meet new buildings
    code_file(city, xlsx, out_x)
    code_file(city, xlsx, out_x2)
    assert digest(out_x) == digest(out_x2)
    assert list(pd.read_excel(out_x, dtype=str).columns)[-4:] == ["code", "status",
                                                                 "match_method", "reason"]


def test_a_building_listed_again_with_a_twin_keeps_one_code(city, tmp_path):
    """File 1 lists a new building once; file 2 lists it again next to a slightly shifted
    copy of itself. The copy joins the building file 1 created: one building, one code."""
    reg = messy_registry(city, rows=60, seed=21, shares={"new": 1.0, "existing_shifted": 0.0,
                         "existing_address": 0.0, "existing_point": 0.0, "new_duplicate": 0.0,
                         "conflict_two_buildings": 0.0, "conflict_address": 0.0,
                         "bad_geometry": 0.0, "bad_year": 0.0, "unknown_address": 0.0})
    one = reg.frame.head(1)
    import shapely

    shifted = shapely.affinity.translate(shapely.from_wkt(one.wkt.iat[0]), 2e-6, 2e-6)
    two = pd.concat([one.assign(wkt=shapely.to_wkt(shifted)), one], ignore_index=True)
    (tmp_path / "1.csv").write_text(one.to_csv(index=False), encoding="utf-8")
    (tmp_path / "2.csv").write_text(two.to_csv(index=False), encoding="utf-8")
    code_file(city, tmp_path / "1.csv", tmp_path / "o1.csv")
    report = code_file(city, tmp_path / "2.csv", tmp_path / "o2.csv")
    first = pd.read_csv(tmp_path / "o1.csv", dtype=str)
    second = pd.read_csv(tmp_path / "o2.csv", dtype=str)
    assert report.codes_issued == 0
    assert set(second.code) == {first.code.iat[0]}
    assert "same building as row 3" in second.reason.iat[0]
