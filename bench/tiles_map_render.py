"""How long the map's first full render takes in headless chromium, on the small sample.

    python bench/tiles_map_render.py                 # SpatiaLite sample in a temp dir
    python bench/tiles_map_render.py --runs 5

Starts the twin (uvicorn, one worker) over a fresh SpatiaLite store holding the small
sample city, opens /map in Debian's chromium (offline, SwiftShader WebGL, 1280×800) and
reads `window.twinFirstRender`: milliseconds from navigation start to MapLibre's first
`idle` (style, every visible tile loaded and drawn). A fresh browser each run, so no
browser cache; the server's tile cache is warm after the first run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sample_data  # noqa: E402
from tests.clients.browser import offline_chromium  # noqa: E402
from tests.clients.servers import start_twin, stop  # noqa: E402
from twin.settings import StoreSettings  # noqa: E402
from twin.store import migrate, open_store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="map-render-"))
    url = f"sqlite:///{workdir / 'twin.db'}"
    engine = open_store(StoreSettings(database_url=url))
    migrate(engine)
    sample_data.load(engine, "small")
    server = start_twin(url, workdir)
    times = []
    try:
        for _ in range(args.runs):
            with offline_chromium() as driver:
                driver.get(f"{server.url}/map")
                deadline = time.monotonic() + 120
                value = None
                while value is None and time.monotonic() < deadline:
                    value = driver.execute_script("return window.twinFirstRender || null")
                    time.sleep(0.1)
                assert value is not None, "the map never finished its first render"
                times.append(float(value))
                print(f"  first full render {value:,.0f} ms", flush=True)
    finally:
        stop(server.process)
    print(f"median {statistics.median(times):,.0f} ms, best {min(times):,.0f} ms "
          f"over {len(times)} runs")
    print(f"command: python bench/tiles_map_render.py {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
