import csv

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.addressing.test_base_import import GOOD, HEADER
from tests.stores import ready_store

runner = CliRunner()


@pytest.fixture
def store_url(tmp_path):
    with ready_store("spatialite", tmp_path) as engine:
        url = engine.url.render_as_string(hide_password=False)
    base = tmp_path / "base.csv"
    with base.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(GOOD)
    result = runner.invoke(app, ["import", "addresses", str(base), "--database-url", url])
    assert result.exit_code == 0, result.output
    return url


ROWS = [
    ("7", "深圳市南山区科苑路十五号科兴科学园Ａ座1201", "x"),
    ("3", "", "empty"),
    ("9", "深南大道9988号1栋501室", "tie"),
    ("1", "不存在路1号", "none"),
    ("5", "科兴科学园A座12楼1202", "y"),
]


def test_geocode_gbk_csv_keeps_rows_and_columns(store_url, tmp_path):
    source = tmp_path / "in.csv"
    with source.open("w", newline="", encoding="gbk") as f:
        w = csv.writer(f)
        w.writerow(["编号", "地址", "备注"])
        w.writerows(ROWS)
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["geocode", str(source), "--column", "地址", "-o", str(out),
                                 "--database-url", store_url])
    assert result.exit_code == 0, result.output
    assert "store: sqlite:///" in result.output
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame.columns[:3]) == ["编号", "地址", "备注"]
    assert list(frame["编号"]) == [r[0] for r in ROWS]
    assert list(frame["geo_status"]) == ["matched", "unmatched", "tie", "unmatched", "matched"]
    assert frame["geo_reason"][1] == "empty address"  # as GET /geocode answers a blank q
    assert frame["geo_full_text"][0].endswith("科兴科学园A座1201室")
    assert frame["geo_candidates"][2].count(";") == 1


def test_a_blank_line_in_a_one_column_csv_is_a_row_of_its_own(store_url, tmp_path):
    # A spreadsheet of addresses alone, saved as CSV, writes an empty cell as a blank line:
    # dropping it would move every later answer up one row, beside another address.
    source = tmp_path / "addresses.csv"
    # (Blank lines after the last row are none: a spreadsheet writes nothing past it.)
    source.write_text("地址\n" + "\n".join(r[1] for r in ROWS) + "\n\n\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = runner.invoke(app, ["geocode", str(source), "--column", "地址", "-o", str(out),
                                 "--database-url", store_url])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame["地址"]) == [r[1] for r in ROWS]
    assert list(frame["geo_status"]) == ["matched", "unmatched", "tie", "unmatched", "matched"]


def test_geocode_excel_in_bd09(store_url, tmp_path):
    source = tmp_path / "in.xlsx"
    pd.DataFrame(ROWS, columns=["id", "addr", "note"]).to_excel(source, index=False)
    out = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["geocode", str(source), "-c", "addr", "-o", str(out),
                                 "--crs", "BD-09", "--database-url", store_url])
    assert result.exit_code == 0, result.output
    frame = pd.read_excel(out, dtype=str)
    assert len(frame) == len(ROWS)
    assert frame["geo_crs"][0] == "BD-09"
    assert float(frame["geo_lon"][0]) == pytest.approx(113.9432 + 0.0115, abs=0.003)


def test_geocode_unknown_column_fails_clearly(store_url, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("a,b\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["geocode", str(source), "-c", "地址", "-o",
                                 str(tmp_path / "o.csv"), "--database-url", store_url])
    assert result.exit_code != 0
    assert "no column '地址'" in result.output
