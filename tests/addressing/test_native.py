"""The compiled matcher (addressing/native.py) gives the plain-Python answers, and is current."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from addressing import native
from sample_data.messy_addresses import messy_addresses

ROOT = Path(__file__).resolve().parents[2]

# Run once with TWIN_NATIVE=1 and once with TWIN_NATIVE=0: the same index and queries, the
# compiled modules and then every module read from its source; each run says which it was.
ANSWERS = """
import json, sys
from addressing import native
from addressing.index import index_from_rows
from addressing.match import Geocoder
rows, texts = json.load(open(sys.argv[1], encoding="utf-8"))
geocoder = Geocoder(index_from_rows(rows))
json.dump([native.loaded(), [geocoder.geocode(t).as_dict() for t in texts]], sys.stdout,
          ensure_ascii=False)
"""


def answers(case: Path, native_flag: str) -> tuple[bool, list[dict]]:
    """Whether the compiled modules were loaded, and the answers, with TWIN_NATIVE set."""
    run = subprocess.run(
        [sys.executable, "-c", ANSWERS, str(case)], cwd=ROOT, capture_output=True,
        text=True, env={**os.environ, "TWIN_NATIVE": native_flag}, check=True)
    loaded, got = json.loads(run.stdout)
    return loaded, got


def test_the_test_run_uses_the_current_native_build():
    # scripts/test builds it first; a stale or missing build would test other code than
    # the one that serves. TWIN_NATIVE=0 tests the plain-Python modules instead.
    if not native.wanted():
        assert not native.loaded()
        return
    assert native.build_is_current(), "run `python scripts/build_native.py`"
    assert native.loaded(), "the compiled modules were not the ones imported"


def test_compiled_and_plain_python_give_the_same_answers(sample_rows, tmp_path):
    # Both sides in their own process, whatever TWIN_NATIVE this run has: with the build
    # missing or stale the compiled side is not loaded and the test fails (it never
    # compares plain Python with itself).
    texts = [i.text for i in messy_addresses(sample_rows, per_class=30, seed=11)]
    rows = [dict(row) for row in sample_rows]
    case = tmp_path / "case.json"
    case.write_text(json.dumps([rows, texts], ensure_ascii=False, default=str), encoding="utf-8")
    compiled_loaded, expected = answers(case, "1")
    assert compiled_loaded, "no current compiled build: run `python scripts/build_native.py`"
    plain_loaded, got = answers(case, "0")
    assert not plain_loaded, "TWIN_NATIVE=0 still loaded the compiled modules"
    assert len(got) == len(expected) > 500
    for text, a, b in zip(texts, got, expected, strict=True):
        assert a == b, text


def test_a_build_is_current_only_for_the_sources_it_was_built_from(tmp_path):
    for name in native.NATIVE_MODULES:
        shutil.copy(native.HERE / f"{name}.py", tmp_path / f"{name}.py")
    assert not native.build_is_current(tmp_path)  # no stamp: never built
    (tmp_path / native.STAMP.name).write_text(native.sources_hash(tmp_path) + "\n")
    assert native.build_is_current(tmp_path)
    source = tmp_path / f"{native.NATIVE_MODULES[-1]}.py"
    source.write_text(source.read_text() + "\n# edited\n")
    assert not native.build_is_current(tmp_path)
