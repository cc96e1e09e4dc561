"""Queryables (OGC API - Features Part 3): a JSON Schema of what a filter may name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Date, DateTime, Float, Integer, String

from twin.features.params import queryable_columns
from twin.layers import Layer

GEOMETRY_SCHEMA = "https://geojson.org/schema/{kind}.json"


def column_schema(col: Column) -> dict[str, Any]:
    """JSON Schema of one column, as every face describes it."""
    schema: dict[str, Any] = {"title": col.name}
    if isinstance(col.type, JSON):
        # Served as the JSON value it holds, never as text: a list or an object, as the
        # column's default makes it.
        empty = col.default.arg(None) if col.default is not None else {}  # type: ignore[attr-defined]
        schema["type"] = "array" if isinstance(empty, list) else "object"
    elif isinstance(col.type, Integer):
        schema["type"] = "integer"
    elif isinstance(col.type, Float):
        schema["type"] = "number"
    elif isinstance(col.type, DateTime):
        schema.update(type="string", format="date-time")
    elif isinstance(col.type, Date):
        schema.update(type="string", format="date")
    else:
        schema["type"] = "string"
        if isinstance(col.type, String) and col.type.length:
            schema["maxLength"] = col.type.length
    if col.comment:
        schema["description"] = col.comment
    return schema


def queryables_document(layer: Layer, self_url: str, may_see_sensitive: bool) -> dict[str, Any]:
    """The queryables of `layer` for a caller (sensitive columns only with the scope)."""
    props: dict[str, Any] = {
        "geometry": {"$ref": GEOMETRY_SCHEMA.format(kind=layer.geometry_type),
                     "x-ogc-role": "primary-geometry"},
    }
    for name, col in queryable_columns(layer, may_see_sensitive).items():
        props[name] = column_schema(col)
        if name == layer.id_column:
            props[name]["x-ogc-role"] = "id"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": self_url,
        "type": "object",
        "title": layer.title,
        "properties": props,
        "additionalProperties": False,
    }
