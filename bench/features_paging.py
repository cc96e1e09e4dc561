"""Deep paging: does page N cost what page 1 costs? Keyset cursors against OFFSET.

Follows the service's own `next` links (keyset on id) over HTTP deep into a layer, and
times the same pages asked by OFFSET in SQL, on an existing store (e.g. the database
bench/features_data.py filled):

    python bench/features_paging.py --database-url postgresql+psycopg://postgres@127.0.0.1/twin_bench

Prints median milliseconds per page at each depth, for both ways, and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from api import create_app  # noqa: E402
from twin.settings import Settings  # noqa: E402


def timed(call, repeat: int) -> float:
    """Median milliseconds of `call` over `repeat` runs."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--layer", default="buildings")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--depths", default="1,10,100,1000,5000")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    depths = sorted(int(d) for d in args.depths.split(","))
    settings = Settings.from_env(database_url=args.database_url)
    app = create_app(settings)
    with TestClient(app) as client:
        engine = app.state.engine
        table = client.get(f"/collections/{args.layer}").json()["id"]
        url = f"/collections/{table}/items?limit={args.limit}"
        links: dict[int, str] = {}
        page, here = 1, url
        while page <= depths[-1]:
            if page in depths:
                links[page] = here
            body = client.get(here).json()
            nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
            if not nxt:
                break
            here = nxt[0].split("testserver", 1)[1]
            page += 1
        print(f"{args.layer}: pages of {args.limit}, median of {args.repeat} "
              f"({engine.dialect.name})")
        print(f"{'page':>6} {'keyset HTTP ms':>15} {'OFFSET SQL ms':>14} {'keyset SQL ms':>14}")
        sql_table = {"buildings": "building", "houses": "house", "addresses": "address"}.get(
            args.layer, args.layer)
        for depth, link in sorted(links.items()):
            http_ms = timed(lambda link=link: client.get(link).raise_for_status(), args.repeat)
            offset = (depth - 1) * args.limit
            with engine.connect() as conn:
                after = conn.execute(text(
                    f"SELECT id FROM {sql_table} ORDER BY id LIMIT 1 OFFSET :o"  # noqa: S608
                ), {"o": max(offset - 1, 0)}).scalar() if offset else 0
                by_offset = timed(lambda conn=conn, offset=offset: conn.execute(text(
                    f"SELECT id, ST_AsGeoJSON(geom) FROM {sql_table} ORDER BY id "  # noqa: S608
                    "LIMIT :n OFFSET :o"), {"n": args.limit + 1, "o": offset}).all(),
                    args.repeat)
                by_key = timed(lambda conn=conn, after=after: conn.execute(text(
                    f"SELECT id, ST_AsGeoJSON(geom) FROM {sql_table} WHERE id > :a "  # noqa: S608
                    "ORDER BY id LIMIT :n"), {"n": args.limit + 1, "a": after}).all(),
                    args.repeat)
            print(f"{depth:>6} {http_ms:>15.1f} {by_offset:>14.1f} {by_key:>14.1f}")
    print("command: python bench/features_paging.py " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
