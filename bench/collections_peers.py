"""The documents every client asks for first, side by side: `/collections` and one collection.

cim-twin and tipg each run as one server process over the same PostGIS store; wrk
(8 connections) asks each for `/collections` and for the building collection in turn.
The twin's answer is checked first: its building count must equal `count(*)` of the
table (the document says it is exact). tipg reads its catalog once at start; the twin
keeps counts and extents per layer change version (twin/catalog.py).

    bench/peers/install.sh tipg
    python bench/collections_peers.py --database twin_city --reuse
    python bench/collections_peers.py --buildings 200000      # synthetic buildings in twin_bench

Prints requests/s, p50 and p99 per server and document, and ours/tipg. With
`--write-every S` a writer adds and removes a building through the store every S seconds
during the twin's runs, so the twin recounts as it would under edits.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from features_peers import Figure, prepare, ratio, run_wrk  # noqa: E402
from peers.servers import Server, ensure_peers, start_tipg, start_twin  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402

DOCUMENTS = ("/collections", "one collection")
NO_INDEX = {"TWIN_ADDRESS_INDEX_AT_STARTUP": "false"}  # the geocoder is not measured here


def paths_for(server: Server, document: str) -> list[str]:
    """The request for `document` on `server`."""
    return ["/collections" if document == "/collections" else f"/collections/{server.collection}"]


def get_json(url: str) -> dict:
    """GET a JSON document."""
    with urllib.request.urlopen(url, timeout=120) as r:  # noqa: S310 - loopback
        return json.load(r)


def check_twin(server: Server, engine: Engine) -> int:
    """The twin's building count must be the table's; returns it."""
    with engine.connect() as conn:
        truth = int(conn.execute(text("SELECT count(*) FROM building")).scalar_one())
    listed = {c["id"]: c for c in get_json(f"{server.base}/collections")["collections"]}
    one = get_json(f"{server.base}/collections/buildings")
    for doc in (listed["buildings"], one):
        if doc["numberOfFeatures"] != truth:
            raise SystemExit(f"twin says {doc['numberOfFeatures']} buildings, the store {truth}")
    return truth


class Writer(threading.Thread):
    """Adds a building and takes it away again every `every` seconds, through the store."""

    def __init__(self, engine: Engine, every: float) -> None:
        super().__init__(daemon=True)
        self.engine, self.every, self.writes = engine, every, 0
        self.done = threading.Event()

    def run(self) -> None:
        """Write until told to stop."""
        copy = ("INSERT INTO building (code, name, township_code, geom) SELECT "
                "'BENCH' || code, name, township_code, geom FROM building LIMIT 1")
        while not self.done.wait(self.every):
            with self.engine.begin() as conn:
                if self.writes % 2 == 0:
                    conn.execute(text(copy))
                else:
                    conn.execute(text("DELETE FROM building WHERE code LIKE 'BENCH%'"))
            self.writes += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="twin_bench")
    parser.add_argument("--buildings", type=int, default=1_000_000)
    parser.add_argument("--sample", choices=("small", "city"), default=None)
    parser.add_argument("--reuse", action="store_true", help="keep what is loaded")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per document")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--write-every", type=float, default=0.0,
                        help="seconds between writes during the twin's runs (0: none)")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    ensure_peers("tipg")
    url, engine = prepare(args)
    workdir = Path(tempfile.mkdtemp(prefix="collections-peers-"))
    results: dict[tuple[str, str], Figure] = {}
    servers: dict[str, Server] = {}
    try:
        servers["cim-twin"] = start_twin(url, workdir, wait_for_index=False, env_extra=NO_INDEX)
        servers["tipg"] = start_tipg(url, workdir)
        started = time.perf_counter()
        truth = check_twin(servers["cim-twin"], engine)
        print(f"# {truth:,} buildings in {engine.url.database}; the twin's first answer took "
              f"{time.perf_counter() - started:.2f} s (counted once); wrk -t2 "
              f"-c{args.connections} -d{args.duration}s, one server process each")
        for document in DOCUMENTS:
            for name, server in servers.items():
                paths = paths_for(server, document)
                writer = None
                if name == "cim-twin" and args.write_every > 0:
                    writer = Writer(engine, args.write_every)
                    writer.start()
                run_wrk(server.base, paths, max(2, args.duration // 5), args.connections,
                        workdir)
                results[(name, document)] = run_wrk(server.base, paths, args.duration,
                                                    args.connections, workdir)
                note = ""
                if writer is not None:
                    writer.done.set()
                    writer.join()
                    note = f"  ({writer.writes} writes during the run)"
                print(f"  {name:9} {document:16} {results[(name, document)].cell()}{note}",
                      flush=True)
        check_twin(servers["cim-twin"], engine)
    finally:
        for server in servers.values():
            server.stop()
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM building WHERE code LIKE 'BENCH%'"))
        engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print("| document | cim-twin req/s · p50 · p99 | tipg req/s · p50 · p99 | ours/tipg |")
    print("|---|---|---|---|")
    for document in DOCUMENTS:
        ours, theirs = results[("cim-twin", document)], results[("tipg", document)]
        print(f"| {document} | {ours.cell()} | {theirs.cell()} | {ratio(ours, theirs)} |")
    print(f"\ncommand: python bench/collections_peers.py {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
