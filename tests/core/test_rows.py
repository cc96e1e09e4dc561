"""The one row model (twin.rows): each rule, each column type, from text and from JSON."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import shapely
from sqlalchemy import Boolean, Column, Integer, MetaData, Table

from twin.errors import InvalidInput
from twin.layers import LAYERS
from twin.rows import (
    ColumnKind,
    check_geometry,
    check_value,
    convert_row,
    from_json,
    from_text,
    json_schema,
    kind_of,
)

BUILDINGS, ADDRESSES = LAYERS["buildings"], LAYERS["addresses"]
COL = BUILDINGS.table.c
SQUARE = shapely.box(113.93, 22.52, 113.931, 22.521)


@pytest.mark.parametrize(("column", "kind"), [
    (COL.floors, ColumnKind.integer), (COL.height, ColumnKind.number),
    (COL.name, ColumnKind.text), (ADDRESSES.table.c.valid_from, ColumnKind.date),
    (LAYERS["roads"].table.c.aliases, ColumnKind.json),
    (BUILDINGS.table.c.updated_at, ColumnKind.datetime),
])
def test_each_column_has_one_kind(column, kind):
    assert kind_of(column) is kind


@pytest.mark.parametrize(("column", "text", "value"), [
    (COL.floors, "12", 12), (COL.floors, " 12.0 ", 12), (COL.height, "19.5", 19.5),
    (COL.name, " 科技楼 ", "科技楼"), (COL.floors, "", None), (COL.floors, None, None),
    (ADDRESSES.table.c.valid_from, "2024-05-01", date(2024, 5, 1)),
    (ADDRESSES.table.c.valid_from, "2024-05-01 00:00:00", date(2024, 5, 1)),
    (BUILDINGS.table.c.updated_at, "2024-05-01T08:00:00Z",
     datetime.fromisoformat("2024-05-01T08:00:00+00:00")),
    (LAYERS["roads"].table.c.aliases, "甲路；乙路; ", ["甲路", "乙路"]),
    (LAYERS["roads"].table.c.aliases, '["甲路"]', ["甲路"]),
])
def test_text_converts_to_the_column_type(column, text, value):
    assert from_text(column, text) == value


@pytest.mark.parametrize(("column", "text", "says"), [
    (COL.floors, "12.5", "whole number"), (COL.floors, "six", "whole number"),
    (COL.height, "tall", "a number"), (COL.height, "nan", "finite"),
    (COL.use, "x" * 17, "at most 16"),
    (ADDRESSES.table.c.valid_from, "2024-13-01", "ISO 8601 date"),
    (ADDRESSES.table.c.valid_from, "2024-05-01 08:30:00", "time of day"),
    (BUILDINGS.table.c.updated_at, "yesterday", "date-time"),
    (LAYERS["roads"].table.c.aliases, "[oops", "not valid JSON"),
])
def test_bad_text_names_field_and_value(column, text, says):
    with pytest.raises(InvalidInput, match=says) as err:
        from_text(column, text)
    assert err.value.field == column.name and err.value.value is not None


@pytest.mark.parametrize(("column", "value", "expected"), [
    (COL.floors, 6, 6), (COL.floors, 6.0, 6), (COL.floors, "6", 6), (COL.height, 19, 19.0),
    (COL.name, "楼", "楼"), (LAYERS["city_objects"].table.c.attributes, {"a": 1}, {"a": 1}),
    (ADDRESSES.table.c.valid_from, "2024-05-01", date(2024, 5, 1)),
])
def test_json_values_convert(column, value, expected):
    assert from_json(column, value) == expected


@pytest.mark.parametrize(("column", "value"), [
    (COL.floors, True), (COL.floors, 6.5), (COL.floors, [6]), (COL.name, 12),
    (ADDRESSES.table.c.valid_from, 20240501),
])
def test_bad_json_values_are_refused(column, value):
    with pytest.raises(InvalidInput) as err:
        from_json(column, value)
    assert err.value.field == column.name


def test_check_constraints_are_checked_before_the_store():
    check_value(COL.status, "demolished")
    with pytest.raises(InvalidInput, match="one of") as err:
        check_value(ADDRESSES.table.c.status, "demolished")  # addresses retire, never demolish
    assert err.value.field == "status"
    with pytest.raises(InvalidInput, match="ck_building_floors"):
        check_value(COL.floors, 0)
    check_value(COL.floors, 1)


def test_a_row_is_one_set_of_rules_for_files_and_requests():
    text = convert_row(BUILDINGS, {"code": "B1", "floors": "6", "use": ""}, text=True)
    json = convert_row(BUILDINGS, {"code": "B1", "floors": 6}, text=False)
    assert text == json == {"code": "B1", "floors": 6}  # a blank cell gives no value
    for values, text_mode in (({"code": "B1", "status": "gone"}, True),
                              ({"code": "B1", "status": "gone"}, False)):
        with pytest.raises(InvalidInput) as err:
            convert_row(BUILDINGS, values, text=text_mode)
        assert err.value.field == "status"


def test_a_row_names_unknown_and_missing_fields_and_runs_the_layer_check():
    with pytest.raises(InvalidInput, match="colour") as err:
        convert_row(BUILDINGS, {"colour": "red"}, text=False)
    assert err.value.field == "colour"
    with pytest.raises(InvalidInput, match="need code"):
        convert_row(BUILDINGS, {"floors": 3}, text=False)
    assert convert_row(BUILDINGS, {"floors": 3}, text=False, partial=True) == {"floors": 3}
    with pytest.raises(InvalidInput, match="year built 1700"):
        convert_row(BUILDINGS, {"code": "B1", "year_built": "1700"}, text=True)
    with pytest.raises(InvalidInput, match="GB 32100") as err:
        convert_row(LAYERS["organizations"], {"code": "123", "name": "x"}, text=False)
    assert err.value.field == "code"


def test_geometries_follow_the_layer_and_stay_in_china():
    assert check_geometry(BUILDINGS, SQUARE).geom_type == "MultiPolygon"
    with pytest.raises(InvalidInput, match="Polygon or MultiPolygon"):
        check_geometry(BUILDINGS, shapely.Point(113.93, 22.52))
    with pytest.raises(InvalidInput, match="outside China"):
        check_geometry(BUILDINGS, shapely.box(22.52, 113.93, 22.53, 113.94))
    bowtie = shapely.Polygon([(113.93, 22.52), (113.94, 22.53), (113.94, 22.52),
                              (113.93, 22.53)])
    with pytest.raises(InvalidInput, match="invalid"):
        check_geometry(BUILDINGS, bowtie)
    with pytest.raises(InvalidInput, match="need a geometry"):
        check_geometry(BUILDINGS, None)
    assert check_geometry(ADDRESSES, None) is None


def test_one_json_schema_per_column():
    assert json_schema(LAYERS["roads"].table.c.aliases) == {"type": "array"}
    assert json_schema(LAYERS["city_objects"].table.c.attributes) == {"type": "object"}
    assert json_schema(COL.status)["enum"][-1] == "demolished"
    assert json_schema(COL.floors) == {"type": "integer"}


def test_a_filter_literal_and_a_registry_year_are_read_by_the_same_rules():
    from twin.features.query import coerce
    from twin.layers import year_built_problem
    from twin.registry_coding.checks import read_year

    assert coerce(COL.floors, "12.0") == 12 == from_text(COL.floors, "12.0")
    with pytest.raises(InvalidInput, match="whole number"):
        coerce(COL.floors, "12.5")
    with pytest.raises(InvalidInput, match="floors"):
        coerce(COL.floors, " ")
    assert coerce(COL.use, "no such use") == "no such use"  # a filter may match nothing
    assert read_year("2001.0") == (2001, None)
    assert read_year("1799") == (None, year_built_problem(1799))
    assert read_year("") == (0, None)


# No layer has a boolean column yet; the rule the module promises is held on a table of its own.
FLAGS = Table("flags", MetaData(), Column("id", Integer, primary_key=True),
              Column("lit", Boolean))


@pytest.mark.parametrize(("text", "value"), [
    ("true", True), ("YES", True), ("1", True), ("是", True),
    ("false", False), ("No", False), ("0", False), ("否", False),
])
def test_booleans_read_from_words_and_json(text, value):
    assert from_text(FLAGS.c.lit, f" {text} ") is value
    assert from_json(FLAGS.c.lit, text) is value  # a JSON string reads as a cell would
    assert from_json(FLAGS.c.lit, value) is value
    assert json_schema(FLAGS.c.lit) == {"type": "boolean"}


@pytest.mark.parametrize(("convert", "given"), [
    (from_text, "maybe"), (from_json, "maybe"), (from_json, 1), (from_json, [True]),
])
def test_a_boolean_refuses_anything_else_naming_the_value(convert, given):
    with pytest.raises(InvalidInput) as err:
        convert(FLAGS.c.lit, given)
    assert str(err.value) == f"lit takes true or false, not {given!r}"
    assert (err.value.field, err.value.value) == ("lit", given)
