"""Writes through OGC API - Features Part 4: the HTTP side of `twin.editing`.

A request body becomes an `Edit` (GeoJSON Feature, geometry in the Content-Crs) and an
If-Match header the versions the writer saw; creating, changing and retiring, with
placement, codes and audit, happen in `twin.editing` for every face alike.
"""

from __future__ import annotations

from typing import Any

import orjson

from twin.crs import CrsRef
from twin.editing import Edit
from twin.errors import InvalidInput
from twin.rows import geometry_from_geojson


def _bad(message: str, field: str | None, value: object = None) -> InvalidInput:
    return InvalidInput(message, field=field, value=value)


def parse_body(raw: bytes, crs: CrsRef, *, patch: bool = False) -> Edit:
    """The request body, a GeoJSON Feature (a merge patch may leave out `type`), as an Edit."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _bad(f"the body is not JSON: {exc}", "body") from None
    if patch and isinstance(body, dict):
        body.setdefault("type", "Feature")
    if not isinstance(body, dict) or body.get("type") != "Feature":
        raise _bad('the body must be a GeoJSON Feature ({"type": "Feature", ...})', "type",
                   body.get("type") if isinstance(body, dict) else None)
    props = body.get("properties") or {}
    if not isinstance(props, dict):
        raise _bad("properties must be an object", "properties", props)
    geometry: Any = body.get("geometry")
    return Edit(
        properties=props,
        geometry=None if geometry is None else geometry_from_geojson(geometry),
        geometry_given=not patch or "geometry" in body,
        crs=crs,
        code=body.get("id"),
    )


def if_match_versions(if_match: str | None) -> set[int] | None:
    """The versions an If-Match header accepts (None: any, for no header or `*`).

    An ETag that is not one of ours matches no version, so the write is refused with 412.
    """
    if if_match is None or if_match.strip() == "*":
        return None
    versions = set()
    for tag in if_match.split(","):
        text = tag.strip().removeprefix("W/").strip('"')
        if text.isdigit():
            versions.add(int(text))
    return versions
