import pandas as pd
import pytest
import shapely
from sqlalchemy import delete, func, select

from twin import models
from twin.errors import InvalidInput
from twin.layers import LAYERS
from twin.sources import read_columns
from twin.transfer import export_layer, import_layer, read_layer

from ..stores import STORES, on_postgis, sample_store

FORMATS = ["csv", "xlsx", "geojson", "gpkg", "shp"]


@pytest.fixture(scope="module", params=STORES)
def store(request, tmp_path_factory):
    with sample_store(request.param, tmp_path_factory.mktemp("transfer"), b"sample") as engine:
        yield engine


@pytest.fixture
def own_store(store, tmp_path):
    """A copy of the sample store of the same kind, for a test that wipes what it imports
    into (a copy costs 0.01-0.5 s; loading the sample again took 5-7 s)."""
    kind = "postgis" if on_postgis(store) else "spatialite"
    with sample_store(kind, tmp_path, b"sample") as engine:
        yield engine


def count(engine, model):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model)).scalar()


def wipe_buildings(engine):
    with engine.begin() as conn:
        for model in (models.Person, models.House, models.Building):
            conn.execute(delete(model))


@pytest.mark.parametrize("fmt", FORMATS)
def test_buildings_round_trip_through_every_format(own_store, tmp_path, fmt):
    store = own_store
    before = read_layer(store, LAYERS["buildings"]).sort_values("code").reset_index(drop=True)
    path = tmp_path / f"buildings.{fmt}"
    assert export_layer(store, LAYERS["buildings"], path) == len(before)
    wipe_buildings(store)
    report = import_layer(store, LAYERS["buildings"], path)
    assert report.problems == [] and report.inserted == len(before)
    after = read_layer(store, LAYERS["buildings"]).sort_values("code").reset_index(drop=True)
    assert list(after["code"]) == list(before["code"])
    assert list(after["floors"]) == list(before["floors"])
    # Same vertices to 1e-9° (Shapefile may reorder rings, so compare normalised forms).
    assert shapely.equals_exact(
        shapely.normalize(after.geometry.values),
        shapely.normalize(before.geometry.values),
        1e-9,
    ).all()


def test_bad_rows_are_reported_and_good_rows_land(store, tmp_path):
    export_layer(store, LAYERS["roads"], tmp_path / "roads.csv")
    frame = pd.read_csv(tmp_path / "roads.csv", dtype=str).head(5)
    frame["code"] = ["N1", "N2", "N3", "N4", "N1"]
    frame["name"] = ["新一路", "新二路", "新三路", "新四路", "新五路"]
    frame.loc[1, "county_code"] = "999999000000"
    frame.loc[2, "wkt"] = "LINESTRING (oops)"
    frame.loc[3, "wkt"] = "POINT (113.9 22.5)"
    frame.to_csv(tmp_path / "bad.csv", index=False)
    before = count(store, models.Road)
    report = import_layer(store, LAYERS["roads"], tmp_path / "bad.csv")
    problems = {p.row: p for p in report.problems}
    assert report.inserted == 1 and count(store, models.Road) == before + 1
    assert problems[3].field == "county_code" and "no admin_area" in problems[3].reason
    assert problems[4].field == "wkt" and "unreadable geometry" in problems[4].reason
    assert problems[5].field == "geometry" and "MultiLineString" in problems[5].reason
    assert problems[6].field == "code" and "same code as row 2" in problems[6].reason
    with store.begin() as conn:
        conn.execute(delete(models.Road).where(models.Road.code == "N1"))


def test_rows_refused_by_store_rules_are_reported(store, tmp_path):
    export_layer(store, LAYERS["buildings"], tmp_path / "b.csv")
    frame = pd.read_csv(tmp_path / "b.csv", dtype=str).head(3)
    frame["code"] = ["T1", "T2", "T3"]
    frame.loc[1, "floors"] = "0"  # violates ck_building_floors, which only the store checks
    frame.to_csv(tmp_path / "b3.csv", index=False)
    report = import_layer(store, LAYERS["buildings"], tmp_path / "b3.csv")
    assert report.inserted == 2
    assert [p.row for p in report.problems] == [3]
    assert "ck_building_floors" in report.problems[0].reason
    with store.begin() as conn:
        conn.execute(delete(models.Building).where(models.Building.code.in_(["T1", "T3"])))


def test_existing_codes_are_refused_unless_updating(store, tmp_path):
    path = tmp_path / "orgs.gpkg"
    export_layer(store, LAYERS["organizations"], path)
    refused = import_layer(store, LAYERS["organizations"], path)
    assert refused.inserted == 0 and len(refused.problems) == refused.read
    updated = import_layer(store, LAYERS["organizations"], path, update_existing=True)
    assert updated.updated == updated.read and not updated.problems
    with store.connect() as conn:
        assert set(conn.execute(select(models.Organization.version)).scalars()) == {2}


def test_domain_rules_name_the_field(store, tmp_path):
    path = tmp_path / "areas.csv"
    path.write_text("code,name,level\n12,短码,province\n440305001000,错层,county\n", "utf-8")
    report = import_layer(store, LAYERS["admin_areas"], path)
    assert [(p.row, p.field) for p in report.problems] == [(2, "code"), (3, "level")]


def test_gauss_kruger_file_is_reprojected_to_cgcs2000(store, tmp_path):
    frame = read_layer(store, LAYERS["city_objects"]).to_crs("EPSG:4547")  # GK zone CM 114E
    frame["code"] = [f"GK{i}" for i in range(len(frame))]
    frame["attributes"] = "{}"
    frame.to_file(tmp_path / "gk.gpkg", engine="pyogrio")
    report = import_layer(store, LAYERS["city_objects"], tmp_path / "gk.gpkg")
    assert report.problems == []
    back = read_layer(store, LAYERS["city_objects"])
    moved = back[back["code"].str.startswith("GK")].sort_values("code")
    assert moved.geometry.x.between(113.8, 114.1).all()
    with store.begin() as conn:
        conn.execute(delete(models.CityObject).where(models.CityObject.code.like("GK%")))


def test_unknown_format_is_a_clear_error(store, tmp_path):
    with pytest.raises(InvalidInput, match="use one of"):
        import_layer(store, LAYERS["roads"], tmp_path / "roads.txt")


def test_imported_buildings_are_placed_and_a_contradicted_place_is_refused(own_store, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    store = own_store
    codes = ["44030500220240901000002", "44030500220240902000009", "44030500220240903000003"]
    frame = gpd.GeoDataFrame({
        "code": codes,
        "township_code": [None, "440305001000", "440305002000"],
        "floors": ["3", "3", "3"],
    }, geometry=[box(113.9301, 22.5201, 113.9303, 22.5203),   # 南山街道, place left out
                 box(113.9311, 22.5201, 113.9313, 22.5203),   # 南山街道, said 南头街道
                 box(116.9301, 22.5201, 116.9303, 22.5203)],  # outside the twin
        crs="EPSG:4490")
    path = tmp_path / "placed.geojson"
    frame.to_file(path, driver="GeoJSON")
    report = import_layer(store, LAYERS["buildings"], path)
    assert [(p.row, p.field, p.value) for p in report.problems] == [
        (2, "township_code", "440305001000")]
    assert "lies in 440305002000" in report.problems[0].reason
    stored = read_layer(store, LAYERS["buildings"]).set_index("code")
    first = stored.loc[codes[0]]
    assert first["township_code"] == "440305002000"
    assert first["community_code"].startswith("440305002")
    assert first["grid_code"].startswith(first["community_code"])
    assert first["beidou_code"].startswith("N49")
    assert codes[1] not in stored.index
    assert stored.loc[codes[2]]["township_code"] == "440305002000"  # nothing to contradict


@pytest.mark.parametrize("fmt", FORMATS)
def test_columns_are_read_without_the_rows(tmp_path, fmt):
    # The CLI tells an address base from a layer file by its columns alone.
    import geopandas as gpd

    frame = gpd.GeoDataFrame({"道路": ["深南大道"] * 3, "door_no": ["1号", "2号", "3号"]},
                             geometry=gpd.points_from_xy([113.9] * 3, [22.5] * 3),
                             crs="EPSG:4490")
    path = tmp_path / f"base.{fmt}"
    if fmt == "csv":
        frame.drop(columns="geometry").to_csv(path, index=False, encoding="gb18030")
    elif fmt == "xlsx":
        frame.drop(columns="geometry").to_excel(path, index=False)
    else:
        frame.to_file(path)
    assert read_columns(path) == ["道路", "door_no"]
    with pytest.raises(InvalidInput):
        read_columns(tmp_path / "missing.csv")
