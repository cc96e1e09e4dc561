"""Coordinates for display: CGCS2000, WGS84, and the obfuscated GCJ-02 and BD-09 systems.

GCJ-02 (国测局坐标, used by AMap/Tencent maps) and BD-09 (Baidu) are display systems only;
they are never stored. CGCS2000 and WGS84 differ by centimetres at city scale (the EPSG
transformation between EPSG:4490 and EPSG:4326 is a null transform), so both are given
as the stored longitude and latitude.
"""

from __future__ import annotations

import math

from addressing.errors import AddressInputError

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 algorithm uses it
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0

CRS_NAMES = {
    "cgcs2000": "CGCS2000", "epsg:4490": "CGCS2000", "4490": "CGCS2000",
    "wgs84": "WGS84", "epsg:4326": "WGS84", "4326": "WGS84", "crs84": "WGS84",
    "gcj02": "GCJ-02", "gcj-02": "GCJ-02", "bd09": "BD-09", "bd-09": "BD-09",
}


def crs_name(text: str | None) -> str:
    """The canonical name of a display CRS (CGCS2000 by default), or AddressInputError."""
    if text is None or text == "":
        return "CGCS2000"
    key = text.strip().lower()
    if key.startswith("http"):
        key = key.rsplit("/", 1)[-1]  # an OGC CRS URI ends in the EPSG code or CRS84
    name = CRS_NAMES.get(key) or CRS_NAMES.get(f"epsg:{key}")
    if name is None:
        raise AddressInputError(
            f"unknown crs {text!r}; use CGCS2000 (EPSG:4490), WGS84 (EPSG:4326), GCJ-02 or BD-09",
            field="crs", value=text,
        )
    return name


def outside_china(lon: float, lat: float) -> bool:
    """True outside the box where the GCJ-02 offset applies."""
    return not (73.66 < lon < 135.05 and 3.86 < lat < 53.55)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 → GCJ-02 (identity outside China)."""
    if outside_china(lon, lat):
        return lon, lat
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → WGS84 by fixed-point iteration (error well under a centimetre)."""
    wlon, wlat = lon, lat
    for _ in range(30):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        dlon, dlat = glon - lon, glat - lat
        wlon, wlat = wlon - dlon, wlat - dlat
        if abs(dlon) < 1e-10 and abs(dlat) < 1e-10:
            break
    return wlon, wlat


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → BD-09."""
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """BD-09 → GCJ-02."""
    x, y = lon - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.cos(theta), z * math.sin(theta)


def from_cgcs2000(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """A stored CGCS2000 point in the display CRS named by `crs_name`."""
    if crs in ("CGCS2000", "WGS84"):
        return lon, lat
    glon, glat = wgs84_to_gcj02(lon, lat)
    if crs == "GCJ-02":
        return glon, glat
    return gcj02_to_bd09(glon, glat)


def to_cgcs2000(lon: float, lat: float, crs: str) -> tuple[float, float]:
    """A point given in a display CRS, back in CGCS2000 (for reverse geocoding)."""
    if crs in ("CGCS2000", "WGS84"):
        return lon, lat
    if crs == "BD-09":
        lon, lat = bd09_to_gcj02(lon, lat)
    return gcj02_to_wgs84(lon, lat)
