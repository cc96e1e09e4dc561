"""One process of the concurrency test: issue codes for overlapping keys, write key → code.

Usage: python issuing_worker.py DATABASE_URL SEED KEYS CHUNK OUT.json
"""

from __future__ import annotations

import json
import random
import sys

from twin.codes.registry import CodeRequest, issue_many
from twin.settings import StoreSettings
from twin.store import open_store

TOWNSHIPS = ("440305001", "440305002", "440305003")
YEARS = (1990, 2005, 2020)


def request_for(key: int) -> CodeRequest:
    """Key k always lands under the same prefix, as a real building would."""
    return CodeRequest("building", f"bld-{key}", {
        "township": TOWNSHIPS[key % 3], "year": YEARS[(key // 3) % 3], "household": 0})


def main() -> None:
    url, seed, n_keys, chunk, out = sys.argv[1:6]
    rng = random.Random(int(seed))
    keys = list(range(int(n_keys)))
    rng.shuffle(keys)
    engine = open_store(StoreSettings(database_url=url))
    got: dict[str, str] = {}
    size = int(chunk)
    for i in range(0, len(keys), size):
        with engine.begin() as conn:
            for issued in issue_many(conn, [request_for(k) for k in keys[i : i + size]]):
                got[issued.natural_key] = issued.code
    engine.dispose()
    with open(out, "w", encoding="utf-8") as f:
        json.dump(got, f)


if __name__ == "__main__":
    main()
