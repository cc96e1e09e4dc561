"""GDAL's MVT driver (Debian gdal-bin's ogrinfo) reads the twin's vector tiles.

A tile fetched from the uvicorn-served app is saved as `{z}/{x}/{y}.pbf`, the layout from
which GDAL places a tile on the map; ogrinfo must find each layer with the features the
tile holds, in Web Mercator, inside the tile's bounds.
"""

from __future__ import annotations

import re
import subprocess

import httpx
import mapbox_vector_tile
import pytest

from tiles.matrix import tile_bounds, tiles_over

from .servers import TwinServer, tool

pytestmark = pytest.mark.clients


def test_ogrinfo_reads_a_twin_tile(twin_server: TwinServer, tmp_path):
    ring = httpx.get(f"{twin_server.url}/collections/buildings/items?limit=1").json()
    lon, lat = ring["features"][0]["geometry"]["coordinates"][0][0][0]
    [tile] = tiles_over("WebMercatorQuad", 16, (lon + 3e-5, lat + 3e-5, lon + 3e-5, lat + 3e-5))
    answer = httpx.get(f"{twin_server.url}/tiles/{tile.path}")
    assert answer.status_code == 200
    expected = {name: len(layer["features"])
                for name, layer in mapbox_vector_tile.decode(answer.content).items()}
    path = tmp_path / str(tile.zoom) / str(tile.col) / f"{tile.row}.pbf"
    path.parent.mkdir(parents=True)
    path.write_bytes(answer.content)
    done = subprocess.run([tool("ogrinfo"), "-ro", "-so", "-al", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    found = dict(re.findall(r"Layer name: (\w+)\n(?:.*\n)*?Feature Count: (\d+)", done.stdout))
    assert {name: int(count) for name, count in found.items()} == expected
    assert "buildings" in found
    minx, miny, maxx, maxy = tile_bounds(tile)
    extent = re.search(r"Extent: \(([-\d.]+), ([-\d.]+)\) - \(([-\d.]+), ([-\d.]+)\)",
                       done.stdout.split("Layer name: buildings")[1])
    assert extent is not None
    x0, y0, x1, y1 = map(float, extent.groups())
    pad = (maxx - minx) * 0.05
    assert minx - pad <= x0 <= x1 <= maxx + pad and miny - pad <= y0 <= y1 <= maxy + pad
