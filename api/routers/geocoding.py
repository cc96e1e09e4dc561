"""Geocoding routes: GET/POST /geocode, GET /reverse, GET /addresses/{code}, /geocode/status.

The address index is built from the store in a background thread (at start, or on first
use) and rebuilt in the background when the address table changes; every query is answered
from memory. Until a first index exists the routes that need it answer 503 with
Retry-After; during a rebuild they answer from the previous index.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request

from addressing.errors import AddressBaseEmpty, BatchTooLarge
from addressing.service import (
    AddressBase,
    AddressBaseCache,
    IndexState,
    IndexStatus,
    address_record,
)
from api.dependencies import EngineDep, SettingsDep
from api.errors import PROBLEM_JSON, AddressIndexNotReady

router = APIRouter(tags=["Geocoding"])

CrsQuery = Annotated[
    str | None,
    Query(description="CRS of the coordinates: CGCS2000 (EPSG:4490, default), WGS84 "
          "(EPSG:4326), GCJ-02 or BD-09 (the last two for display on Chinese web maps only)"),
]

NOT_READY: dict[int | str, dict[str, Any]] = {503: {
    "description": "No address index yet: the first build is running (progress in the "
    "body: nodes_read of nodes_total) or the last build failed (the reason in `error`; a "
    "later request retries). Retry after the seconds in the Retry-After header. A rebuild "
    "after an edit never gives 503: a quick one is waited for, so an edit is geocoded at "
    "once; during a long one the previous index answers.",
    "headers": {"Retry-After": {"description": "seconds to wait before asking again",
                                "schema": {"type": "integer"}}},
    "content": {PROBLEM_JSON: {"example": {
        "type": "about:blank", "title": "Address index not ready", "status": 503,
        "detail": "the address index is being built (4096 of 7897 address nodes read); "
                  "retry in 2 s", "instance": "/geocode", "state": "building",
        "nodes_read": 4096, "nodes_total": 7897, "error": None}}},
}}


def address_cache(request: Request) -> AddressBaseCache:
    """The app's address base cache (made in the lifespan; here too if it was not)."""
    cache = getattr(request.app.state, "address_base", None)
    if cache is None:
        retry = request.app.state.settings.api.address_index_retry
        cache = request.app.state.address_base = AddressBaseCache(retry_every=retry)
    return cache


async def address_base(request: Request, engine: EngineDep, settings: SettingsDep
                       ) -> AddressBase:
    """The in-memory address base of the app's store; 503 while there is none yet.

    Async so that requests waiting for a build hold no worker thread: they poll the cache
    (no SQL) for up to TWIN_ADDRESS_INDEX_WAIT seconds for a first build, and for up to
    TWIN_ADDRESS_INDEX_FRESH_WAIT seconds for the rebuild after a write through this server
    when the served base took no longer than that to build (else the old base answers).
    """
    cache = address_cache(request)
    deadline = time.monotonic() + settings.api.address_index_wait
    pause = 0.01
    while (base := cache.current(engine)) is None:
        status = cache.status()
        if status.state is not IndexState.BUILDING or time.monotonic() >= deadline:
            raise _not_ready(cache, status, settings.api.address_index_retry)
        await asyncio.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
        pause = min(pause * 2, 0.25)
    fresh = settings.api.address_index_fresh_wait
    if cache.behind() and base.seconds <= fresh:
        deadline, pause = time.monotonic() + fresh, 0.01
        while cache.behind() and time.monotonic() < deadline:
            await asyncio.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
            pause = min(pause * 2, 0.25)
            base = cache.current(engine) or base  # starts the rebuild that covers the write
    return base


def _not_ready(cache: AddressBaseCache, status: IndexStatus, retry: float) -> Exception:
    """What a request without an index is told: why, how far the build is, when to retry."""
    if isinstance(cache.error, AddressBaseEmpty) and status.state is IndexState.FAILED:
        return AddressBaseEmpty(str(cache.error))  # nothing to wait for: import a base
    members: dict[str, object] = {
        "state": str(status.state), "nodes_read": status.nodes_read,
        "nodes_total": status.nodes_total, "error": status.error}
    if status.state is IndexState.BUILDING:
        left = status.remaining_seconds()
        wait = min(max(math.ceil(left if left is not None else retry), 1), 60)
        read = ("" if status.nodes_total is None else
                f" ({status.nodes_read} of {status.nodes_total} address nodes read)")
        detail = f"the address index is being built{read}; retry in {wait} s"
        if status.error:
            detail += f" (the previous build failed: {status.error})"
    elif status.state is IndexState.FAILED:
        wait = max(math.ceil(retry), 1)
        detail = (f"building the address index failed: {status.error}; a request after "
                  f"{wait} s tries again (check the store: GET /health)")
    else:  # built between the check and now
        wait, detail = 1, "the address index was just built; retry now"
    return AddressIndexNotReady(detail, retry_after=wait, members=members)


AddressBaseDep = Annotated[AddressBase, Depends(address_base)]


@router.get("/geocode/status", operation_id="getGeocodeStatus",
            summary="State of the address index")
def geocode_status(request: Request) -> dict[str, Any]:
    """building/ready/failed/idle, node count, built_at, seconds taken, build progress, error."""
    return address_cache(request).status().as_dict()


@router.get("/geocode", operation_id="geocode", summary="Match one typed address",
            responses=NOT_READY)
def geocode_one(
    base: AddressBaseDep,
    q: Annotated[str, Query(description="the address as typed, e.g. 深圳南山科苑路15号A座1201",
                            min_length=1, max_length=500)],
    crs: CrsQuery = None,
) -> dict[str, Any]:
    """Status (matched/partial/tie/unmatched), code, canonical text, elements, score, reason."""
    return base.geocoder.geocode(q, crs).as_dict()


@router.post("/geocode", operation_id="geocodeBatch", summary="Match a list of typed addresses",
             responses=NOT_READY)
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


@router.get("/reverse", operation_id="reverseGeocode", summary="Nearest door or building address",
            responses=NOT_READY)
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
