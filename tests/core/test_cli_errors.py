"""The `twin` command's error paths as a person meets them: a message naming what is wrong,
exit code 3 for bad input (2 for usage: an unknown layer; 1 for refused rows), no
traceback, and the store as it was.
"""

import pandas as pd
import pytest

from .test_cli import twin


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli-errors") / "twin.db"
    twin("init", db=path)
    return path


def refused(*args, db, message: str, code: int = 3) -> str:
    result = twin(*args, db=db, check=False)
    assert result.returncode == code, (args, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    flat = " ".join(result.stderr.split())
    assert message in flat, flat
    return flat


def test_an_unknown_layer_lists_the_layers(db, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("code\n1\n", "utf-8")
    flat = refused("import", "towers", str(path), db=db, message="no layer 'towers'", code=2)
    assert "buildings" in flat and "roads" in flat


def test_missing_files_and_unknown_formats_are_named(db, tmp_path):
    refused("import", "roads", str(tmp_path / "nowhere.csv"), db=db, message="no such file")
    odd = tmp_path / "roads.txt"
    odd.write_text("code\n", "utf-8")
    refused("import", "roads", str(odd), db=db, message="use one of")


def test_an_unknown_file_crs_is_named_and_nothing_lands(db, tmp_path):
    path = tmp_path / "objects.csv"
    pd.DataFrame({"code": ["C1"], "class_code": ["0101"], "wkt": ["POINT (113.93 22.53)"]}
                 ).to_csv(path, index=False)
    refused("import", "city_objects", str(path), "--crs", "EPSG:999999", db=db,
            message="unknown CRS 'EPSG:999999'")
    out = tmp_path / "after.csv"
    twin("export", "city_objects", str(out), db=db)
    assert pd.read_csv(out, dtype=str).empty
