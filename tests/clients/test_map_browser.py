"""A person at the map: headless chromium loads /map from the running app with the network
cut off, sees buildings drawn, clicks one and reads the popup, searches an address and
watches the map fly there; with a GCJ-02 web base map set, the twin is drawn shifted onto
it. A screenshot of each run is kept in out/test-artifacts/. One chromium serves the module.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from shapely import affinity
from shapely.geometry import MultiPoint, Point, shape

from api import create_app
from tiles.matrix import tiles_over
from twin.crs import to_gcj02
from twin.settings import ApiSettings, SecuritySettings, Settings, StoreSettings

from .browser import offline_chromium
from .servers import API_KEYS, REPO, TwinServer, app_in_thread, raster_tile_server

pytestmark = pytest.mark.clients
ARTIFACTS = REPO / "out" / "test-artifacts"


def wait_for(what: Callable[[], Any], timeout: float = 120, message: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {message or what}")


def rendered_building(driver) -> dict[str, Any]:
    """A building drawn on screen, whole, near the middle: its code if tiled, and a pixel."""
    return driver.execute_script("""
        const m = window.twinMap, c = m.getCanvas();
        const w = c.clientWidth, h = c.clientHeight;
        const fs = m.queryRenderedFeatures([[w * 0.3, h * 0.3], [w * 0.7, h * 0.7]],
                                           {layers: ['buildings']});
        for (const f of fs) {
          const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0]
                                                     : f.geometry.coordinates[0][0];
          const n = ring.length - 1;
          const lon = ring.slice(0, n).reduce((s, p) => s + p[0], 0) / n;
          const lat = ring.slice(0, n).reduce((s, p) => s + p[1], 0) / n;
          const px = m.project([lon, lat]);
          const top = m.queryRenderedFeatures(px, {layers: ['buildings']})[0];
          if (top && top.id === f.id) return {lon, lat, x: px.x, y: px.y, w, h, id: f.id};
        }
        return null;""")


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """One offline chromium for every map test of the module (starting one takes seconds)."""
    with offline_chromium() as driver:
        yield driver


def click_at(driver, x: float, y: float) -> None:
    """A person's click at pixel (x, y) of the map's canvas."""
    canvas = driver.find_element(By.CSS_SELECTOR, "#map canvas")
    size = canvas.size
    ActionChains(driver).move_to_element_with_offset(
        canvas, int(x - size["width"] / 2), int(y - size["height"] / 2)).click().perform()


def requested(driver) -> list[str]:
    """Every URL the page has loaded so far (the Resource Timing entries)."""
    return driver.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name)")


def test_a_person_uses_the_map_offline(twin_server: TwinServer, browser):
    base = twin_server.url
    building = httpx.get(f"{base}/collections/buildings/items", params={"limit": 1}).json()
    middle = shape(building["features"][0]["geometry"]).centroid
    # The address to search lies far from where the map will be: the search must move it.
    addresses = httpx.get(f"{base}/collections/addresses/items",
                          params={"limit": 200, "filter": "level='building'"}).json()
    address = max(addresses["features"], key=lambda f: shape(f["geometry"]).distance(middle))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver = browser
    driver.get_log("browser")  # what an earlier test's page logged is not this one's
    # The network is really cut off: another host is unreachable from the page.
    driver.get(f"{base}/map")
    blocked = driver.execute_async_script(
        "const done = arguments[0]; fetch('https://unpkg.com/maplibre-gl')"
        ".then(() => done('reached'), () => done('blocked'));")
    assert blocked == "blocked"
    wait_for(lambda: driver.execute_script("return window.twinFirstRender"),
             message="the map's first full render")
    drawn = driver.execute_script(
        "return twinMap.queryRenderedFeatures({layers: ['buildings']}).length")
    assert drawn > 0

    # Zoom in where buildings carry their codes, click one, read the popup.
    driver.save_screenshot(str(ARTIFACTS / f"map-first-{twin_server.store}.png"))
    driver.execute_script("twinMap.jumpTo({center: [arguments[0], arguments[1]], "
                          "zoom: 16.5, pitch: 0, bearing: 0})", middle.x, middle.y)
    wait_for(lambda: driver.execute_script("return twinMap.loaded()"), message="z16.5")
    target = wait_for(lambda: rendered_building(driver), message="a building on screen")
    click_at(driver, target["x"], target["y"])
    popup = wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#popup[data-code]"),
                     message="the popup")[0]
    wait_for(lambda: "实有单位" in popup.text, message="the popup's links")
    code = popup.get_attribute("data-code")
    assert popup.get_attribute("data-layer") == "buildings"
    clicked = httpx.get(f"{base}/collections/buildings/items/{code}").json()
    assert shape(clicked["geometry"]).buffer(1e-6).contains(Point(target["lon"], target["lat"]))
    for label in ("标准地址", "编码", "北斗网格码", "实有房屋 houses", "实有人口 people"):
        assert label in popup.text, (label, popup.text)
    assert code in popup.text
    driver.save_screenshot(str(ARTIFACTS / f"map-popup-{twin_server.store}.png"))

    # Pick a floor of the building: its storey is lit, its houses listed with the 3D
    # BeiDou grid codes the twin stores for them.
    picker = wait_for(lambda: driver.find_elements(By.ID, "floor-select"),
                      message="the floor picker")[0]
    options = picker.find_elements(By.TAG_NAME, "option")
    assert len(options) >= 2
    options[-1].click()
    floor = int(options[-1].get_attribute("value"))
    lit = wait_for(lambda: driver.execute_script(
        "return window.twinFloor && twinFloor.floor === arguments[0] && twinFloor", floor),
        message="the storey lit")
    assert lit["building"] == code and lit["houses"] > 0 and lit["top"] > lit["base"]
    drawn_storey = driver.execute_async_script(
        "const done = arguments[0]; twinMap.getSource('storey').getData()"
        ".then((d) => done(d.features[0].properties), (e) => done(String(e)));")
    assert drawn_storey == {"floor": floor, "base": lit["base"], "top": lit["top"]}
    listed = driver.find_elements(By.CSS_SELECTOR, "#floor-houses li[data-house]")
    assert len(listed) == lit["houses"]
    house = httpx.get(f"{base}/collections/houses/items/"
                      f"{listed[0].get_attribute('data-house')}").json()["properties"]
    assert house["building_code"] == code
    assert listed[0].find_element(By.CSS_SELECTOR, ".code3d").text == house["beidou_code_3d"]
    driver.save_screenshot(str(ARTIFACTS / f"map-floor-{twin_server.store}.png"))

    # Search an address: the geocoder answers (once its index is built) and the map moves.
    wait_for(lambda: httpx.get(f"{base}/geocode/status").json().get("state") == "ready"
             or httpx.get(f"{base}/geocode", params={"q": "x"}).status_code != 503,
             message="the address index")
    box = driver.find_element(By.ID, "search-text")
    box.clear()
    box.send_keys(address["properties"]["full_text"])
    driver.find_element(By.CSS_SELECTOR, "#search button").click()
    lon, lat = address["geometry"]["coordinates"]
    wait_for(lambda: driver.execute_script(
        "const c = twinMap.getCenter(); return window.twinLastSearch && !twinMap.isMoving() && "
        f"Math.abs(c.lng - {lon}) < 1e-4 && Math.abs(c.lat - {lat}) < 1e-4"),
        message="the map to fly to the address")
    status = driver.find_element(By.ID, "search-status").text
    assert "matched" in status and address["properties"]["full_text"] in status
    wait_for(lambda: driver.execute_script("return twinMap.loaded()"), message="tiles")
    driver.save_screenshot(str(ARTIFACTS / f"map-search-{twin_server.store}.png"))
    errors = [e for e in driver.get_log("browser")
              if e["level"] == "SEVERE" and "favicon" not in e["message"]
              and "unpkg.com" not in e["message"]]
    assert not errors, errors
    # Without a base map set nothing is asked of another host (the page's one probe of
    # unpkg.com above aside).
    elsewhere = [u for u in requested(driver)
                 if not u.startswith(base) and "unpkg.com" not in u]
    assert not elsewhere, elsewhere


def test_the_map_lies_on_a_gcj02_base_map(twin_server: TwinServer, browser):
    """TWIN_MAP_BASE_TILES names a GCJ-02 web base map (here one on the loopback): the page
    asks it for tiles and draws the twin shifted into GCJ-02 on it, a building where
    twin.crs.to_gcj02 puts it, not where it is stored; a click there still finds it."""
    assert twin_server.engine is not None
    url = twin_server.engine.url.render_as_string(hide_password=False)
    with raster_tile_server() as (template, asked):
        settings = Settings(
            store=StoreSettings(database_url=url),
            security=SecuritySettings(environment="test", api_keys=API_KEYS),
            api=ApiSettings(map_base_tiles=template, address_index_at_startup=False))
        with app_in_thread(create_app(settings)) as base:
            browser.get_log("browser")
            browser.get(f"{base}/map")
            wait_for(lambda: browser.execute_script("return window.twinTimes?.load"),
                     message="the map's style over the base map")
            feature = httpx.get(f"{base}/collections/buildings/items",
                                params={"limit": 1}).json()["features"][0]
            stored = shape(feature["geometry"])
            middle = stored.representative_point()
            gx, gy = (float(v) for v in to_gcj02(middle.x, middle.y))
            browser.execute_script("twinMap.jumpTo({center: [arguments[0], arguments[1]], "
                                   "zoom: 17, pitch: 0, bearing: 0})", gx, gy)
            drawn = wait_for(lambda: browser.execute_script("""
                const m = twinMap, p = m.project([arguments[0], arguments[1]]);
                const f = m.queryRenderedFeatures(p, {layers: ['buildings']})[0];
                const points = [], walk = (c) => typeof c[0] === 'number'
                  ? points.push(c) : c.forEach(walk);
                if (f) walk(f.geometry.coordinates);
                const code = f && f.properties.code;
                return code && {code, x: p.x, y: p.y, points};""", gx, gy),
                message="the building drawn at its GCJ-02 place")
            assert drawn["code"] == feature["id"]
            vertices = MultiPoint([tuple(v) for v in drawn["points"]])
            offset = (gx - middle.x, gy - middle.y)
            assert affinity.translate(stored, *offset).buffer(3e-6).contains(vertices)
            assert not stored.buffer(1e-4).intersects(vertices)  # GCJ-02 moves it ~500 m
            click_at(browser, drawn["x"], drawn["y"])
            popup = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#popup[data-code]"),
                             message="the popup")[0]
            # The click asks for what lies there in stored coordinates: the building, or a
            # house of it (their points are drawn over it).
            layer, code = popup.get_attribute("data-layer"), popup.get_attribute("data-code")
            if layer == "houses":
                code = httpx.get(f"{base}/collections/houses/items/{code}").json()[
                    "properties"]["building_code"]
            assert code == feature["id"]
            browser.save_screenshot(str(ARTIFACTS / f"map-gcj02-{twin_server.store}.png"))
            # The base map was asked for the tile under the building, at the zoom it draws.
            zoom = max(int(path.split("/")[1]) for path in asked)
            [under] = tiles_over("WebMercatorQuad", zoom, (gx, gy, gx, gy))
            assert f"/{zoom}/{under.col}/{under.row}.png" in asked, asked
            origin = template.split("/{z}")[0]
            elsewhere = [u for u in requested(browser)
                         if not u.startswith(base) and not u.startswith(origin)]
            assert not elsewhere, elsewhere
            errors = [e for e in browser.get_log("browser")
                      if e["level"] == "SEVERE" and "favicon" not in e["message"]]
            assert not errors, errors
