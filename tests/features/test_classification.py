"""Classification (分级分类) as data: one level per layer and field, read by every face.

People's names, phones and birth years are 敏感 on the `people` layer (itself 敏感). Each
face is checked here or where named: Features masks them without the sensitive scope
(here, and tests/features/test_masking.py), tiles leave the 敏感 layer out
(tests/tiles/test_tiles_api.py::test_people_need_the_sensitive_scope, and the rule below),
exports leave the fields out unless asked, /codes masks a person's name, and queryables
and collections say each level. No process output carries a classified field (geocoding,
coding and 落图 answer addresses, codes and places), so processes have nothing to mask:
tests/processes/test_processes_api.py::test_process_outputs_hold_no_classified_value_of_what_they_touch.
内部 fields (houses' area and use), face by face: tests/features/test_internal_fields.py.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from tests.features.conftest import SENSITIVE, WRITER
from tiles.rules import tile_layers
from twin.layers import LAYERS, Level
from twin.models import AuditEntry, Person
from twin.transfer import export_layer

SECRET_FIELDS = ("name", "phone", "birth_year")


def a_person(engine) -> tuple[str, str, int | None]:
    with engine.connect() as conn:
        row = conn.execute(select(Person.code, Person.name, Person.birth_year)
                           .where(Person.birth_year.is_not(None)).order_by(Person.code)).first()
    assert row is not None
    return row.code, row.name, row.birth_year


def test_the_levels_are_data_on_the_layer():
    people = LAYERS["people"]
    assert people.level is Level.sensitive
    assert people.sensitive_fields == SECRET_FIELDS
    assert [people.level_of(f) for f in ("name", "code", "house_code")] == [
        Level.sensitive, Level.public, Level.public]
    assert people.column_class("name") == "sensitive"
    assert all(layer.level is Level.public for name, layer in LAYERS.items()
               if name != "people")
    # tiles leave out exactly the 敏感 layers for a caller without the scope
    assert {layer.name for layer in tile_layers(Level.public)} == set(LAYERS) - {"people"}
    assert {layer.name for layer in tile_layers(Level.sensitive)} == set(LAYERS)


def test_features_mask_a_sensitive_field_without_the_scope(edit_client):
    code, name, birth_year = a_person(edit_client.engine)
    url = f"/collections/people/items/{code}"
    for headers in ({}, WRITER):
        masked = edit_client.get(url, headers=headers).json()["properties"]
        assert masked["name"] != name and masked["name"].startswith(name[0])
        assert "*" in masked["name"] and masked["birth_year"] is None
    shown = edit_client.get(url, headers=SENSITIVE).json()["properties"]
    assert (shown["name"], shown["birth_year"]) == (name, birth_year)


def test_exports_leave_sensitive_fields_out_unless_asked(edit_client, tmp_path):
    code, name, birth_year = a_person(edit_client.engine)
    people = LAYERS["people"]
    plain, full = tmp_path / "people.csv", tmp_path / "people-full.csv"
    export_layer(edit_client.engine, people, plain)
    export_layer(edit_client.engine, people, full, clearance=Level.sensitive)
    hidden = pd.read_csv(plain, dtype=str)
    assert not set(SECRET_FIELDS) & set(hidden.columns) and code in set(hidden["code"])
    shown = pd.read_csv(full, dtype=str).set_index("code")
    assert set(SECRET_FIELDS) <= set(shown.columns)
    assert shown.loc[code, "name"] == name and int(shown.loc[code, "birth_year"]) == birth_year


def test_codes_mask_a_persons_name_without_the_scope_and_audit_the_clear_read(edit_client):
    code, name, _ = a_person(edit_client.engine)
    audit = AuditEntry.__table__

    def audited() -> int:
        with edit_client.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(audit).where(
                audit.c.action == "read-sensitive", audit.c.object_id == code)).scalar()

    before = audited()
    for headers in ({}, WRITER):
        title = edit_client.get(f"/codes/{code}", headers=headers).json()["names"][0]["title"]
        assert title != name and title.startswith(name[0]) and "*" in title
    assert audited() == before
    shown = edit_client.get(f"/codes/{code}", headers=SENSITIVE).json()["names"][0]
    assert (shown["layer"], shown["title"]) == ("people", name)
    assert audited() == before + 1


def test_queryables_and_collections_say_each_level(edit_client):
    schema = edit_client.get("/collections/people/queryables", headers=SENSITIVE).json()
    assert schema["x-classification"] == "敏感"
    levels = {name: p.get("x-classification") for name, p in schema["properties"].items()
              if name != "geometry"}
    assert levels["name"] == levels["phone"] == "敏感" and levels["code"] == "公开"
    anonymous = edit_client.get("/collections/people/queryables").json()["properties"]
    assert "name" not in anonymous and anonymous["code"]["x-classification"] == "公开"
    buildings = edit_client.get("/collections/buildings/queryables").json()
    assert buildings["x-classification"] == "公开"
    assert edit_client.get("/collections/people").json()["x-classification"] == "敏感"
    assert edit_client.get("/collections/buildings").json()["x-classification"] == "公开"
