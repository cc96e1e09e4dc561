"""OGC API - Features side by side: cim-twin, tipg and pygeoapi on one PostGIS table, and the SQL.

Each server runs as one process over the same `building` table; wrk (8 connections,
bounded duration) drives four queries at each in turn; pgbench runs the same answers
built entirely in SQL (GeoJSON from json_build_object) as the floor nothing can beat.

    bench/peers/install.sh                                  # peers' venvs, once
    python bench/features_peers.py --buildings 1000000      # synthetic buildings
    python bench/features_peers.py --sample city            # the sample city (slow load)
    python bench/features_peers.py --reuse --duration 10    # keep what is loaded

Prints requests/s, p50 and p99 per server and query, and the ratios ours/tipg,
ours/pygeoapi and ours/SQL.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from features_data import (  # noqa: E402
    CITY_BOX,
    ensure_database,
    existing_city,
    load_buildings,
)
from peers.servers import STARTERS, Server, ensure_peers  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from twin.settings import StoreSettings  # noqa: E402
from twin.store import migrate, open_store  # noqa: E402

SQL_UNCOUNTED = "SQL, no count"
QUERIES = ("bbox page of 100", "item by id", "first page of 1,000", "CQL2 filter, page of 100")
PROPS = ("code", "name", "floors", "height", "use", "year_built", "status", "address_code",
         "township_code", "community_code", "grid_code", "beidou_code", "version")


@dataclass(frozen=True)
class Workload:
    """The concrete requests: bboxes, ids and the filter, drawn once for every target."""

    bboxes: list[tuple[float, float, float, float]]
    bbox_matches: list[int]
    codes: list[str]
    ids: list[int]
    floors: int
    use: str
    year: int
    filter_matches: int
    total: int

    @property
    def cql(self) -> str:
        """The CQL2 text filter."""
        return f"floors >= {self.floors} AND use = '{self.use}' AND year_built >= {self.year}"


@dataclass(frozen=True)
class Figure:
    """What one run measured."""

    rps: float
    p50_ms: float
    p99_ms: float
    errors: int = 0

    def cell(self) -> str:
        """`req/s · p50 · p99` for the table."""
        flag = f" ({self.errors} errors)" if self.errors else ""
        return f"{self.rps:8.1f}/s {self.p50_ms:7.1f} {self.p99_ms:7.1f} ms{flag}"


# -- the workload ----------------------------------------------------------------------

def draw_workload(engine: Engine, matches: int, seed: int) -> Workload:
    """Bboxes holding about `matches` buildings, random ids, a selective CQL2 filter."""
    rng = random.Random(seed)
    x0, y0, x1, y1 = CITY_BOX
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM building")).scalar_one()
        side = min(1.0, (matches / total) ** 0.5)
        bboxes, counts = [], []
        for _ in range(16):
            ox = x0 + rng.uniform(0.05, 0.95 - side) * (x1 - x0)
            oy = y0 + rng.uniform(0.05, 0.95 - side) * (y1 - y0)
            box = (round(ox, 6), round(oy, 6),
                   round(ox + side * (x1 - x0), 6), round(oy + side * (y1 - y0), 6))
            bboxes.append(box)
            counts.append(conn.execute(text(
                "SELECT count(*) FROM building WHERE ST_Intersects(geom, "
                "ST_MakeEnvelope(:a, :b, :c, :d, 4490))"),
                dict(zip("abcd", box, strict=True))).scalar_one())
        picks = conn.execute(text(
            "SELECT id, code FROM building TABLESAMPLE SYSTEM (1) LIMIT 2000")).all()
        rng.shuffle(picks)
        picks = picks[:500]
        # A filter over three attributes that matches about as many buildings as a bbox.
        floors = conn.execute(text(
            "SELECT percentile_disc(0.8) WITHIN GROUP (ORDER BY floors) FROM building")
        ).scalar_one()
        use = conn.execute(text(
            "SELECT use FROM building WHERE floors >= :f GROUP BY use ORDER BY count(*) DESC "
            "LIMIT 1"), {"f": floors}).scalar_one()
        share = conn.execute(text(
            "SELECT count(*) FROM building WHERE floors >= :f AND use = :u"),
            {"f": floors, "u": use}).scalar_one()
        year = conn.execute(text(
            "SELECT percentile_disc(:p) WITHIN GROUP (ORDER BY year_built) FROM building "
            "WHERE floors >= :f AND use = :u"),
            {"p": max(0.0, 1 - matches / max(share, 1)), "f": floors, "u": use}).scalar_one()
        filter_matches = conn.execute(text(
            "SELECT count(*) FROM building WHERE floors >= :f AND use = :u AND year_built >= :y"),
            {"f": floors, "u": use, "y": year}).scalar_one()
    return Workload(bboxes, counts, [c for _, c in picks], [i for i, _ in picks], floors, use,
                    year, filter_matches, total)


def paths_for(server: Server, query: str, w: Workload) -> list[str]:
    """The request paths (with query strings) of one benchmark query for one server."""
    items = f"/collections/{server.collection}/items"

    def url(path: str, **params: object) -> str:
        merged = {**server.extra, **{k: str(v) for k, v in params.items()}}
        return f"{path}?{urlencode(merged)}" if merged else path

    if query == QUERIES[0]:
        return [url(items, bbox=",".join(map(str, b)), limit=100, **server.bbox_extra)
                for b in w.bboxes]
    if query == QUERIES[1]:
        return [url(f"{items}/{code}") for code in w.codes]
    if query == QUERIES[2]:
        return [url(items, limit=1000)]
    return [url(items, filter=w.cql, limit=100, **server.filter_extra)]


# -- wrk -------------------------------------------------------------------------------

WRK_SCRIPT = """
local paths = {%s}
local i = math.random(#paths)
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def run_wrk(base: str, paths: list[str], duration: int, connections: int, workdir: Path
            ) -> Figure:
    """wrk over the paths in turn; requests/s, p50, p99 and non-2xx count."""
    script = workdir / "paths.lua"
    lua_paths = ", ".join('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"' for p in paths)
    script.write_text(WRK_SCRIPT % lua_paths)
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--timeout", "60s",
         "--latency", "-s", str(script), base],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    p50, p99 = (re.match(r"([\d.]+)(\w+)", lat[k]).groups() for k in ("50", "99"))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    n_err = (int(errors.group(1)) if errors else 0) + (int(timeouts.group(1)) if timeouts else 0)
    return Figure(rps, _ms(*p50), _ms(*p99), n_err)


def check_answers(server: Server, w: Workload) -> dict[str, bool]:
    """Each server must answer each query with what the store holds, or the figure is void.

    Returns, per query, whether the server gave numberMatched (it may leave it out).
    """
    import json
    import urllib.request

    def get(path: str) -> dict:
        with urllib.request.urlopen(server.base + path, timeout=120) as r:  # noqa: S310
            return json.loads(r.read())

    counted = {}
    page = get(paths_for(server, QUERIES[0], w)[0])
    assert page.get("numberMatched", w.bbox_matches[0]) == w.bbox_matches[0], (
        server.name, page.get("numberMatched"), w.bbox_matches[0])
    assert len(page["features"]) == min(100, w.bbox_matches[0]), server.name
    counted[QUERIES[0]] = "numberMatched" in page
    item = get(paths_for(server, QUERIES[1], w)[0])
    assert item["id"] == w.codes[0], (server.name, item.get("id"))
    page = get(paths_for(server, QUERIES[2], w)[0])
    assert len(page["features"]) == 1000, server.name
    assert page.get("numberMatched", w.total) == w.total, (server.name, page.get("numberMatched"))
    counted[QUERIES[2]] = "numberMatched" in page
    page = get(paths_for(server, QUERIES[3], w)[0])
    assert page.get("numberMatched", w.filter_matches) == w.filter_matches, (
        server.name, page.get("numberMatched"), w.filter_matches)
    assert len(page["features"]) == min(100, w.filter_matches), server.name
    counted[QUERIES[3]] = "numberMatched" in page
    return counted


def gives_count(server: Server, path: str) -> bool:
    """Whether the server's answer to `path` carries numberMatched (it may be budgeted)."""
    import json
    import urllib.request

    with urllib.request.urlopen(server.base + path, timeout=120) as r:  # noqa: S310
        return "numberMatched" in json.loads(r.read())


# -- pgbench: the answers built in SQL alone -----------------------------------------------

FEATURE_SQL = (
    "json_build_object('type', 'Feature', 'id', t.code, 'geometry', "
    "ST_AsGeoJSON(t.geom, 9)::json, 'properties', json_build_object({props}))"
).format(props=", ".join(f"'{p}', t.{p}" for p in PROPS))

PAGE_SQL = """
WITH m AS MATERIALIZED (SELECT id FROM building WHERE {where})
SELECT json_build_object(
  'type', 'FeatureCollection',
  'numberMatched', (SELECT count(*) FROM m),
  'features', (SELECT coalesce(json_agg({feature} ORDER BY t.id), '[]')
               FROM (SELECT b.* FROM building b JOIN (SELECT id FROM m ORDER BY id LIMIT {limit})
                     p USING (id)) t)
)::text;
"""

# The same page without numberMatched, for a server that leaves the count out.
UNCOUNTED_PAGE_SQL = """
SELECT json_build_object(
  'type', 'FeatureCollection',
  'features', (SELECT coalesce(json_agg({feature} ORDER BY t.id), '[]')
               FROM (SELECT * FROM building WHERE {where} ORDER BY id LIMIT {limit}) t)
)::text;
"""

FIRST_PAGE_SQL = """
SELECT json_build_object(
  'type', 'FeatureCollection',
  'numberMatched', (SELECT count(*) FROM building),
  'features', (SELECT json_agg({feature} ORDER BY t.id)
               FROM (SELECT * FROM building ORDER BY id LIMIT 1000) t)
)::text;
"""

ITEM_SQL = """
\\set n random(0, {last})
SELECT {feature}::text FROM building t WHERE t.id = (ARRAY[{ids}])[:n + 1];
"""


def sql_scripts(query: str, w: Workload, workdir: Path, counted: bool = True) -> list[Path]:
    """pgbench script files (one per bbox for the bbox query) for one query.

    `counted=False` leaves numberMatched out of the filter page, as the twin does when a
    count would read the whole table, so both build the same answer.
    """
    if query == QUERIES[0]:
        bodies = [PAGE_SQL.format(
            where=f"geom && ST_MakeEnvelope({a}, {b}, {c}, {d}, 4490) AND "
                  f"ST_Intersects(geom, ST_MakeEnvelope({a}, {b}, {c}, {d}, 4490))",
            feature=FEATURE_SQL, limit=100) for a, b, c, d in w.bboxes]
    elif query == QUERIES[1]:
        bodies = [ITEM_SQL.format(last=len(w.ids) - 1, ids=",".join(map(str, w.ids)),
                                  feature=FEATURE_SQL)]
    elif query == QUERIES[2]:
        bodies = [FIRST_PAGE_SQL.format(feature=FEATURE_SQL)]
    else:
        template = PAGE_SQL if counted else UNCOUNTED_PAGE_SQL
        bodies = [template.format(where=w.cql, feature=FEATURE_SQL, limit=100)]
    files = []
    for n, body in enumerate(bodies):
        path = workdir / f"q{QUERIES.index(query)}_{n}.sql"
        path.write_text(body)
        files.append(path)
    return files


def run_pgbench(database_url: str, scripts: list[Path], duration: int, clients: int,
                workdir: Path) -> Figure:
    """pgbench over the scripts (picked at random), latencies from its per-transaction log."""
    url = make_url(database_url)
    logdir = Path(tempfile.mkdtemp(dir=workdir))
    cmd = ["pgbench", "-n", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432),
           "-U", url.username or "postgres", "-c", str(clients), "-j", "2",
           "-T", str(duration), "-l", "--log-prefix", str(logdir / "tx")]
    for script in scripts:
        cmd += ["-f", str(script)]
    out = subprocess.run(cmd + [url.database or ""], capture_output=True, text=True,
                         check=True).stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latencies = []
    for log in logdir.glob("tx*"):
        for line in log.read_text().splitlines():
            latencies.append(int(line.split()[2]) / 1000)
    latencies.sort()
    shutil.rmtree(logdir)
    return Figure(tps, statistics.median(latencies), latencies[int(0.99 * (len(latencies) - 1))])


# -- the run -------------------------------------------------------------------------------

def prepare(args: argparse.Namespace) -> tuple[str, Engine]:
    url = ensure_database(args.database)
    engine = open_store(StoreSettings(database_url=url))
    migrate(engine)
    if args.reuse and existing_city(engine):
        return url, engine
    started = time.perf_counter()
    if args.sample:
        import sample_data

        sample_data.load(engine, args.sample, replace=True)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        load_buildings(engine, args.buildings, args.seed)
    print(f"# loaded in {time.perf_counter() - started:.0f} s")
    return url, engine


def ratio(a: Figure | None, b: Figure | None) -> str:
    if a is None or b is None or not b.rps:
        return "—"
    return f"{a.rps / b.rps:.2f}×"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="twin_bench")
    parser.add_argument("--buildings", type=int, default=1_000_000)
    parser.add_argument("--sample", choices=("small", "city"), default=None,
                        help="load the sample city instead of synthetic buildings")
    parser.add_argument("--reuse", action="store_true", help="keep the buildings already loaded")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per query")
    parser.add_argument("--slow-duration", type=int, default=30,
                        help="seconds of wrk per query for pygeoapi (seconds per request)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--bbox-matches", type=int, default=7700)
    parser.add_argument("--servers", default="cim-twin,tipg,pygeoapi")
    parser.add_argument("--queries", default="0,1,2,3", help="indexes into the query list")
    parser.add_argument("--no-sql", action="store_true")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    names = [n for n in args.servers.split(",") if n]
    queries = [QUERIES[int(i)] for i in args.queries.split(",")]
    ensure_peers(*[n for n in names if n != "cim-twin"])
    url, engine = prepare(args)
    w = draw_workload(engine, args.bbox_matches, args.seed)
    engine.dispose()
    print(f"# {w.total:,} buildings (EPSG:4490 MultiPolygons) in {make_url(url).database}; "
          f"bbox pages match {min(w.bbox_matches):,}–{max(w.bbox_matches):,} "
          f"(median {statistics.median(w.bbox_matches):,.0f}); filter `{w.cql}` matches "
          f"{w.filter_matches:,}; wrk -t2 -c{args.connections} -d{args.duration}s, "
          f"one server process each")
    results: dict[tuple[str, str], Figure] = {}
    workdir = Path(tempfile.mkdtemp(prefix="features-peers-"))
    servers: dict[str, Server] = {}
    # Whether each server's page still carried numberMatched right after its load: the
    # twin leaves out a count that outruns its budget, so a ratio is like for like only
    # where both sides counted (or neither did).
    counted: dict[tuple[str, str], bool] = {}
    try:
        for name in names:  # all up at once; each idles while the others are measured
            servers[name] = STARTERS[name](url, workdir)
            quiet = check_answers(servers[name], w)
            print(f"# {name}: answers checked; numberMatched given (no load) for "
                  f"{', '.join(q for q, c in quiet.items() if c) or 'none'}")
        # Query by query, server after server, so a change in the machine's load (other
        # work on a shared box) hits every column of a row alike.
        for query in queries:
            for name, server in servers.items():
                duration = args.slow_duration if name == "pygeoapi" else args.duration
                paths = paths_for(server, query, w)
                run_wrk(server.base, paths, max(2, duration // 5), args.connections, workdir)
                results[(name, query)] = run_wrk(server.base, paths, duration,
                                                 args.connections, workdir)
                note = ""
                if query != QUERIES[1]:  # a page: did it still count, right after the load?
                    counted[(name, query)] = gives_count(server, paths[0])
                    note = "  numberMatched " + ("yes" if counted[(name, query)] else "NO")
                print(f"  {name:9} {query:26} {results[(name, query)].cell()}  "
                      f"load {os.getloadavg()[0]:.1f}{note}", flush=True)
            if not args.no_sql:
                # The SQL counts like tipg and pygeoapi; where the twin did not count, the
                # same answer without the count is run too, the twin's like-for-like floor.
                modes = [("SQL", True)]
                if not counted.get(("cim-twin", query), True):
                    modes.append((SQL_UNCOUNTED, False))
                for column, with_count in modes:
                    scripts = sql_scripts(query, w, workdir, with_count)
                    results[(column, query)] = run_pgbench(url, scripts, args.duration,
                                                           args.connections, workdir)
                    print(f"  {column:9} {query:26} {results[(column, query)].cell()}  "
                          f"load {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    columns = [*names, *([] if args.no_sql else ["SQL"])]
    if any(c == SQL_UNCOUNTED for c, _ in results):
        columns.append(SQL_UNCOUNTED)
    print()
    print("| query | " + " | ".join(f"{c} req/s · p50 · p99" for c in columns)
          + " | ours/tipg | ours/pygeoapi | ours/SQL |")
    print("|---" * (len(columns) + 4) + "|")
    for query in queries:
        cells = [results[(c, query)].cell() if (c, query) in results else "—" for c in columns]
        ours = results.get(("cim-twin", query))
        ours_counted = counted.get(("cim-twin", query), True)
        ratios = []
        for peer in ("tipg", "pygeoapi", "SQL"):
            if peer == "SQL" and not ours_counted:
                ratios.append(ratio(ours, results.get((SQL_UNCOUNTED, query)))
                              + " (neither counts)")
            elif counted.get((peer, query), True) != ours_counted:
                ratios.append(f"not like for like ({ratio(ours, results.get((peer, query)))}"
                              f" with only {peer} counting)")
            else:
                ratios.append(ratio(ours, results.get((peer, query))))
        print(f"| {query} | " + " | ".join(cells + ratios) + " |")
    uncounted = [q for (n, q), c in counted.items() if n == "cim-twin" and not c]
    if uncounted:
        print(f"\nno numberMatched from cim-twin under load for: {', '.join(uncounted)}; "
              "its ratios to peers that count are not like for like; the like-for-like "
              f"one is against {SQL_UNCOUNTED!r} (the same answer without the count)")
    print(f"\ncommand: python bench/features_peers.py {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
