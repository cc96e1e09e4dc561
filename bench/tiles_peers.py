"""OGC API - Tiles side by side: cim-twin and tipg drawing MVT tiles of one building table.

    bench/peers/install.sh tipg                               # tipg's venv, once
    python bench/tiles_peers.py --database twin_city          # the city sample (1M buildings)
    python bench/tiles_peers.py --database twin_bench --buildings 1000000   # synthetic

Three servers over the same PostGIS `building` table, one uvicorn worker each: the twin
with its tile cache off (TWIN_TILE_CACHE_MB=0: every tile drawn, "cold"), the twin with
its cache on, and tipg 1.x. The tiles are drawn once from where buildings are (random
buildings' tiles at z12, z14, z16), so dense and sparse tiles come as the city has them.

For each zoom: every tile is fetched once from each server (the largest tile's bytes,
and whether any is over 300 KB), then wrk (-t2 -c8) rotates through the tiles for
`--duration` seconds: requests/s, p50, p99. The cached twin is measured after one pass
has filled its cache. Prints ours/tipg per zoom and the command that made the figures.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from features_data import ensure_database, existing_city, load_buildings  # noqa: E402
from features_peers import Figure, run_wrk  # noqa: E402
from peers.servers import Server, ensure_peers, start_tipg, start_twin  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402

from tiles.matrix import TileAddress, tiles_over  # noqa: E402
from twin.settings import StoreSettings  # noqa: E402
from twin.store import open_store  # noqa: E402

ZOOMS = (12, 14, 16)
TILES_PER_ZOOM = {12: 40, 14: 200, 16: 400}
LIMIT_BYTES = 300 * 1024


@dataclass
class Sizes:
    """What one pass over a zoom's tiles gave: the largest tile and how many were over."""

    largest: int
    over_limit: int
    empty: int


def draw_tiles(engine: Engine, zoom: int, count: int, seed: int) -> list[TileAddress]:
    """Distinct tiles at `zoom` holding random buildings (dense areas come up more often)."""
    with engine.connect() as conn:
        points = conn.execute(text(
            "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
            "FROM building TABLESAMPLE SYSTEM (1) REPEATABLE (:seed) LIMIT 5000"),
            {"seed": seed}).all()
    random.Random(seed).shuffle(points)
    found: dict[TileAddress, None] = {}
    for lon, lat in points:
        for tile in tiles_over("WebMercatorQuad", zoom, (lon, lat, lon, lat))[:1]:
            found.setdefault(tile)
        if len(found) >= count:
            break
    return list(found)


def twin_path(tile: TileAddress) -> str:
    return f"/collections/buildings/tiles/WebMercatorQuad/{tile.zoom}/{tile.row}/{tile.col}"


def tipg_path(tile: TileAddress) -> str:
    # tipg 1.x writes its tile route {z}/{x}/{y}: column before row.
    return (f"/collections/public.building/tiles/WebMercatorQuad/"
            f"{tile.zoom}/{tile.col}/{tile.row}")


def fetch(base: str, path: str) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    with urllib.request.urlopen(base + path, timeout=120) as r:  # noqa: S310 - loopback
        body = r.read()
        return r.status, body, time.perf_counter() - started


def one_pass(base: str, paths: list[str]) -> Sizes:
    sizes = []
    for path in paths:
        status, body, _ = fetch(base, path)
        assert status in (200, 204), (base, path, status)
        sizes.append(len(body))
    return Sizes(max(sizes), sum(s > LIMIT_BYTES for s in sizes), sum(s == 0 for s in sizes))


def wait_for_kept_boxes(server: Server, path: str, seconds: float) -> None:
    """The twin keeps the building boxes in memory, built in the background after the first
    tile (a 1M-row read): measure once they are there. The server does not say when, so the
    benchmark asks once and waits `seconds`."""
    fetch(server.base, path)
    time.sleep(seconds)


def prepare(args: argparse.Namespace) -> tuple[str, Engine]:
    url = ensure_database(args.database)
    engine = open_store(StoreSettings(database_url=url))
    if args.buildings:  # a database of our own (never twin_city, which is only read)
        from twin.store import migrate

        migrate(engine)
        if not existing_city(engine):
            load_buildings(engine, args.buildings, args.seed)
    return url, engine


def ratio(a: Figure, b: Figure) -> str:
    return f"{a.rps / b.rps:.2f}×" if b.rps else "—"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="twin_city")
    parser.add_argument("--buildings", type=int, default=0,
                        help="load this many synthetic buildings first if the table is empty")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per zoom")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--zooms", default="12,14,16", help="zooms to measure")
    parser.add_argument("--boxes-wait", type=float, default=40,
                        help="seconds to let the twin build its kept boxes before measuring")
    args = parser.parse_args()
    url, engine = prepare(args)
    ensure_peers("tipg")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM building")).scalar_one()
    zooms = [int(z) for z in args.zooms.split(",")]
    tiles = {z: draw_tiles(engine, z, TILES_PER_ZOOM.get(z, 200), args.seed) for z in zooms}
    print(f"# {rows:,} buildings in {args.database}; tiles per zoom: "
          + ", ".join(f"z{z} {len(t)}" for z, t in tiles.items())
          + f"; wrk -t2 -c{args.connections} -d{args.duration}s")
    os.environ["TWIN_ADDRESS_INDEX_AT_STARTUP"] = "false"  # tiles need no geocoder
    workdir = Path(tempfile.mkdtemp(prefix="tiles-peers-"))
    for sub in ("cold", "cached"):
        (workdir / sub).mkdir()
    servers: dict[str, Server] = {}
    try:
        os.environ["TWIN_TILE_CACHE_MB"] = "0"
        servers["cim-twin cold"] = start_twin(url, workdir / "cold", wait_for_index=False)
        os.environ["TWIN_TILE_CACHE_MB"] = "512"
        servers["cim-twin cached"] = start_twin(url, workdir / "cached", wait_for_index=False)
        servers["tipg"] = start_tipg(url, workdir)
        for name in ("cim-twin cold", "cim-twin cached"):
            wait_for_kept_boxes(servers[name], twin_path(tiles[12][0]), args.boxes_wait)
        results: dict[tuple[str, int], tuple[Figure, Sizes]] = {}
        for zoom in zooms:
            for name, server in servers.items():
                paths = [(tipg_path if name == "tipg" else twin_path)(t) for t in tiles[zoom]]
                sizes = one_pass(server.base, paths)  # also fills the cached twin's cache
                figure = run_wrk(server.base, paths, args.duration, args.connections, workdir)
                results[(name, zoom)] = (figure, sizes)
                if name == "cim-twin cached":  # two clients (wrk -t2 -c2): a cached tile unqueued
                    single = run_wrk(server.base, paths, max(2, args.duration // 2), 2, workdir)
                    results[("cim-twin cached, 2 clients", zoom)] = (single, sizes)
                    print(f"  z{zoom} {'  2 connections':16s} {single.rps:8.1f}/s  "
                          f"p50 {single.p50_ms:7.2f} ms  p99 {single.p99_ms:7.2f} ms")
                print(f"  z{zoom} {name:16s} {figure.rps:8.1f}/s  p50 {figure.p50_ms:7.1f} ms  "
                      f"p99 {figure.p99_ms:7.1f} ms  largest {sizes.largest / 1024:6.1f} KB  "
                      f"over 300 KB {sizes.over_limit}  empty {sizes.empty}  "
                      f"errors {figure.errors}", flush=True)
    finally:
        for server in servers.values():
            server.stop()
    print("\n| zoom | cim-twin cold | tipg | cold ours/tipg | largest tile ours / tipg "
          "| cim-twin cached |")
    print("|---|---|---|---|---|---|")
    for zoom in zooms:
        (cold, cold_sizes), (peer, peer_sizes) = results[("cim-twin cold", zoom)], \
            results[("tipg", zoom)]
        cached, _ = results[("cim-twin cached", zoom)]
        single, _ = results[("cim-twin cached, 2 clients", zoom)]
        print(f"| z{zoom} | {cold.rps:.1f}/s, p50 {cold.p50_ms:.1f} ms, p99 {cold.p99_ms:.1f} ms "
              f"| {peer.rps:.1f}/s, p50 {peer.p50_ms:.1f} ms, p99 {peer.p99_ms:.1f} ms "
              f"| **{ratio(cold, peer)}** | {cold_sizes.largest / 1024:.0f} KB / "
              f"{peer_sizes.largest / 1024:.0f} KB "
              f"| {cached.rps:.0f}/s, p50 {cached.p50_ms:.2f} ms; two clients p50 "
              f"{single.p50_ms:.2f} ms |")
    print(f"\ncommand: python bench/tiles_peers.py {' '.join(sys.argv[1:])}")


if __name__ == "__main__":
    main()
