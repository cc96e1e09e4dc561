"""The OpenAPI document as OGC clients check it: OpenAPI 3.0, self-contained, OGC parameters.

FastAPI writes OpenAPI 3.1 (JSON Schema 2020-12: `anyOf [.., null]`, `const`, `examples`).
OGC API - Features Part 1 declares the `oas30` class, and strict clients and validators
read the document as 3.0, so the schemas are rewritten into 3.0's dialect (`nullable`,
`enum`, `example`), references to schemas on the internet become local components, and
the standard parameters (`bbox`, `limit`, `datetime`, `crs`, `bbox-crs`, the filter
parameters, `collectionId`, `featureId`) are the OGC OpenAPI fragments' definitions
(also listed in `components/parameters`), with the server's own `limit` maximum. The limits
this server enforces are listed in the document's description and per operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from twin.settings import Settings

OPENAPI_VERSION = "3.0.3"
OPENAPI_MEDIA = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA_KEYS_NESTED = ("items", "additionalProperties", "not")
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")

# GeoJSON (RFC 7946) as OpenAPI 3.0 schemas, in place of https://geojson.org/schema/*.json.
POSITION = {"type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "number"}}
GEOJSON_SCHEMAS: dict[str, Any] = {
    "GeoJSONGeometry": {
        "type": "object",
        "description": "A GeoJSON geometry (RFC 7946): Point, LineString, Polygon, their "
        "Multi- forms, or a GeometryCollection",
        "required": ["type"],
        "properties": {
            "type": {"type": "string", "enum": [
                "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
                "MultiPolygon", "GeometryCollection"]},
            "coordinates": {"type": "array", "items": {}},
            "geometries": {"type": "array",
                           "items": {"$ref": "#/components/schemas/GeoJSONGeometry"}},
            "bbox": {"type": "array", "minItems": 4, "items": {"type": "number"}},
        },
    },
    "GeoJSONFeature": {
        "type": "object",
        "description": "A GeoJSON Feature (RFC 7946); `geometry` may be null",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
            "geometry": {"allOf": [{"$ref": "#/components/schemas/GeoJSONGeometry"}],
                         "nullable": True},
            "properties": {"type": "object", "nullable": True},
            "bbox": {"type": "array", "minItems": 4, "items": {"type": "number"}},
        },
    },
    "GeoJSONPosition": POSITION,
}
# How a caller presents its key; what each operation needs is its `security` and `x-scopes`.
SECURITY_SCHEMES = {
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key",
               "description": "An API key (`twin keys create`); its scopes (read, write, "
               "sensitive, admin) decide what it may do"},
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "The same API key as a bearer token"},
}
EXTERNAL_REFS = {
    "https://geojson.org/schema/Feature.json": "#/components/schemas/GeoJSONFeature",
    "https://geojson.org/schema/Geometry.json": "#/components/schemas/GeoJSONGeometry",
}


def ogc_parameters(settings: Settings) -> dict[str, Any]:
    """The standard parameters as the OGC API - Features OpenAPI fragments define them."""
    uri = {"type": "string", "format": "uri"}
    return {
        "bbox": {
            "name": "bbox", "in": "query", "required": False, "style": "form",
            "explode": False,
            "description": "Only features that have a geometry that intersects the bounding "
            "box: lower left corner, upper right corner (minx,miny,maxx,maxy, or 6 numbers "
            "with heights), in bbox-crs (CRS84 by default). At most "
            f"{settings.api.max_bbox_degrees} degrees on a side in CRS84.",
            "schema": {"type": "array", "oneOf": [{"minItems": 4, "maxItems": 4},
                                                  {"minItems": 6, "maxItems": 6}],
                       "items": {"type": "number"}},
        },
        "limit": {
            "name": "limit", "in": "query", "required": False, "style": "form",
            "explode": False,
            "description": "The most features in the response (maximum "
            f"{settings.api.max_limit}; a larger value is served as the maximum, with a next "
            "link when more match).",
            "schema": {"type": "integer", "minimum": 1, "maximum": settings.api.max_limit,
                       "default": settings.api.default_limit},
        },
        "datetime": {
            "name": "datetime", "in": "query", "required": False, "style": "form",
            "explode": False,
            "description": "Either a date-time or an interval (RFC 3339); open ends as `..`: "
            "`2018-02-12T23:20:50Z`, `2018-02-12T00:00:00Z/2018-03-18T12:31:12Z`, "
            "`../2018-03-18T12:31:12Z`",
            "schema": {"type": "string"},
        },
        "crs": {"name": "crs", "in": "query", "required": False, "style": "form",
                "explode": False, "description": "The CRS of the response geometries",
                "schema": uri},
        "bbox-crs": {"name": "bbox-crs", "in": "query", "required": False, "style": "form",
                     "explode": False, "description": "The CRS of bbox", "schema": uri},
        "filter": {"name": "filter", "in": "query", "required": False, "style": "form",
                   "explode": False, "schema": {"type": "string"},
                   "description": "A CQL2 filter expression (nested at most "
                   f"{settings.api.max_filter_depth} levels deep)"},
        "filter-lang": {"name": "filter-lang", "in": "query", "required": False,
                        "style": "form", "explode": False,
                        "description": "The language of the filter",
                        "schema": {"type": "string", "enum": ["cql2-text", "cql2-json"],
                                   "default": "cql2-text"}},
        "filter-crs": {"name": "filter-crs", "in": "query", "required": False,
                       "style": "form", "explode": False,
                       "description": "The CRS of geometry literals in the filter",
                       "schema": uri},
        "f": {"name": "f", "in": "query", "required": False,
              "description": "The response format (overrides the Accept header)",
              "schema": {"type": "string", "enum": ["json", "geojson", "html"]}},
        "collectionId": {"name": "collectionId", "in": "path", "required": True,
                         "description": "local identifier of a collection",
                         "schema": {"type": "string"}},
        "featureId": {"name": "featureId", "in": "path", "required": True,
                      "description": "local identifier of a feature",
                      "schema": {"type": "string"}},
    }


def limits_text(settings: Settings) -> str:
    """The limits the server enforces, for the document's description."""
    api = settings.api
    return (
        "\n\nLimits (each answered with a problem+json naming it): "
        f"page size `limit` ≤ {api.max_limit} (more is served as {api.max_limit}); "
        f"`bbox` ≤ {api.max_bbox_degrees}° on a side in CRS84 (400); "
        f"request body ≤ {api.max_body_bytes:,} bytes (413); CQL2 "
        f"`filter` nesting ≤ {api.max_filter_depth} levels (400); addresses per "
        f"`POST /geocode` ≤ {api.max_geocode_batch} (413)."
    )


def to_oas30(schema: Any) -> Any:
    """A JSON Schema 2020-12 (OpenAPI 3.1) schema rewritten as an OpenAPI 3.0 schema."""
    if isinstance(schema, list):
        return [to_oas30(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in SCHEMA_LISTS:
            out[key] = [to_oas30(s) for s in value]
        elif key in SCHEMA_KEYS_NESTED:
            out[key] = to_oas30(value)
        elif key == "properties":
            out[key] = {name: to_oas30(s) for name, s in value.items()}
        elif key == "$ref":
            out[key] = EXTERNAL_REFS.get(value, value)
        elif key == "const":
            out["enum"] = [value]
        elif key == "examples" and isinstance(value, list):
            if value:
                out["example"] = value[0]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            out[key] = True
        elif key in ("$schema", "$id", "contentMediaType", "contentEncoding"):
            continue
        elif key == "type" and isinstance(value, list):
            kinds = [k for k in value if k != "null"]
            out["type"] = kinds[0] if len(kinds) == 1 else "string"
            if "null" in value:
                out["nullable"] = True
        else:
            out[key] = value
    return _nullable(out)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    # `anyOf: [X, {type: null}]` is 3.1's Optional[X]; 3.0 says X with nullable: true.
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if not options or not any(o == {"type": "null"} for o in options):
            continue
        rest = [o for o in options if o != {"type": "null"}]
        del schema[key]
        if len(rest) == 1 and "$ref" not in rest[0]:
            schema = {**rest[0], **schema}
        elif len(rest) == 1:
            schema["allOf"] = rest
        else:
            schema[key] = rest
        schema["nullable"] = True
    return schema


def _document_media(operation: dict[str, Any]) -> None:
    # What content negotiation may answer: HTML wherever `f` is taken, and the API
    # document in its own media type.
    ok = operation.get("responses", {}).get("200")
    if ok is None:
        return
    content = ok.setdefault("content", {})
    if operation.get("operationId") == "getApi":
        content.clear()
        content[OPENAPI_MEDIA] = {"schema": {"type": "object"}}
    elif any(p.get("name") == "f" for p in operation.get("parameters", [])):
        content.setdefault("text/html", {"schema": {"type": "string"}})


def _rewrite_operation(operation: dict[str, Any], standard: dict[str, Any]) -> None:
    parameters = []
    for parameter in operation.get("parameters", []):
        name = parameter.get("name")
        if name in standard and parameter.get("in") == standard[name]["in"]:
            # Inline, not a $ref: clients that read a parameter's name or maximum from the
            # document (GDAL reads limit's) find it where every parameter is.
            parameters.append(dict(standard[name]))
            continue
        if "schema" in parameter:
            parameter["schema"] = to_oas30(parameter["schema"])
        parameters.append(parameter)
    if parameters:
        operation["parameters"] = parameters
    for body in [operation.get("requestBody", {}), *operation.get("responses", {}).values()]:
        for media in body.get("content", {}).values():
            if "schema" in media:
                media["schema"] = to_oas30(media["schema"])
        for header in body.get("headers", {}).values():
            if "schema" in header:
                header["schema"] = to_oas30(header["schema"])


PROBLEM_RESPONSE = {
    "description": "Any other answer is a problem (RFC 9457): an unknown collection, "
    "feature or path (404), a missing or weak key (401, 403), a body or query beyond a "
    "limit (400, 413), a store that does not answer (503)",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Make `app.openapi()` return the OpenAPI 3.0 document described above."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None and app.openapi_schema.get("openapi") == OPENAPI_VERSION:
            return app.openapi_schema
        doc = build()
        standard = ogc_parameters(settings)
        doc["openapi"] = OPENAPI_VERSION
        doc["info"]["description"] = doc["info"].get("description", "") + limits_text(settings)
        for path_item in doc.get("paths", {}).values():
            for operation in path_item.values():
                _rewrite_operation(operation, standard)
                _document_media(operation)
                operation.setdefault("responses", {}).setdefault("default", PROBLEM_RESPONSE)
        components = doc.setdefault("components", {})
        schemas = components.setdefault("schemas", {})
        for name, schema in list(schemas.items()):
            schemas[name] = to_oas30(schema)
        schemas.update(GEOJSON_SCHEMAS)
        components["parameters"] = standard
        components["securitySchemes"] = SECURITY_SCHEMES
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
