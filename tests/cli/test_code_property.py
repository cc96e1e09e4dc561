"""For any registry, coding it again issues nothing and keeps every code; from the second
run on, the output is byte-identical (the first run says `new` where later ones say
`existing`, because by then the building is in the store)."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.shell import Exit
from tests.cli.conftest import OUTSIDE, City, free_squares, stored_codes

KINDS = ("known", "new", "outside", "broken", "point")


def rows_for(city: City, picks: list[tuple[str, int]]) -> list[dict[str, str]]:
    known = stored_codes(city.engine, 5)
    fresh = free_squares(city.engine, 5)
    rows = []
    for kind, i in picks:
        wkt = {"known": known[i % len(known)][1], "new": fresh[i % len(fresh)],
               "outside": OUTSIDE, "broken": "POLYGON ((1 2, 3",
               "point": "POINT (113.93 22.53)"}[kind]
        rows.append({"名称": f"楼{i}", "year_built": str(1990 + i), "wkt": wkt})
    return rows


@settings(max_examples=3, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 4)), min_size=1,
                      max_size=6))
def test_coding_again_issues_nothing_and_gives_the_same_bytes(city: City, picks):
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "registry.csv"
        pd.DataFrame(rows_for(city, picks)).to_csv(source, index=False)
        outs = [Path(work) / f"run{n}.csv" for n in range(3)]
        results = [city.twin("code", source, "-o", out) for out in outs]
        for result in results:
            assert result.exit_code in (Exit.OK, Exit.PARTIAL), result.output
        reports = [json.loads(out.with_name(out.stem + ".report.json").read_text())
                   for out in outs]
        assert reports[1]["codes_issued"] == reports[2]["codes_issued"] == 0
        frames = [pd.read_csv(out, dtype=str, keep_default_na=False) for out in outs]
        assert frames[0]["code"].tolist() == frames[1]["code"].tolist()
        assert "new" not in set(frames[1]["status"])
        digest = [hashlib.sha256(out.read_bytes()).hexdigest() for out in outs]
        assert digest[1] == digest[2]
