"""Debian's chromium, headless, driven by selenium through chromium-driver, with no network.

Every host but the loopback is unreachable: requests go to a proxy on a closed port and
names other than 127.0.0.1 do not resolve, so a page that needs a CDN fails here.
WebGL runs on SwiftShader (software), as on a machine without a GPU.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from .servers import tool

OFFLINE = ["--proxy-server=http://127.0.0.1:9",
           "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]


@contextmanager
def offline_chromium(width: int = 1280, height: int = 800) -> Iterator[webdriver.Chrome]:
    """A headless chromium that reaches only the loopback."""
    options = webdriver.ChromeOptions()
    options.binary_location = tool("chromium")
    for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--use-angle=swiftshader",
                "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist", "--lang=zh-CN",
                *OFFLINE]:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(tool("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()
