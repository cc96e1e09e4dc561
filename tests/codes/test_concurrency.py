"""Several processes issue codes for overlapping keys on PostGIS at once: no duplicates."""

import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.codes.conftest import drop_postgis_db, make_postgis_db
from twin import models
from twin.codes.schemes import BUILDING
from twin.settings import StoreSettings
from twin.store import migrate, open_store

WORKER = Path(__file__).with_name("issuing_worker.py")
PROCESSES, KEYS, CHUNK = 6, 600, 40

pytestmark = pytest.mark.postgis


def test_concurrent_processes_never_duplicate_or_split_codes(tmp_path):
    url, admin = make_postgis_db()
    try:
        engine = open_store(StoreSettings(database_url=url))
        migrate(engine)
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
        assert max(Counter(code for code, _ in rows).values()) == 1
        assert max(Counter(key for _, key in rows).values()) == 1
        assert {key: code for code, key in rows} == answers[0]
        # counters are dense: no number was skipped under any prefix
        per_prefix = defaultdict(list)
        for code, _ in rows:
            v = BUILDING.parse(code).values()
            per_prefix[(v["township"], v["year"])].append(v["building"])
        for numbers in per_prefix.values():
            assert sorted(numbers) == list(range(1, len(numbers) + 1))
        engine.dispose()
    finally:
        drop_postgis_db(url, admin)
