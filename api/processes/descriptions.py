"""OGC process descriptions: what each process takes and gives, as JSON Schema.

One description per process, read by `/processes`, `/processes/{id}` and the pygeoapi
process plugins alike (pygeoapi's PROCESS_METADATA is the same document).
"""

from __future__ import annotations

from typing import Any

VERSION = "1.0.0"
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GPKG = "application/geopackage+sqlite3"
GEOJSON = "application/geo+json"
JSON = "application/json"
SUFFIX_OF = {CSV: ".csv", XLSX: ".xlsx", GPKG: ".gpkg", GEOJSON: ".geojson"}
MAX_ADDRESSES = 1_000  # in one `geocode` execution


def _value(title: str, schema: dict[str, Any], description: str, *, required: bool = False
           ) -> dict[str, Any]:
    return {"title": title, "description": description, "schema": schema,
            "minOccurs": 1 if required else 0, "maxOccurs": 1}


def _file(media_types: list[str], description: str, *, required: bool = True
          ) -> dict[str, Any]:
    """An uploaded file: a qualified value {value: base64, mediaType, encoding: base64}."""
    return _value("File", {"oneOf": [
        {"type": "string", "contentEncoding": "base64", "contentMediaType": m}
        for m in media_types]}, description + "; send it inline as "
        '{"value": "<base64>", "mediaType": "...", "encoding": "base64"}', required=required)


CRS_INPUT = _value("CRS", {"type": "string", "default": "EPSG:4490"},
                   "CRS of the coordinates: CGCS2000 (EPSG:4490, default), WGS84 (EPSG:4326), "
                   "a Gauss-Krüger zone (EPSG:4534-4554); for answers also GCJ02 or BD09")
REPORT_OUTPUT = {"title": "Report", "description": "rows per status and every bad row "
                 "(row number, field, value, reason)",
                 "schema": {"type": "object", "contentMediaType": JSON}}


def _result(media_types: list[str], description: str) -> dict[str, Any]:
    return {"title": "Result", "description": description,
            "schema": {"oneOf": [{"type": "string", "contentMediaType": m} if m != JSON
                                 else {"type": "object", "contentMediaType": m}
                                 for m in media_types]}}


def _process(pid: str, title: str, zh: str, description: str, inputs: dict[str, Any],
             outputs: dict[str, Any], example: dict[str, Any], keywords: list[str]
             ) -> dict[str, Any]:
    return {
        "id": pid, "version": VERSION, "title": title, "description": description,
        "keywords": keywords + [zh],
        "jobControlOptions": ["sync-execute", "async-execute", "dismiss"],
        "outputTransmission": ["value", "reference"],
        "inputs": inputs, "outputs": outputs, "example": {"inputs": example},
    }


PROCESSES: dict[str, dict[str, Any]] = {p["id"]: p for p in [
    _process(
        "geocode", "Geocode Chinese addresses", "地址匹配",
        "Match typed addresses to standard addresses: status (matched / partial / tie / "
        "unmatched), code, full text, score 0-100, reason, coordinates and candidates.",
        {"address": _value("Address", {"type": "string", "minLength": 1, "maxLength": 500},
                            "one address as typed (or `addresses`)"),
         "addresses": _value("Addresses", {"type": "array", "items": {"type": "string"},
                                           "maxItems": MAX_ADDRESSES},
                             f"up to {MAX_ADDRESSES} addresses, answered in order"),
         "crs": CRS_INPUT},
        {"result": _result([JSON], "one geocoding result, or a list for `addresses`")},
        {"address": "深圳市南山区科技园路1号"}, ["geocoding", "standard address"]),
    _process(
        "reverse-geocode", "Reverse geocode a point", "逆地理编码",
        "The nearest door or building addresses to a point, with their admin chain and "
        "distance in metres.",
        {"lon": _value("Longitude", {"type": "number", "minimum": -180, "maximum": 180},
                       "x in `crs`", required=True),
         "lat": _value("Latitude", {"type": "number", "minimum": -90, "maximum": 90},
                       "y in `crs`", required=True),
         "radius": _value("Radius", {"type": "number", "exclusiveMinimum": 0, "default": 500},
                          "search radius in metres"),
         "limit": _value("Limit", {"type": "integer", "minimum": 1, "maximum": 50,
                                   "default": 1}, "how many addresses, nearest first"),
         "crs": CRS_INPUT},
        {"result": _result([JSON], "the addresses found, nearest first")},
        {"lon": 113.94, "lat": 22.53}, ["reverse geocoding"]),
    _process(
        "batch-geocode", "Geocode a spreadsheet", "批量地址匹配",
        "Geocode one column of a CSV or Excel file: every row and column kept, geo_* "
        "result columns added; the result comes back in the input's format.",
        {"file": _file([CSV, XLSX], "the spreadsheet (CSV in UTF-8 or GB18030, or .xlsx)"),
         "column": _value("Address column", {"type": "string"},
                          "the column holding the addresses", required=True),
         "crs": CRS_INPUT},
        {"result": _result([CSV, XLSX], "the input with geo_* columns"),
         "report": REPORT_OUTPUT},
        {"file": {"value": "5Zyw5Z2ACua3seWcs+W4guWNl+WxseWMuuenkeaKgOWbrei3rzHlj7cK",
                  "mediaType": CSV, "encoding": "base64"}, "column": "地址"},
        ["geocoding", "batch"]),
    _process(
        "batch-code", "Code a building registry", "批量赋码",
        "Match every row of a building registry to the twin's buildings and keep its code, "
        "or place and issue a new building code; the same input gives the same codes "
        "(idempotent by footprint). Needs a key with the `write` scope.",
        {"file": _file([CSV, XLSX, GPKG], "the registry: CSV/Excel with a WKT or lon/lat "
                       "column, or a GeoPackage"),
         "crs": CRS_INPUT,
         "address_column": _value("Address column", {"type": "string"},
                                  "column with the address (found by name if left out)"),
         "year_column": _value("Year column", {"type": "string"},
                               "column with the year built (found by name if left out)"),
         "geometry_column": _value("Geometry column", {"type": "string"},
                                   "WKT column (found by name if left out)"),
         "chunk_size": _value("Chunk size", {"type": "integer", "minimum": 1,
                                             "default": 20000},
                              "new buildings committed per transaction")},
        {"result": _result([CSV, XLSX, GPKG], "the input with code, status, match_method "
                           "and reason columns"), "report": REPORT_OUTPUT},
        {"file": {"value": "<base64 of registry.csv>", "mediaType": CSV,
                  "encoding": "base64"}}, ["coding", "赋码", "building"]),
    _process(
        "place", "Place features on the map", "落图",
        "Township, community, management grid and BeiDou grid location code (GB/T 39409) "
        "for each uploaded feature, by its geometry.",
        {"features": _value("Features", {"type": "object", "contentMediaType": GEOJSON,
                                         "description": "a GeoJSON FeatureCollection"},
                            "the features inline (or `file`)"),
         "file": _file([CSV, XLSX, GEOJSON], "CSV/Excel with a WKT or lon/lat column, or "
                       "GeoJSON (or `features`)", required=False),
         "crs": CRS_INPUT,
         "beidou_level": _value("BeiDou level", {"type": "integer", "minimum": 1,
                                                 "maximum": 10, "default": 8},
                                "level of the BeiDou grid code (8: about 1 m)")},
        {"result": _result([GEOJSON, CSV, XLSX], "the features with township_code, "
                           "community_code, grid_code and beidou_code"),
         "report": REPORT_OUTPUT},
        {"features": {"type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": {"name": "a"},
            "geometry": {"type": "Point", "coordinates": [113.94, 22.53]}}]}},
        ["placement", "BeiDou grid", "一张图"]),
]}

WRITES = {"batch-code"}  # processes that write to the store: they need the `write` scope


def summary(description: dict[str, Any]) -> dict[str, Any]:
    """The process summary of `/processes` (the description without inputs and outputs)."""
    return {k: v for k, v in description.items() if k not in ("inputs", "outputs", "example")}
