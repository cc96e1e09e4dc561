"""The address base as a service: the index, geocoder and reverse geocoder of one store.

Built on first use and rebuilt when the store's address table has grown or any of its rows
changed (checked at most every `check_every` seconds, at once after `forget`), so one
process serves many requests without SQL per query.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select

from addressing.errors import UnknownAddress
from addressing.index import AddressIndex, build_index
from addressing.match import Geocoder
from addressing.reverse import ReverseGeocoder
from twin.divisions import load_divisions
from twin.models import Address


@dataclass
class AddressBase:
    """A built index with its matchers."""

    index: AddressIndex
    geocoder: Geocoder
    reverse: ReverseGeocoder
    stamp: tuple[Any, ...]


def _stamp(engine: Engine) -> tuple[Any, ...]:
    """What moves when addresses are added, edited or retired, read from indexes.

    New rows raise max(id). Every write sets updated_at and bumps the version, so an edit
    raises max(updated_at) or, within the same tick of the clock (SQLite counts seconds),
    the count or the version sum of the rows at that time.
    """
    t = Address.__table__
    newest = select(func.max(t.c.updated_at)).scalar_subquery()
    stmt = select(select(func.max(t.c.id)).scalar_subquery(), func.max(t.c.updated_at),
                  func.count(), func.coalesce(func.sum(t.c.version), 0)
                  ).where(t.c.updated_at == newest)
    with engine.connect() as conn:
        return tuple(conn.execute(stmt).one())


class AddressBaseCache:
    """Holds one `AddressBase` per store, rebuilding it when the address table changes."""

    def __init__(self, check_every: float = 30.0):
        self.check_every = check_every
        self._lock = threading.Lock()
        self._base: AddressBase | None = None
        self._checked = float("-inf")

    def forget(self) -> None:
        """Check the store again on the next `get` (after a write through this process)."""
        self._checked = float("-inf")

    def get(self, engine: Engine) -> AddressBase:
        """The current address base of `engine` (built on first use)."""
        now = time.monotonic()
        base = self._base
        if base is not None and now - self._checked < self.check_every:
            return base
        with self._lock:
            stamp = _stamp(engine)
            self._checked = time.monotonic()
            if self._base is None or self._base.stamp != stamp:
                index = build_index(engine)
                self._base = AddressBase(index, Geocoder(index), ReverseGeocoder(index), stamp)
            return self._base


def address_record(engine: Engine, code: str) -> dict[str, Any]:
    """One stored address node by code, with its admin chain, point and children."""
    t = Address.__table__
    columns = [c for c in t.columns if c.name not in ("geom", "id")]
    with engine.connect() as conn:
        row = conn.execute(
            select(*columns, func.ST_X(t.c.geom).label("lon"), func.ST_Y(t.c.geom).label("lat"))
            .where(t.c.code == code)
        ).mappings().first()
        if row is None:
            raise UnknownAddress(f"no standard address has the code {code!r}")
        children = conn.execute(
            select(t.c.code, t.c.level, t.c.value).where(t.c.parent_code == code)
            .order_by(t.c.code).limit(1000)
        ).mappings().all()
    record = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
    finest = record.get("community_code") or record.get("township_code") or record["county_code"]
    record["admin"] = [{"code": d.code, "name": d.name, "level": str(d.level)}
                       for d in load_divisions().chain(finest)]
    record["children"] = [dict(c) for c in children]
    return record
