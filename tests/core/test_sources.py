"""The one file reader (twin.sources) on real files: each unreadable file, sheet or column
refused with InvalidInput naming the file, field and value, before any row is read.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pyproj import Transformer
from shapely import Point

from twin.errors import InvalidInput
from twin.sources import check_readable, pick_sheet, read_source, read_table


def refused(call, *args, **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        call(*args, **kwargs)
    return err.value


def test_a_directory_is_not_a_file(tmp_path):
    err = refused(check_readable, tmp_path)
    assert str(err) == f"{tmp_path} is not a file"
    assert (err.field, err.value) == ("file", str(tmp_path))


def test_rows_longer_than_the_header_are_refused_not_shifted(tmp_path):
    # pandas would take the first field as an index and shift every value one column on.
    path = tmp_path / "shifted.csv"
    path.write_text("code,name\nB1,科技楼,extra\nB2,二号楼,extra\n", encoding="utf-8")
    err = refused(read_table, path)
    assert str(err).startswith("shifted.csv: its rows hold more fields than the header names")
    assert (err.field, err.value) == ("file", str(path))
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("code,name\nB1,科技楼\nB2,二号楼,extra\n", encoding="utf-8")
    err = refused(read_table, ragged)
    assert "ragged.csv: not a readable CSV table" in str(err)
    assert "Expected 2 fields in line 3, saw 3" in str(err)


def test_a_workbook_that_is_not_one_and_an_empty_sheet(tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("code,name\n", encoding="utf-8")
    err = refused(read_table, fake)
    assert str(err).startswith("fake.xlsx: not a readable excel file:")
    assert (err.field, err.value) == ("file", str(fake))
    empty = tmp_path / "empty.xlsx"
    with pd.ExcelWriter(empty) as writer:
        pd.DataFrame().to_excel(writer, sheet_name="空表", index=False)
    err = refused(read_table, empty)
    assert str(err) == f"{empty} holds no columns"


def test_sheets_asked_of_a_csv_or_missing_from_a_workbook(tmp_path):
    csv = tmp_path / "one.csv"
    csv.write_text("name\nx\n", encoding="utf-8")
    err = refused(pick_sheet, csv, "Sheet1")
    assert str(err) == "one.csv has no sheets or layers; leave out --sheet"
    assert (err.field, err.value) == ("sheet", "Sheet1")
    book = tmp_path / "two.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"a": [1]}).to_excel(writer, sheet_name="一", index=False)
        pd.DataFrame({"a": [2]}).to_excel(writer, sheet_name="二", index=False)
    err = refused(pick_sheet, book, "三")
    assert str(err) == "two.xlsx has no sheet or layer '三'; it has 一, 二"
    assert (err.field, err.value) == ("sheet", "三")
    assert pick_sheet(book, "二") == "二"


def test_a_geometry_column_asked_for_must_be_there(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("name,wkt\nx,POINT (113.93 22.53)\n", encoding="utf-8")
    err = refused(read_source, path, geometry_column="footprint")
    assert str(err) == "no geometry column 'footprint'; the columns are name, wkt"
    assert (err.field, err.value) == ("geometry", "footprint")
    named = read_source(path, geometry_column="wkt")
    assert named.geometry_name == "wkt" and named.geoms[0].equals(Point(113.93, 22.53))


def test_a_given_crs_is_checked_first_and_then_used(tmp_path):
    x, y = Transformer.from_crs(4490, 4547, always_xy=True).transform(113.93, 22.53)
    path = tmp_path / "gk.csv"
    path.write_text(f"name,wkt\nx,POINT ({x} {y})\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="EPSG:999999"):
        read_source(path, crs="EPSG:999999")
    source = read_source(path, crs="EPSG:4547")  # Gauss-Kruger metres, CM 114°E
    assert source.crs == "EPSG:4547"
    point = source.geoms[0]
    assert (point.x, point.y) == (pytest.approx(113.93, abs=1e-8),
                                  pytest.approx(22.53, abs=1e-8))


def test_a_broken_gis_file_is_named(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    err = refused(read_source, path)
    assert str(err).startswith("broken.geojson: not a readable GIS file:")
    assert (err.field, err.value) == ("file", str(path))
    assert Path(path).read_text(encoding="utf-8").endswith("[")  # read, never touched
