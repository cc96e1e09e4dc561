import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from twin import models
from twin.bulk import write_rows
from twin.store import migrate

from ..stores import STORES, on_postgis, ready_store

GEOMETRY_TABLES = {
    "admin_area",
    "grid",
    "road",
    "address",
    "building",
    "house",
    "person",
    "organization",
    "city_object",
}


@pytest.fixture(params=STORES)
def store(request, tmp_path):
    with ready_store(request.param, tmp_path) as engine:
        yield engine


def spatially_indexed(engine) -> set[str]:
    with engine.connect() as conn:
        if on_postgis(engine):
            rows = conn.execute(
                text("SELECT tablename FROM pg_indexes WHERE indexdef ILIKE '%USING gist (geom)%'")
            )
        else:
            rows = conn.execute(
                text("SELECT f_table_name FROM geometry_columns WHERE spatial_index_enabled = 1")
            )
        return {r[0] for r in rows}


def storage_srids(engine) -> set[int]:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT srid FROM geometry_columns"))}


def test_schema_has_every_table_with_cgcs2000_geometry_and_spatial_index(store):
    tables = set(inspect(store).get_table_names())
    assert GEOMETRY_TABLES | {"code_registry", "code_sequence", "audit_log"} <= tables
    assert spatially_indexed(store) >= GEOMETRY_TABLES
    assert storage_srids(store) == {4490}


def test_migrate_twice_changes_nothing(store):
    before = set(inspect(store).get_table_names())
    migrate(store)
    assert set(inspect(store).get_table_names()) == before


def test_divisions_are_installed(store):
    with store.connect() as conn:
        n = conn.execute(
            select(models.AdminArea.code).where(models.AdminArea.parent_code == "440305000000")
        ).all()
    assert len(n) == 9


def road(code="R1", name="测试路"):
    from shapely.geometry import LineString

    return {
        "code": code,
        "name": name,
        "county_code": "440305000000",
        "geom": LineString([(113.9, 22.5), (113.91, 22.5)]),
    }


@pytest.mark.parametrize(
    "bad, constraint",
    [
        # What each store's error names: the broken constraint, not any IntegrityError.
        ({"code": "A2", "parent_code": "NO-SUCH", "level": "door"}, r"(?i)foreign key"),
        ({"code": "A3", "level": "street"}, r"ck_address_level"),
        ({"code": "A1", "level": "road"}, r"(?i)unique"),
    ],
)
def test_constraints_keep_the_address_tree_consistent(store, bad, constraint):
    from shapely.geometry import Point

    base = {
        "value": "x",
        "full_text": "x",
        "county_code": "440305000000",
        "geom": Point(113.9, 22.5),
    }
    with store.begin() as conn:
        write_rows(conn, models.Address.__table__, [{**base, "code": "A1", "level": "road"}])
    with pytest.raises(IntegrityError, match=constraint), store.begin() as conn:
        write_rows(conn, models.Address.__table__, [{**base, **bad}])


def test_bulk_write_is_all_or_nothing(store):
    with pytest.raises(IntegrityError), store.begin() as conn:
        write_rows(conn, models.Road.__table__, [road("R1"), road("R2", "别的路")])
        write_rows(conn, models.Road.__table__, [road("R1", "重复路")])
    with store.connect() as conn:
        assert conn.execute(select(models.Road.code)).all() == []


def test_a_store_made_at_0001_gains_the_address_edit_index(store):
    # A store made before 0002 lacks the index: drop it, step back, upgrade again.
    with store.begin() as conn:
        conn.execute(text("DROP INDEX ix_address_updated"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    migrate(store)
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(store).get_indexes("address")}
    assert indexes["ix_address_updated"] == ["updated_at", "version"]
    migrate(store)  # again: nothing to do


def test_a_store_made_at_0005_gains_places_and_the_boundary_flag(store):
    # A store made before 0006 lacks the new columns: drop two, step back, upgrade again.
    with store.begin() as conn:
        conn.execute(text("ALTER TABLE address DROP COLUMN grid_code"))
        conn.execute(text("ALTER TABLE admin_area DROP COLUMN has_boundary"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0005'"))
    migrate(store)
    columns = {t: {c["name"] for c in inspect(store).get_columns(t)}
               for t in ("address", "admin_area", "house", "person", "organization")}
    assert "grid_code" in columns["address"] and "has_boundary" in columns["admin_area"]
    for table in ("house", "person", "organization"):
        assert {"township_code", "community_code", "grid_code"} <= columns[table]
    with store.begin() as conn:
        conn.execute(text("UPDATE admin_area SET geom = ST_GeomFromText("
                          "'MULTIPOLYGON(((113.9 22.5, 114 22.5, 114 22.6, 113.9 22.5)))', 4490)"
                          " WHERE code = '440305001000'"))
        flags = dict(conn.execute(text(
            "SELECT code, has_boundary FROM admin_area WHERE code IN "
            "('440305001000', '440305002000')")).all())
    assert flags == {"440305001000": True, "440305002000": False}
    migrate(store)  # again: nothing to do
