"""The command line with real files on both stores: each bad input fails with its exit code
and one line naming file, row, field and value, before any work and with the store as it was.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from cli.main import app
from cli.shell import Exit
from tests.cli.conftest import OUTSIDE, City, free_squares, runner, stored_codes


def registry(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    pd.DataFrame(rows).to_csv(path, index=False, encoding=encoding)
    return path


def error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    return lines[0]


@pytest.mark.parametrize("command", [
    ["code", "{f}", "-o", "{o}.csv"],
    ["import", "buildings", "{f}"],
    ["geocode", "{f}", "-c", "地址", "-o", "{o}.csv"],
])
@pytest.mark.parametrize("content, says", [
    (b"", "is empty: no header, no rows"),
    (b"\xef\xbb\xbf", "holds no header and no rows"),
    (b"name,wkt\n", "has a header but no rows"),
    (b"name,wkt\nab\xff\xfe\xfa,POINT (1 1)\n", "line 2 is neither UTF-8, UTF-16 nor GBK"),
])
def test_empty_and_undecodable_files_fail_before_any_work(city: City, tmp_path, command,
                                                          content, says):
    source = tmp_path / "in.csv"
    source.write_bytes(content)
    before = city.state()
    result = city.twin(*[a.format(f=source, o=tmp_path / "out") for a in command])
    if command[0] == "geocode" and says.startswith("has a header"):
        # a header without rows is no error for geocode, but this header lacks the column
        assert result.exit_code == Exit.BAD_INPUT, result.output
        assert "no column '地址'" in error_line(result) and "in.csv" in error_line(result)
        assert city.state() == before
        return
    assert result.exit_code == Exit.BAD_INPUT, result.output
    assert says in error_line(result) and "in.csv" in error_line(result)
    assert "Traceback" not in result.output
    assert city.state() == before
    assert not (tmp_path / "out.csv").exists()


def test_gbk_and_utf16_registries_read_alike(city: City, tmp_path):
    code, wkt = stored_codes(city.engine, 1)[0]
    rows = [{"名称": "科技园一号楼", "地址": "", "wkt": wkt}]
    outputs = []
    for encoding in ("gbk", "utf-16", "utf-8-sig"):
        source = registry(tmp_path / f"{encoding}.csv", rows, encoding)
        out = tmp_path / f"{encoding}-out.csv"
        result = city.twin("code", source, "-o", out)
        assert result.exit_code == Exit.OK, result.output
        frame = pd.read_csv(out, dtype=str, encoding=encoding if encoding != "utf-16"
                            else "utf-16")
        assert frame["名称"].tolist() == ["科技园一号楼"]
        assert frame["code"].tolist() == [code] and frame["status"].tolist() == ["existing"]
        outputs.append(frame)
    pd.testing.assert_frame_equal(outputs[0], outputs[1])


def test_mixed_rows_inside_outside_broken_and_conflicting(city: City, tmp_path):
    """One registry with every kind of row: the run finishes, exits 1 and reports each."""
    (known, known_wkt), (other, _) = stored_codes(city.engine, 2)
    new_wkt, misplaced_wkt = free_squares(city.engine, 2)
    rows = [
        {"code": "", "township_code": "", "wkt": new_wkt},  # 2: new building
        {"code": "", "township_code": "", "wkt": OUTSIDE},  # 3: outside the twin
        {"code": "", "township_code": "", "wkt": "POLYGON ((113.9 22.5, oops"},  # 4: broken
        {"code": other, "township_code": "", "wkt": known_wkt},  # 5: input code conflict
        {"code": "", "township_code": "440305999000", "wkt": misplaced_wkt},  # 6: no such
        {"code": "", "township_code": "440303001000", "wkt": misplaced_wkt},  # 7: elsewhere
        {"code": known, "township_code": "", "wkt": known_wkt},  # 8: agrees
    ]
    source = registry(tmp_path / "mixed.csv", rows)
    out = tmp_path / "coded.csv"
    before = city.state()
    result = city.twin("code", source, "-o", out)
    assert result.exit_code == Exit.PARTIAL, result.output
    coded = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert coded["status"].tolist() == ["new", "unmatched", "unmatched", "conflict",
                                             "unmatched", "unmatched", "existing"]
    assert coded["code"].tolist() == [r["code"] for r in rows]  # the input's codes kept
    assert coded["twin_code"][6] == known and coded["twin_code"][3] == ""
    assert f"input code {other}" in coded["reason"][3]
    report = json.loads((tmp_path / "coded.report.json").read_text())
    bad = {(b["row"], b["field"]) for b in report["bad_rows"]}
    assert bad == {(3, "geometry"), (4, "wkt"), (6, "township_code"), (7, "township_code")}
    assert report["codes_issued"] == 1 and report["by_status"]["unmatched"] == 4
    assert "mixed.csv: row 6, field 'township_code'" in result.output
    assert "440305999000" in result.output
    assert city.state()[0] == before[0] + 1  # one new building entered the store

    # the second run: the new building is `existing` now, nothing is issued
    again = tmp_path / "again.csv"
    second = city.twin("code", source, "-o", again)
    assert second.exit_code == Exit.PARTIAL
    rerun = pd.read_csv(again, dtype=str, keep_default_na=False)
    assert rerun["status"][0] == "existing"
    assert rerun["twin_code"].tolist() == coded["twin_code"].tolist()
    assert json.loads((tmp_path / "again.report.json").read_text())["codes_issued"] == 0
    assert city.state()[0] == before[0] + 1


def test_dry_run_writes_nothing(city: City, tmp_path):
    source = registry(tmp_path / "new.csv", [{"wkt": w} for w in free_squares(city.engine, 3)[2:]])
    before = city.state()
    result = city.twin("code", source, "--dry-run")
    assert result.exit_code == Exit.OK, result.output
    assert "codes that would be issued: 1" in result.output
    assert city.state() == before
    assert list(tmp_path.iterdir()) == [source]


@pytest.mark.parametrize("args, kind, says", [
    (["code", "{f}", "-o", "{d}/nowhere/out.csv"], Exit.BAD_INPUT, "no directory"),
    (["code", "{f}", "-o", "{d}/out.txt"], Exit.BAD_INPUT, "unsupported file type '.txt'"),
    (["code", "{f}", "-o", "{f}"], Exit.BAD_INPUT, "is the input file"),
    (["code", "{f}", "-o", "{d}"], Exit.BAD_INPUT, "is a directory"),
    (["code", "{f}", "-o", "{d}/o.csv", "--crs", "EPSG:99999"], Exit.BAD_INPUT,
     "unknown CRS 'EPSG:99999'"),
    (["code", "{d}/missing.csv", "-o", "{d}/o.csv"], Exit.BAD_INPUT, "no such file"),
    (["code", "{f}"], Exit.USAGE, "--out"),
    (["import", "buildings", "{f}", "--crs", "EPSG:99999"], Exit.BAD_INPUT, "unknown CRS"),
    (["import", "nolayer", "{f}"], Exit.USAGE, "nolayer"),
    (["import", "buildings", "{f}", "--report", "{f}"], Exit.BAD_INPUT, "is the input file"),
    (["geocode", "{f}", "-c", "wkt", "-o", "{f}"], Exit.BAD_INPUT, "is the input file"),
    (["geocode", "{f}", "-c", "地址", "-o", "{d}/o.csv"], Exit.BAD_INPUT, "no column '地址'"),
    (["geocode", "{f}", "-c", "wkt", "-o", "{d}/o.csv", "--crs", "EPSG:3857"],
     Exit.BAD_INPUT, "unknown crs"),
    (["export", "buildings", "{d}/b.gpkg", "--crs", "EPSG:99999"], Exit.BAD_INPUT,
     "unknown CRS 'EPSG:99999'"),
    (["export", "buildings", "{d}/nowhere/b.gpkg"], Exit.BAD_INPUT, "no directory"),
    (["serve", "--port", "99999"], Exit.USAGE, "not a TCP port"),
])
def test_bad_arguments_fail_first_and_change_nothing(city: City, tmp_path, args, kind, says):
    source = registry(tmp_path / "in.csv", [{"wkt": OUTSIDE}])
    original = source.read_bytes()
    before = city.state()
    result = city.twin(*[a.format(f=source, d=tmp_path) for a in args])
    assert result.exit_code == kind, result.output
    assert says in result.output
    assert "Traceback" not in result.output
    assert "store:" not in result.output  # refused before the store was even opened
    assert source.read_bytes() == original and city.state() == before


def test_a_write_that_fails_leaves_no_file_and_the_store_as_it_was(city: City, tmp_path):
    """GDAL cannot hold a text `fid` column in a GeoPackage: the write is rehearsed before
    any code is issued, so the run fails with nothing stored, the previous output as it
    was and no partial file beside it."""
    (known, known_wkt), = stored_codes(city.engine, 1)
    out = tmp_path / "coded.gpkg"
    first = city.twin("code", registry(tmp_path / "known.csv", [{"wkt": known_wkt}]),
                      "-o", out)
    assert first.exit_code == Exit.OK, first.output
    previous = out.read_bytes(), (tmp_path / "coded.report.json").read_bytes()
    new_wkt, = free_squares(city.engine, 1)
    source = registry(tmp_path / "fid.csv", [{"fid": "a", "wkt": new_wkt},
                                             {"fid": "b", "wkt": known_wkt}])
    before = city.state()
    files = sorted(tmp_path.iterdir())
    result = city.twin("code", source, "-o", out)
    assert result.exit_code == Exit.BAD_INPUT, result.output
    assert f"cannot write {out}" in error_line(result) and "fid" in error_line(result)
    assert city.state() == before  # the new footprint was not issued a code
    assert sorted(tmp_path.iterdir()) == files  # no partial output, no report
    assert (out.read_bytes(), (tmp_path / "coded.report.json").read_bytes()) == previous


def test_a_cell_excel_cannot_hold_is_bad_input_before_anything_is_coded(city: City, tmp_path):
    """A control character in a registry cell, coded to .xlsx: refused naming its row and
    column before any code is issued (exit 3), no file written, the store as it was."""
    new_wkt, = free_squares(city.engine, 1)
    source = registry(tmp_path / "ctl.csv", [{"name": "a\x01b", "wkt": new_wkt}])
    before = city.state()
    result = city.twin("code", source, "-o", tmp_path / "coded.xlsx")
    assert result.exit_code == Exit.BAD_INPUT, result.output
    line = error_line(result)
    assert "row 1, column 'name'" in line and "U+0001" in line and "nothing was coded" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ctl.csv"]
    assert city.state() == before


def test_geocode_and_export_refuse_a_cell_excel_cannot_hold(city: City, tmp_path):
    source = registry(tmp_path / "clerk.csv", [{"地址": "深圳市南山区", "备注": "甲\x02乙"}])
    result = city.twin("geocode", source, "-c", "地址", "-o", tmp_path / "out.xlsx")
    assert result.exit_code == Exit.BAD_INPUT, result.output
    assert "row 1, column '备注'" in error_line(result) and "U+0002" in error_line(result)
    assert not (tmp_path / "out.xlsx").exists()


def test_an_internal_error_is_one_line_and_exit_4(city: City, tmp_path, monkeypatch):
    """A bug (injected: the coding step raises what no path expects) is exit 4 and one
    line, no traceback unless TWIN_DEBUG asks for it; no partial file, nothing stored."""
    import twin.registry_coding

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(twin.registry_coding, "code_registry", broken)
    new_wkt, = free_squares(city.engine, 1)
    source = registry(tmp_path / "reg.csv", [{"name": "甲", "wkt": new_wkt}])
    out = tmp_path / "coded.xlsx"
    before = city.state()
    result = city.twin("code", source, "-o", out)
    assert result.exit_code == Exit.INTERNAL, result.output
    line = error_line(result)
    assert "internal error (KeyError" in line and "TWIN_DEBUG=1" in line
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reg.csv"]
    assert city.state() == before
    debug = runner.invoke(app, ["code", str(source), "-o", str(out),
                                "--database-url", city.url], env={"TWIN_DEBUG": "1"})
    assert debug.exit_code == Exit.INTERNAL
    assert "Traceback" in debug.output and "KeyError" in debug.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reg.csv"]


def test_export_admin_areas_and_a_projected_crs(city: City, tmp_path):
    import geopandas as gpd

    result = city.twin("export", "admin_areas", tmp_path / "areas.gpkg")
    assert result.exit_code == Exit.OK, result.output
    assert len(gpd.read_file(tmp_path / "areas.gpkg")) > 40_000
    result = city.twin("export", "buildings", tmp_path / "b.gpkg", "--crs", "EPSG:4547")
    assert result.exit_code == Exit.OK, result.output
    assert gpd.read_file(tmp_path / "b.gpkg").crs.to_epsg() == 4547
    shown = re.search(r"store: (\S+)", result.output)
    assert shown and "@" not in shown.group(1).split("//", 1)[1].split("/")[0].replace(
        "postgres@", "")  # a user may show, a password never


def test_a_missing_store_is_refused_and_not_created(tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    db = tmp_path / "none.db"
    result = CliRunner().invoke(app, ["export", "buildings", str(tmp_path / "b.csv"),
                                      "--database-url", f"sqlite:///{db}"])
    assert result.exit_code == Exit.BAD_INPUT
    assert "no twin store at" in result.output and "twin init" in result.output
    assert not db.exists() and not (tmp_path / "b.csv").exists()


def test_import_wrong_columns_lists_rows_and_writes_the_report(city: City, tmp_path):
    source = registry(tmp_path / "wrong.csv", [{"名字": "x", "几何x": "y"}] * 2)
    report = tmp_path / "refused.csv"
    before = city.state()
    result = city.twin("import", "buildings", source, "--report", report)
    assert result.exit_code == Exit.PARTIAL, result.output
    refused = pd.read_csv(report, dtype=str)
    assert refused["row"].tolist() == ["2", "3"]
    assert "wrong.csv: row 2" in result.output
    assert city.state() == before


def test_geocode_keeps_sheets_and_types_and_never_overwrites_its_input(city: City, tmp_path):
    book = tmp_path / "clerks.xlsx"
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"编号": [7, 8], "地址": ["不存在路1号", None]}).to_excel(
            writer, sheet_name="登记表", index=False)
        pd.DataFrame({"说明": ["留着"]}).to_excel(writer, sheet_name="说明", index=False)
    original = book.read_bytes()
    refused = city.twin("geocode", book, "-c", "地址", "-o", book, "--sheet", "登记表")
    assert refused.exit_code == Exit.BAD_INPUT and book.read_bytes() == original
    several = city.twin("geocode", book, "-c", "地址", "-o", tmp_path / "o.xlsx")
    assert several.exit_code == Exit.BAD_INPUT and "--sheet" in several.output
    result = city.twin("geocode", book, "-c", "地址", "-o", book, "--sheet", "登记表",
                       "--force")
    assert result.exit_code == Exit.OK, result.output
    sheets = pd.read_excel(book, sheet_name=None)
    assert list(sheets) == ["登记表", "说明"]
    assert sheets["登记表"]["编号"].tolist() == [7, 8]
    assert str(sheets["登记表"]["编号"].dtype) == "int64"
    assert sheets["登记表"]["geo_status"].tolist() == ["unmatched", "unmatched"]
    assert sheets["登记表"]["geo_reason"][1] == "empty address"
    assert sheets["说明"]["说明"].tolist() == ["留着"]


def test_no_package_imports_the_command_line():
    root = Path(__file__).resolve().parents[2]
    for package in ("twin", "addressing", "tiles", "api", "sample_data"):
        for path in (root / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"^\s*(from cli\b|import cli\b)", text, re.M), path
