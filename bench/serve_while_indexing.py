"""How the twin answers Features requests while it builds its geocoder's index at start.

    python bench/serve_while_indexing.py --database twin_city [--every 0.5]

Starts the twin (one uvicorn worker) on a store holding an address base (the `city`
sample: 16.7M addresses, loaded by `bench/sample_city.py`), and from the moment it answers
until the index is ready asks for one building by id every `--every` seconds. Prints the
latency distribution of those requests and how long the build took. The build runs in a
thread of the server process; it must not starve the requests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peers.servers import index_status, start_twin  # noqa: E402
from sqlalchemy import text  # noqa: E402

from twin.settings import StoreSettings  # noqa: E402
from twin.store import open_store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="twin_city")
    parser.add_argument("--every", type=float, default=0.5)
    args = parser.parse_args()
    url = f"postgresql+psycopg://postgres@127.0.0.1/{args.database}"
    engine = open_store(StoreSettings(database_url=url))
    with engine.connect() as conn:
        codes = conn.execute(text("SELECT code FROM building TABLESAMPLE SYSTEM (1) LIMIT 200")
                             ).scalars().all()
        addresses = conn.execute(text("SELECT count(*) FROM address")).scalar_one()
    engine.dispose()
    server = start_twin(url, Path(tempfile.mkdtemp(prefix="serve-indexing-")),
                        wait_for_index=False)
    latencies: list[float] = []
    try:
        while True:
            started = time.perf_counter()
            code = codes[len(latencies) % len(codes)]
            with urllib.request.urlopen(  # noqa: S310 - loopback
                    f"{server.base}/collections/buildings/items/{code}", timeout=120) as r:
                r.read()
            latencies.append(time.perf_counter() - started)
            status = index_status(server.base)
            if status["state"] != "building":
                break
            time.sleep(args.every)
    finally:
        server.stop()
    latencies.sort()
    ms = [x * 1000 for x in latencies]
    print(f"command: python {' '.join(sys.argv)}")
    print(f"store {args.database}: {addresses:,} addresses; index {status['state']} with "
          f"{status['nodes']:,} nodes, built in {status['seconds']:.0f} s")
    print(f"item by id during the build: {len(ms)} requests, median {statistics.median(ms):.1f} "
          f"ms, p90 {ms[int(0.9 * (len(ms) - 1))]:.1f} ms, max {ms[-1]:.1f} ms")


if __name__ == "__main__":
    main()
