"""The twin's own CPU time per request under wrk load: a figure a busy machine barely moves.

    python bench/peers/cpu_per_request.py item bbox first [--database-url URL] [--seconds 10]

Requests per second fall when other work shares the cores; the CPU the server process
spends on each request does not, or much less. So to tell whether a change made a route
slower, run this on both commits over the same table (features_data.py's buildings in
twin_bench) and compare the microseconds: the server's user+system CPU time during a wrk
run, divided by the requests wrk completed. PostgreSQL's own time is not in it.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from peers.profile_twin import paths  # noqa: E402
from peers.servers import start_twin  # noqa: E402

TICKS = 100  # os.sysconf("SC_CLK_TCK") on Linux


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def requests_done(wrk_out: str) -> int:
    """The request count wrk printed ("12345 requests in 10.00s")."""
    found = re.search(r"(\d+) requests in", wrk_out)
    if found is None:
        raise SystemExit(f"wrk printed no request count:\n{wrk_out}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kinds", nargs="+", choices=("item", "bbox", "first", "tile", "twin-tile"))
    parser.add_argument("--database-url",
                        default="postgresql+psycopg://postgres@127.0.0.1/twin_bench")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="runs per kind; the median")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cpu-per-request-"))
    server = start_twin(args.database_url, work)
    try:
        for kind in args.kinds:
            lua = work / f"{kind}.lua"
            quoted = ",".join(f'"{p}"' for p in paths(args.database_url, kind))
            lua.write_text(f"local paths = {{{quoted}}}\nlocal i = 0\nrequest = function()\n"
                           "  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n")
            wrk = ["wrk", "-t2", "-c8", "-s", str(lua), server.base]
            subprocess.run([*wrk, "-d3s"], capture_output=True, check=True)  # warm up
            per_request = []
            for _ in range(args.rounds):
                before = cpu_seconds(server.process.pid)
                out = subprocess.run([*wrk, f"-d{args.seconds}s"], capture_output=True,
                                     text=True, check=True).stdout
                spent = cpu_seconds(server.process.pid) - before
                per_request.append(1e6 * spent / requests_done(out))
            per_request.sort()
            runs = ", ".join(f"{v:.0f}" for v in per_request)
            median = per_request[len(per_request) // 2]
            print(f"{kind:6} server CPU per request: median {median:.0f} µs (runs: {runs})")
    finally:
        server.stop()
    print(f"\ncommand: python bench/peers/cpu_per_request.py {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
