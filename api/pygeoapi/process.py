"""A pygeoapi process that geocodes Chinese addresses with the twin's addressing package.

In a pygeoapi configuration::

    geocode:
      type: process
      processor:
        name: api.pygeoapi.process.GeocodeProcessor
        data: postgresql+psycopg://user@host/twin    # the store holding the address base

Inputs: `address` (one string) or `addresses` (a list, up to MAX_BATCH), and `crs`
(CGCS2000 by default; WGS84, GCJ-02 or BD-09 for display). The answer is the geocoder's own
result: status (matched / partial / tie / unmatched), code, full text, score, reason,
coordinates and candidates. The address base is built once per process and rebuilt when
the store's address table changes (addressing.service).
"""

from __future__ import annotations

import os
from typing import Any

from pygeoapi.process.base import BaseProcessor, ProcessorExecuteError

from api.pygeoapi.provider import engine_for

MAX_BATCH = 1_000

PROCESS_METADATA: dict[str, Any] = {
    "version": "0.1.0",
    "id": "geocode",
    "title": {"en": "Geocode Chinese addresses", "zh": "地址匹配"},
    "description": {
        "en": "Turns messy Chinese addresses into standard addresses, codes and coordinates "
              "(matched / partial / tie / unmatched, with a score and the reason).",
        "zh": "把不规范的地址匹配为标准地址、地址编码和坐标。",
    },
    "jobControlOptions": ["sync-execute"],
    "keywords": ["geocoding", "standard address", "一标三实"],
    "links": [],
    "inputs": {
        "address": {
            "title": "Address", "description": "one address as typed",
            "schema": {"type": "string"}, "minOccurs": 0, "maxOccurs": 1,
        },
        "addresses": {
            "title": "Addresses", "description": f"up to {MAX_BATCH} addresses, in order",
            "schema": {"type": "array", "items": {"type": "string"}},
            "minOccurs": 0, "maxOccurs": 1,
        },
        "crs": {
            "title": "CRS of the answer", "description": "CGCS2000 (default), WGS84, GCJ02, BD09",
            "schema": {"type": "string"}, "minOccurs": 0, "maxOccurs": 1,
        },
    },
    "outputs": {
        "result": {
            "title": "Geocoding result(s)",
            "schema": {"type": "object", "contentMediaType": "application/json"},
        }
    },
    "example": {"inputs": {"address": "深圳市南山区科技园路1号"}},
}


class GeocodeProcessor(BaseProcessor):
    """OGC API - Processes face of `addressing`'s geocoder."""

    def __init__(self, processor_def: dict[str, Any]):
        """Remember which store's address base to match against."""
        super().__init__(processor_def, PROCESS_METADATA)
        self.database_url = processor_def.get("data") or os.environ.get("TWIN_DATABASE_URL")
        if not self.database_url:
            raise ProcessorExecuteError(
                "the geocode process needs `data:` (a store URL) or TWIN_DATABASE_URL"
            )

    def execute(self, data: dict[str, Any], outputs: dict | None = None
                ) -> tuple[str, dict[str, Any]]:
        """Geocode `address` or `addresses`; answer JSON."""
        queries, single = _queries(data)
        crs = data.get("crs")
        # Imported here: pygeoapi loads every configured plugin at start, and the address
        # index is only worth building once someone asks for it.
        from addressing.service import AddressBaseCache

        base = _cache(AddressBaseCache).get(engine_for(self.database_url))
        try:
            results = [base.geocoder.geocode(q, crs).as_dict() for q in queries]
        except ValueError as exc:  # an unknown CRS name, say
            raise ProcessorExecuteError(user_msg=str(exc)) from exc
        value: Any = results[0] if single else results
        return "application/json", {"id": "result", "value": value}

    def __repr__(self) -> str:
        return f"<GeocodeProcessor> {self.name}"


def _queries(data: dict[str, Any]) -> tuple[list[str], bool]:
    if "address" in data and "addresses" in data:
        raise ProcessorExecuteError(user_msg="give `address` or `addresses`, not both")
    if "address" in data:
        if not isinstance(data["address"], str):
            raise ProcessorExecuteError(
                user_msg=f"`address` must be a string, got {type(data['address']).__name__}"
            )
        return [data["address"]], True
    batch = data.get("addresses")
    if not isinstance(batch, list) or not all(isinstance(q, str) for q in batch):
        raise ProcessorExecuteError(
            user_msg="inputs need `address` (a string) or `addresses` (a list of strings)"
        )
    if len(batch) > MAX_BATCH:
        raise ProcessorExecuteError(
            user_msg=f"`addresses` holds {len(batch)} items; at most {MAX_BATCH} per request"
        )
    return batch, False


_CACHES: dict[type, Any] = {}


def _cache(kind: type) -> Any:
    """One address-base cache per process, shared by every request."""
    if kind not in _CACHES:
        _CACHES[kind] = kind()
    return _CACHES[kind]
