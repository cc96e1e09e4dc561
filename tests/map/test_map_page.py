"""The map page and the API documentation work offline: every asset is the app's own."""

from __future__ import annotations

import re

import pytest

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](https?:)?//(?!testserver)""")


@pytest.mark.parametrize("path", ["/map", "/api.html"])
def test_pages_load_nothing_from_another_host(client, path):
    page = client.get(path)
    assert page.status_code == 200
    assert not EXTERNAL.findall(page.text), EXTERNAL.findall(page.text)
    assets = re.findall(r"""(?:src|href)=["'](http://testserver/static/[^"']+)""", page.text)
    assets += re.findall(r"""(?:_url|url)\s*:\s*['"](http://testserver/static/[^"']+)""", page.text)
    assert assets, page.text
    for asset in assets:
        got = client.get(asset)
        assert got.status_code == 200 and len(got.content) > 100, asset


def test_map_script_names_no_other_host(client):
    script = client.get("/static/map.js").text
    assert not re.findall(r"https?://", script)


def test_landing_page_links_the_map(client):
    links = client.get("/").json()["links"]
    assert any(link["href"].endswith("/map") for link in links)


def test_beidou_code_of_a_point_is_the_standard_example(client):
    # GB/T 39409-2020's worked example: 39°59′35.38″N, 116°18′45.37″E at level 8.
    lon, lat = 116 + 18 / 60 + 45.37 / 3600, 39 + 59 / 60 + 35.38 / 3600
    body = client.get(f"/map/beidou?lon={lon}&lat={lat}&level=8").json()
    assert body["code"] == "N50J47539B825534"
    assert client.get("/map/beidou?lon=500&lat=0").status_code == 400
