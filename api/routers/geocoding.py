"""Geocoding routes: GET/POST /geocode, GET /reverse, GET /addresses/{code}.

The address index is built from the store on first use (and rebuilt when the address
table changes); every query is then answered from memory.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request

from addressing.errors import BatchTooLarge
from addressing.service import AddressBase, AddressBaseCache, address_record
from api.dependencies import EngineDep, SettingsDep

router = APIRouter(tags=["Geocoding"])

CrsQuery = Annotated[
    str | None,
    Query(description="CRS of the coordinates: CGCS2000 (EPSG:4490, default), WGS84 "
          "(EPSG:4326), GCJ-02 or BD-09 (the last two for display on Chinese web maps only)"),
]


def address_base(request: Request, engine: EngineDep) -> AddressBase:
    """The in-memory address base of the app's store."""
    cache = getattr(request.app.state, "address_base", None)
    if cache is None:
        cache = request.app.state.address_base = AddressBaseCache()
    return cache.get(engine)


AddressBaseDep = Annotated[AddressBase, Depends(address_base)]


@router.get("/geocode", operation_id="geocode", summary="Match one typed address")
def geocode_one(
    base: AddressBaseDep,
    q: Annotated[str, Query(description="the address as typed, e.g. 深圳南山科苑路15号A座1201",
                            min_length=1, max_length=500)],
    crs: CrsQuery = None,
) -> dict[str, Any]:
    """Status (matched/partial/tie/unmatched), code, canonical text, elements, score, reason."""
    return base.geocoder.geocode(q, crs).as_dict()


@router.post("/geocode", operation_id="geocodeBatch", summary="Match a list of typed addresses")
def geocode_batch(
    base: AddressBaseDep,
    settings: SettingsDep,
    addresses: Annotated[list[Any], Body(
        description="a JSON list of address strings, answered in the same order; at most "
        "TWIN_MAX_GEOCODE_BATCH (default 1000) per request",
        examples=[["广东省深圳市南山区科苑路15号科兴科学园A座1201", "深圳南山区深南大道1号"]],
    )],
    crs: CrsQuery = None,
) -> dict[str, Any]:
    """One result per address, in order; a non-string item gets an `unmatched` result."""
    limit = settings.api.max_geocode_batch
    if len(addresses) > limit:
        raise BatchTooLarge(
            f"{len(addresses)} addresses in one request; the limit is {limit} "
            "(TWIN_MAX_GEOCODE_BATCH) — split the list or use `twin geocode FILE`",
            field="addresses", value=len(addresses),
        )
    results = []
    for i, item in enumerate(addresses):
        if isinstance(item, str):
            results.append(base.geocoder.geocode(item, crs).as_dict())
        else:
            results.append({"query": item, "status": "unmatched", "index": i,
                            "reason": f"item {i} is not a string"})
    return {"count": len(results), "results": results}


@router.get("/reverse", operation_id="reverseGeocode", summary="Nearest door or building address")
def reverse(
    base: AddressBaseDep,
    lon: Annotated[float, Query(description="longitude in `crs`")],
    lat: Annotated[float, Query(description="latitude in `crs`")],
    crs: CrsQuery = None,
    radius: Annotated[float, Query(description="search radius in metres", gt=0)] = 500.0,
    limit: Annotated[int, Query(description="how many addresses, nearest first", ge=1,
                                le=50)] = 1,
) -> dict[str, Any]:
    """The nearest door/building addresses with their admin chain and distance in metres."""
    found = base.reverse.nearest(lon, lat, crs=crs, radius_m=radius, limit=limit)
    return {
        "lon": lon, "lat": lat, "crs": crs or "CGCS2000", "radius_m": radius,
        "status": "found" if found else "none within radius",
        "addresses": [a.as_dict() for a in found],
    }


@router.get("/addresses/{code}", operation_id="getAddress", summary="One standard address")
def address(
    engine: EngineDep,
    code: Annotated[str, Path(description="standard address code", max_length=40)],
) -> dict[str, Any]:
    """The stored node: elements, canonical text, admin chain, point and child codes."""
    return address_record(engine, code)
