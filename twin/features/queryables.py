"""Queryables (OGC API - Features Part 3): a JSON Schema of what a filter may name."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column

from twin.features.params import queryable_columns
from twin.layers import Layer, Level
from twin.rows import json_schema

GEOMETRY_SCHEMA = "https://geojson.org/schema/{kind}.json"


def column_schema(col: Column) -> dict[str, Any]:
    """JSON Schema of one column, as every face describes it (the row model's types)."""
    schema: dict[str, Any] = {"title": col.name, **json_schema(col)}
    if col.comment:
        schema["description"] = col.comment
    return schema


def queryables_document(layer: Layer, self_url: str, clearance: Level) -> dict[str, Any]:
    """The queryables of `layer` for a caller cleared to `clearance` (no withheld columns)."""
    props: dict[str, Any] = {
        "geometry": {"$ref": GEOMETRY_SCHEMA.format(kind=layer.geometry_type),
                     "x-ogc-role": "primary-geometry"},
    }
    for name, col in queryable_columns(layer, clearance).items():
        props[name] = column_schema(col)
        props[name]["x-classification"] = layer.level_of(name).value
        if name == layer.id_column:
            props[name]["x-ogc-role"] = "id"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": self_url,
        "type": "object",
        "title": layer.title,
        "x-classification": layer.level.value,
        "properties": props,
        "additionalProperties": False,
    }
