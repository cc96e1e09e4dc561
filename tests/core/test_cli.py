"""The `twin` command as a person runs it: a real process on a real SpatiaLite file."""

import os
import subprocess
import sys

import pandas as pd


def twin(*args, db, check=True):
    env = {**os.environ, "TWIN_DATABASE_URL": f"sqlite:///{db}"}
    result = subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_init_load_export_import(tmp_path):
    db = tmp_path / "twin.db"
    assert "45487 division areas added" in twin("init", db=db).stderr
    assert "buildings 3" in twin("load-sample", db=db).stderr.replace("\n", " ")
    out = tmp_path / "roads.geojson"
    assert "wrote 27 roads" in twin("export", "roads", str(out), db=db).stderr
    again = twin("load-sample", db=db, check=False)
    assert again.returncode == 3 and "--replace" in again.stderr  # bad input, unchanged


def test_import_reports_bad_rows_and_exits_1(tmp_path):
    db = tmp_path / "twin.db"
    twin("init", db=db)
    path = tmp_path / "areas.xlsx"
    pd.DataFrame(
        {"code": ["12", "440305001000"], "name": ["短码", "错层"], "level": ["province", "county"]}
    ).to_excel(path, index=False)
    report = tmp_path / "refused.csv"
    result = twin("import", "admin_areas", str(path), "--report", str(report), db=db, check=False)
    assert result.returncode == 1
    refused = pd.read_csv(report, dtype=str)
    assert list(refused["row"]) == ["2", "3"] and list(refused["field"]) == ["code", "level"]
