"""Command-line paths the matrix leaves out, with real files on both stores: each ends in
its exit code and one line naming what is wrong, and leaves the store as it was.
"""

from __future__ import annotations

import csv
import socket

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from cli.main import app
from cli.shell import Exit, guarded
from tests.addressing.test_base_import import BAD, GOOD, HEADER
from tests.cli.conftest import City
from tests.stores import STORES, postgis_database

from .test_matrix import error_line


def test_an_unknown_sample_size_is_a_usage_error(city: City):
    before = city.state()
    result = city.twin("load-sample", "--size", "huge")
    assert result.exit_code == Exit.USAGE, result.output
    assert error_line(result) == "error: --size must be small or city, not 'huge'"
    assert city.state() == before


def test_geocode_refuses_a_file_that_already_holds_results(city: City, tmp_path):
    source = tmp_path / "done.csv"
    pd.DataFrame({"地址": ["科苑路15号"], "geo_status": ["matched"]}).to_csv(source, index=False)
    original = source.read_bytes()
    result = city.twin("geocode", source, "-c", "地址", "-o", tmp_path / "out.csv")
    assert result.exit_code == Exit.BAD_INPUT, result.output
    assert error_line(result) == ("error: done.csv already has result columns ['geo_status']; "
                                  "remove them or geocode the original file")
    assert source.read_bytes() == original and not (tmp_path / "out.csv").exists()


def test_geocode_one_sheet_of_a_workbook_to_csv_lists_unreadable_rows(city: City, tmp_path):
    book = tmp_path / "clerks.xlsx"
    garbled = [f"南山区科苑路{n}号\ufffd" for n in range(21)]
    with pd.ExcelWriter(book) as writer:
        pd.DataFrame({"地址": [*garbled, "不存在路1号"]}).to_excel(writer, sheet_name="登记",
                                                              index=False)
        pd.DataFrame({"说明": ["留着"]}).to_excel(writer, sheet_name="说明", index=False)
    out = tmp_path / "out.csv"
    result = city.twin("geocode", book, "-c", "地址", "-o", out, "--sheet", "登记")
    assert result.exit_code == Exit.OK, result.output
    assert "note: a CSV output holds only the geocoded sheet" in result.output
    assert "clerks.xlsx: row 2, field '地址': the cell holds undecodable characters" \
        in result.output
    assert "… 1 more unreadable rows (geo_status)" in result.output
    statuses = pd.read_csv(out, dtype=str)["geo_status"].tolist()
    assert statuses == ["unreadable"] * 21 + ["unmatched"]


def test_refused_rows_past_twenty_are_counted_not_listed(city: City, tmp_path):
    source = tmp_path / "nameless.csv"
    pd.DataFrame({"code": [f"N{i}" for i in range(23)], "floors": ["3"] * 23}).to_csv(
        source, index=False)
    before = city.state()
    result = city.twin("import", "buildings", source)
    assert result.exit_code == Exit.PARTIAL, result.output
    listed = [line for line in result.output.splitlines() if "nameless.csv: row" in line]
    assert len(listed) == 20 and "buildings features need a geometry" in listed[0]
    assert "… 3 more" in result.output
    assert city.state() == before


@pytest.mark.parametrize("store_kind", STORES)
def test_import_addresses_reads_an_address_base(empty_engine, tmp_path, store_kind):
    url = empty_engine.url.render_as_string(hide_password=False)
    source = tmp_path / "base.csv"
    with source.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(GOOD + BAD)
    report = tmp_path / "refused.csv"
    result = CliRunner().invoke(app, ["import", "addresses", str(source), "--report",
                                      str(report), "--database-url", url])
    assert result.exit_code == Exit.PARTIAL, result.output
    assert "importing the address base from base.csv" in result.output
    refused = pd.read_csv(report, dtype=str)
    first_bad = len(GOOD) + 2
    assert refused["row"].tolist() == [str(first_bad + i) for i in range(len(BAD))]
    assert refused["field"].tolist() == ["township", "county_code", "road", "lon/lat", "road",
                                         "address_code"]
    assert f"refused rows written to {report}" in " ".join(result.output.split())
    again = CliRunner().invoke(app, ["export", "addresses", str(tmp_path / "a.csv"),
                                     "--database-url", url])
    assert again.exit_code == Exit.OK, again.output
    texts = pd.read_csv(tmp_path / "a.csv", dtype=str)["full_text"].tolist()
    assert any("科兴科学园" in t and "1201" in t for t in texts)


def test_a_store_url_that_is_no_url_or_no_store(tmp_path):
    runner = CliRunner()
    out = tmp_path / "b.csv"

    def export(url: str):
        return runner.invoke(app, ["export", "buildings", str(out), "--database-url", url])

    garbage = export("::::")
    assert garbage.exit_code == Exit.BAD_INPUT, garbage.output
    assert error_line(garbage) == ("error: cannot read the store URL '::::' (--database-url "
                                   "or TWIN_DATABASE_URL)")
    junk = tmp_path / "notes.db"
    junk.write_text("not a database", encoding="utf-8")
    not_a_store = export(f"sqlite:///{junk}")
    assert not_a_store.exit_code == Exit.BAD_INPUT, not_a_store.output
    assert error_line(not_a_store).startswith(f"error: no twin store at sqlite:///{junk}")
    assert junk.read_text(encoding="utf-8") == "not a database"
    with postgis_database("twin_cov") as url:
        absent = url.replace("postgresql+psycopg://postgres@", "postgresql+psycopg://postgres:"
                             "hush@") + "_gone"
        unreachable = export(absent)
    assert unreachable.exit_code == Exit.BAD_INPUT, unreachable.output
    line = error_line(unreachable)
    assert line.startswith("error: no twin store at postgresql+psycopg://postgres:***@")
    assert "(or it cannot be reached)" in line and "hush" not in unreachable.output
    assert not out.exists()


def test_an_unforeseen_error_is_one_line_exit_4_asking_for_a_report():
    probe = typer.Typer()

    @probe.command()
    @guarded
    def crash(empty: bool = False) -> None:
        raise ZeroDivisionError("" if empty else "division by zero")

    runner = CliRunner()
    result = runner.invoke(probe, [])
    assert result.exit_code == Exit.INTERNAL
    assert error_line(result) == ("error: internal error (ZeroDivisionError: division by "
                                  "zero); please report it (set TWIN_DEBUG=1 for the traceback)")
    bare = runner.invoke(probe, ["--empty"])
    assert bare.exit_code == Exit.INTERNAL
    assert error_line(bare) == ("error: internal error (ZeroDivisionError: "
                                "ZeroDivisionError); please report it (set TWIN_DEBUG=1 for the "
                                "traceback)")


def test_serve_on_a_port_in_use_says_so_and_serves_nothing(city: City):
    before = city.state()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = city.twin("serve", "--port", str(port))
    assert result.exit_code == Exit.BAD_INPUT, result.output
    assert error_line(result) == (f"error: cannot listen on 127.0.0.1:{port} (in use, or not "
                                  "this machine's address)")
    assert "serving on" not in result.output and city.state() == before


@pytest.mark.parametrize("store_kind", STORES)
def test_a_clean_import_exits_0_and_writes_an_empty_report(empty_engine, tmp_path, store_kind):
    url = empty_engine.url.render_as_string(hide_password=False)
    source = tmp_path / "orgs.csv"
    pd.DataFrame({"code": ["91350100M000100Y43"], "name": ["好单位"]}).to_csv(source, index=False)
    report = tmp_path / "refused.csv"
    result = CliRunner().invoke(app, ["import", "organizations", str(source), "--report",
                                      str(report), "--database-url", url])
    assert result.exit_code == Exit.OK, result.output
    assert pd.read_csv(report).empty
