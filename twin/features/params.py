"""The parameters of an items or item read, declared once, and their parsing into domain values.

`ItemsParams` and `ItemParams` are what every face reads: the FastAPI routes declare them
as their query parameters (their OpenAPI says what each means), the lean read path and the
pygeoapi provider build them from what they were given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Column

from twin.crs import CRS84_URI, CrsRef, bbox_to_storage, parse_crs
from twin.errors import InvalidInput
from twin.features.query import BBox, SortKey, filterable
from twin.layers import Layer, Level

# Every parameter name an items request may carry besides the layer's property filters.
COMMON = frozenset({
    "f", "limit", "bbox", "bbox-crs", "datetime", "crs", "filter", "filter-lang",
    "filter-crs", "sortby", "properties", "cursor",
})
ITEM_PARAMS = frozenset({"f", "crs", "properties"})


class ItemsParams(BaseModel):
    """The standard parameters of GET /collections/{id}/items (by their query names)."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    limit: int | None = Field(default=None, ge=1, description="Features per page (clamped to the "
                              "server maximum)")
    bbox: str | None = Field(default=None, description="minx,miny,maxx,maxy (6 numbers for 3D) in "
                             "bbox-crs (CRS84 by default)")
    bbox_crs: str | None = Field(default=None, alias="bbox-crs", description="CRS of bbox")
    datetime: str | None = Field(default=None, description="Instant or interval (a/b, ../b, a/..)")
    crs: str | None = Field(default=None, description="CRS of the response geometry")
    filter: str | None = Field(default=None, description="CQL2 filter")
    filter_lang: str | None = Field(default=None, alias="filter-lang",
                                    description="cql2-text (default) or cql2-json")
    filter_crs: str | None = Field(default=None, alias="filter-crs",
                                   description="CRS of geometry literals in filter")
    sortby: str | None = Field(default=None, description="Comma-separated properties, - for "
                               "descending: -height,code")
    properties: str | None = Field(default=None,
                                   description="Comma-separated properties to return")
    cursor: str | None = Field(default=None,
                               description="Opaque paging token from a next/prev link")

    @classmethod
    def of_query(cls, query: Mapping[str, Any]) -> ItemsParams:
        """The parameters in a request's query (other names are left to the caller)."""
        return cls.model_validate(query)


class ItemParams(BaseModel):
    """The parameters of GET /collections/{id}/items/{featureId}."""

    model_config = ConfigDict(frozen=True)

    crs: str | None = Field(default=None, description="CRS of the response geometry")
    properties: str | None = Field(default=None, description="Properties to return")


def reject_unknown(names: list[str], allowed: frozenset[str] | set[str]) -> None:
    """A misspelt parameter is an error, not a silently ignored filter."""
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise InvalidInput(
            f"unknown query parameter {unknown[0]!r}; this route takes: "
            f"{', '.join(sorted(allowed))}",
            field=unknown[0],
        )


def crs_or_default(text: str | None, field: str) -> CrsRef:
    """The named CRS, CRS84 when not given."""
    return parse_crs(text or CRS84_URI, field=field)


def parse_bbox(text: str, crs: CrsRef) -> BBox:
    """A bbox parameter as a CGCS2000 lon/lat box."""
    try:
        numbers = [float(v) for v in text.split(",")]
    except ValueError:
        raise InvalidInput("bbox takes 4 or 6 comma-separated numbers", field="bbox",
                           value=text) from None
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4:
        raise InvalidInput("bbox takes 4 or 6 comma-separated numbers", field="bbox",
                           value=text)
    a, b, c, d = numbers
    if a > c or b > d:
        raise InvalidInput("bbox lower corner must come before the upper corner "
                           "(minx,miny,maxx,maxy in the axis order of bbox-crs)",
                           field="bbox", value=text)
    if crs.is_geographic:
        lat = (a, c) if crs.northing_first else (b, d)
        if min(lat) < -90 or max(lat) > 90:
            raise InvalidInput("bbox latitude outside -90..90 (check the axis order of "
                               "bbox-crs)", field="bbox", value=text)
    return bbox_to_storage((a, b, c, d), crs)


def queryable_columns(layer: Layer, clearance: Level) -> dict[str, Column]:
    """Columns a caller cleared to `clearance` may filter and sort on (no withheld ones)."""
    cols = layer.attribute_columns(clearance)
    return {c.name: c for c in cols if filterable(c)}


def parse_sortby(text: str, sortable: dict[str, Column]) -> list[SortKey]:
    """`-height,+code,name` into sort keys."""
    keys = []
    for raw in (t.strip() for t in text.split(",")):
        if not raw:
            continue
        descending = raw.startswith("-")
        name = raw.lstrip("+-").strip()
        if name not in sortable:
            raise InvalidInput(f"cannot sort by {name!r}; sortable: {', '.join(sortable)}",
                               field="sortby", value=text)
        keys.append(SortKey(name, descending))
    return keys


def parse_properties(text: str, visible: list[Column]) -> list[str]:
    """`properties=a,b` checked against what the caller may see."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    known = {c.name for c in visible}
    for name in names:
        if name not in known:
            raise InvalidInput(f"no property {name!r}; properties are: "
                               f"{', '.join(sorted(known))}", field="properties", value=text)
    return names
