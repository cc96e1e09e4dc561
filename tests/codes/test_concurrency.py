"""Several processes issue codes for overlapping keys on PostGIS at once.

A code twice or a natural key with two codes cannot happen: the registry's primary key and
its unique (scheme, natural_key) refuse them. What these tests look for is what the schema
does not catch: processes told different codes for one key, one building stored (and coded)
twice under two footprints' keys, a code issued for no building, and sequence numbers
skipped, or a counter left where it would hand out a number again.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, select

from tests.codes.conftest import migrated_store
from tests.stores import sample_store
from twin import models
from twin.codes.schemes import BUILDING

WORKER = Path(__file__).with_name("issuing_worker.py")
PROCESSES, KEYS, CHUNK = 4, 400, 40

pytestmark = pytest.mark.postgis


def sequence_faults(engine: Engine) -> list[str]:
    """Building numbers skipped or repeated under a prefix, and counters not at the next one.

    Under each prefix the registry's numbers must run on without a hole from just above the
    highest number of the buildings already stored there, and the counter must stand at the
    next one: a counter behind would hand a number out again, one ahead skips numbers.
    """
    with engine.connect() as conn:
        issued = set(conn.execute(select(models.CodeRecord.code).where(
            models.CodeRecord.scheme == BUILDING.name)).scalars())
        stored = set(conn.execute(select(models.Building.code)).scalars())
        counters = dict(conn.execute(select(models.CodeSequence.prefix,
                                            models.CodeSequence.next_value).where(
            models.CodeSequence.scheme == BUILDING.name)).all())

    before = BUILDING.sequence_numbers(stored - issued, "building")
    faults = []
    for prefix, got in sorted(BUILDING.sequence_numbers(issued, "building").items()):
        first = max(before.get(prefix, [0])) + 1
        if sorted(got) != list(range(first, first + len(got))):
            faults.append(f"{prefix}: numbers {sorted(got)} do not run on from {first}")
        if counters.get(prefix) != first + len(got):
            faults.append(f"{prefix}: counter at {counters.get(prefix)}, next is "
                          f"{first + len(got)}")
    return faults


def test_concurrent_processes_never_duplicate_or_split_codes(tmp_path):
    with migrated_store("postgis", tmp_path) as engine:
        url = engine.url.render_as_string(hide_password=False)
        outs = [tmp_path / f"w{i}.json" for i in range(PROCESSES)]
        procs = [
            subprocess.Popen([sys.executable, str(WORKER), url, str(i), str(KEYS), str(CHUNK),
                              str(out)], stderr=subprocess.PIPE, text=True)
            for i, out in enumerate(outs)
        ]
        for p in procs:
            _, err = p.communicate(timeout=240)
            assert p.returncode == 0, err[-2000:]
        answers = [json.loads(out.read_text()) for out in outs]
        # every process saw every key, and all got the same code for it
        for a in answers:
            assert set(a) == {f"bld-{k}" for k in range(KEYS)}
            assert a == answers[0]
        with engine.connect() as conn:
            rows = conn.execute(select(models.CodeRecord.code, models.CodeRecord.natural_key))
            rows = list(rows)
        assert len(rows) == KEYS
        assert {key: code for code, key in rows} == answers[0]
        assert sequence_faults(engine) == []


def test_concurrent_batch_runs_store_each_building_once(tmp_path):
    """Three `twin code` runs on overlapping files at once: one building, one code each."""
    import pandas as pd
    import shapely

    from sample_data.messy_buildings import messy_registry
    from twin.registry_coding.matching import group_same_footprints

    with sample_store("postgis", tmp_path, b"sample") as engine:
        url = engine.url.render_as_string(hide_password=False)
        reg = messy_registry(engine, rows=90, seed=9)
        parts = []
        for p, keep in enumerate((slice(0, 66), slice(24, 90), slice(0, 90, 2))):
            path = tmp_path / f"in{p}.csv"
            reg.frame.iloc[keep].to_csv(path, index=False)
            parts.append(path)
        procs = [subprocess.Popen([sys.executable, "-m", "cli", "code", str(path), "-o",
                                   str(tmp_path / f"out{p}.csv"), "--chunk-size", "10",
                                   "--database-url", url], stderr=subprocess.PIPE, text=True)
                 for p, path in enumerate(parts)]
        for proc in procs:
            _, err = proc.communicate(timeout=240)
            assert proc.returncode in (0, 1), err[-2000:]  # 1: done, bad rows listed
        codes: dict[str, set[str]] = {}
        for p in range(3):
            out = pd.read_csv(tmp_path / f"out{p}.csv", dtype=str, keep_default_na=False)
            for row_id, code in zip(out["序号"], out["code"], strict=True):
                if code:
                    codes.setdefault(row_id, set()).add(code)
        assert all(len(c) == 1 for c in codes.values())
        with engine.connect() as conn:
            issued = list(conn.execute(select(models.CodeRecord.code)).scalars())
            made = conn.execute(select(models.Building.geom.ST_AsBinary()).where(
                models.Building.code.in_(issued))).scalars().all()
        footprints = shapely.from_wkb([bytes(g) for g in made])
        groups = group_same_footprints(footprints, np.arange(len(made)))
        assert len(set(groups.values())) == len(made) == len(issued)
        assert sequence_faults(engine) == []
