"""GDAL's OAPIF driver (Debian gdal-bin's ogrinfo/ogr2ogr) reads, pages and filters the twin.

Each test drives the real command line against the uvicorn-served app and checks what GDAL
got against the store itself, and — through the server's access log — that paging and
filtering happened on the server, not by GDAL reading everything.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from sqlalchemy import func, select

from twin.layers import LAYERS
from twin.models import STORAGE_SRID

from .servers import TwinServer, tool

pytestmark = pytest.mark.clients

BUILDINGS = LAYERS["buildings"].table
# A box over the middle of the sample city (lon/lat, CGCS2000).
BOX = (113.92, 22.52, 113.96, 22.56)


def run(*args: str, config: dict[str, str] | None = None) -> str:
    """Run a GDAL command; fail with its stderr when it fails or complains."""
    cmd = [tool(args[0]), *args[1:]]
    for key, value in (config or {}).items():
        cmd[1:1] = ["--config", key, value]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stderr}"
    assert "ERROR" not in done.stderr, done.stderr
    return done.stdout


def export(server: TwinServer, out: Path, *options: str, page_size: int = 1000,
           config: dict[str, str] | None = None) -> list[dict]:
    """ogr2ogr the buildings layer to a GeoJSON file and read its features."""
    run("ogr2ogr", "-f", "GeoJSON", str(out), f"OAPIF:{server.url}/", "buildings",
        "-oo", f"PAGE_SIZE={page_size}", *options, config=config)
    return json.loads(out.read_text())["features"]


def items_requests(server: TwinServer, mark: int) -> list[dict[str, list[str]]]:
    """Query parameters of each /collections/buildings/items request since `mark`."""
    found = []
    for line in server.requests_since(mark):
        method, _, target = line.partition(" ")
        path = urlsplit(target.split(" ")[0])
        if method == "GET" and path.path == "/collections/buildings/items":
            found.append(parse_qs(path.query))
    return found


def store_codes(server: TwinServer, *where: object) -> set[str]:
    """Building codes in the store matching `where`."""
    with server.engine.connect() as conn:
        return set(conn.scalars(select(BUILDINGS.c.code).where(*where)))


def in_box(box: tuple[float, float, float, float]) -> object:
    """Buildings whose footprint meets the lon/lat box, as the store computes it."""
    x0, y0, x1, y1 = box
    envelope = func.ST_GeomFromText(
        f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))", STORAGE_SRID
    )
    return func.ST_Intersects(BUILDINGS.c.geom, envelope)


def test_ogrinfo_summary_matches_the_store(twin_server: TwinServer) -> None:
    out = run("ogrinfo", "-ro", "-so", f"OAPIF:{twin_server.url}/", "buildings")
    total = len(store_codes(twin_server))
    assert re.search(rf"Feature Count: {total}\b", out), out
    assert "Multi Polygon" in out
    assert re.search(r"^floors: Integer", out, re.M), out
    assert re.search(r"^code: String", out, re.M), out
    extent = re.search(r"Extent: \(([\d.]+), ([\d.]+)\) - \(([\d.]+), ([\d.]+)\)", out)
    assert extent, out
    x0, y0, x1, y1 = map(float, extent.groups())
    # Longitude first: the sample city lies near 113.9 E, 22.5 N.
    assert 113.8 < x0 < x1 < 114.1 and 22.4 < y0 < y1 < 22.7, extent.group(0)


def test_ogrinfo_lists_every_layer(twin_server: TwinServer) -> None:
    out = run("ogrinfo", "-ro", "-q", f"OAPIF:{twin_server.url}/")
    listed = set(re.findall(r"^\d+: (\w+)", out, re.M))
    assert {"buildings", "addresses", "roads", "admin_areas", "houses"} <= listed, out


def test_ogr2ogr_pages_through_every_building(twin_server: TwinServer, tmp_path: Path) -> None:
    mark = twin_server.log_mark()
    features = export(twin_server, tmp_path / "all.geojson", page_size=40)
    codes = [f["properties"]["code"] for f in features]
    expected = store_codes(twin_server)
    assert len(codes) == len(set(codes)) == len(expected)
    assert set(codes) == expected
    pages = items_requests(twin_server, mark)
    # GDAL asks one page to learn the schema, then follows `next` until the end.
    assert len(pages) >= math.ceil(len(expected) / 40), pages
    assert all(p.get("limit") == ["40"] for p in pages), pages
    lon, lat = features[0]["geometry"]["coordinates"][0][0][0][:2]
    assert 113.8 < lon < 114.1 and 22.4 < lat < 22.7  # CRS84 order, not lat/lon


def test_ogr2ogr_spatial_filter_is_a_bbox_on_the_server(twin_server: TwinServer,
                                                         tmp_path: Path) -> None:
    mark = twin_server.log_mark()
    features = export(twin_server, tmp_path / "box.geojson",
                      "-spat", *(str(v) for v in BOX), page_size=25)
    expected = store_codes(twin_server, in_box(BOX))
    assert expected, "the test box should hold buildings"
    assert {f["properties"]["code"] for f in features} == expected
    pages = [p for p in items_requests(twin_server, mark) if "bbox" in p]
    assert pages, "GDAL should send the spatial filter as bbox"
    sent = [float(v) for v in pages[0]["bbox"][0].split(",")]
    assert sent == pytest.approx(list(BOX))
    # Paging kept the bbox: every page after the first came from a `next` link.
    assert len(pages) >= math.ceil(len(expected) / 25)


def test_ogr2ogr_equality_filter_uses_the_declared_property_parameter(
    twin_server: TwinServer, tmp_path: Path
) -> None:
    mark = twin_server.log_mark()
    features = export(twin_server, tmp_path / "eq.geojson", "-where", "floors = 6")
    expected = store_codes(twin_server, BUILDINGS.c.floors == 6)
    assert expected
    assert {f["properties"]["code"] for f in features} == expected
    # `floors` is declared as a query parameter of the items path in the OpenAPI
    # document, so GDAL filters on the server with ?floors=6.
    sent = items_requests(twin_server, mark)
    assert any(p.get("floors") == ["6"] for p in sent), sent


def test_ogr2ogr_cql_filter_runs_on_the_server(twin_server: TwinServer, tmp_path: Path) -> None:
    # GDAL 3.6 speaks the draft `cql-text` name; newer GDAL and QGIS send cql2-text.
    mark = twin_server.log_mark()
    features = export(
        twin_server, tmp_path / "cql.geojson", "-where", "floors >= 7 AND use = '住宅'",
        config={"OGR_OAPIF_ALLOW_CQL_TEXT": "YES"},
    )
    expected = store_codes(twin_server, BUILDINGS.c.floors >= 7, BUILDINGS.c.use == "住宅")
    assert expected
    assert {f["properties"]["code"] for f in features} == expected
    filters = [unquote(p["filter"][0]) for p in items_requests(twin_server, mark) if "filter" in p]
    assert filters, "the attribute filter should reach the server as a CQL filter"
    assert "floors >= 7" in filters[0]


def test_ogrinfo_reads_one_feature_by_id(twin_server: TwinServer) -> None:
    code = sorted(store_codes(twin_server))[5]
    mark = twin_server.log_mark()
    out = run("ogrinfo", "-ro", f"OAPIF:{twin_server.url}/", "buildings",
              "-where", f"id = '{code}'")
    assert f"code (String) = {code}" in out, out
    assert re.search(r"Feature Count: 1\b", out) or out.count("OGRFeature(") == 1, out
    paths = [ln.split(" ")[1] for ln in twin_server.requests_since(mark)]
    assert f"/collections/buildings/items/{code}" in paths, paths
