"""The address base as a service: the index, geocoder and reverse geocoder of one store.

Built in a background thread (at app start, or on first use) and rebuilt in the background
when the store's address table has grown or any of its rows changed (checked at most every
`check_every` seconds, at once after `forget`). Until the new base is ready, callers keep
getting the old one; the swap is one assignment, so nobody ever sees a half-built index.
After a write through this process, `behind` says so until a base that covers it is served:
the geocoding routes wait for that rebuild when it is quick (the writer reads its write)
and answer from the old base meanwhile when it is not (a city takes minutes).
One process serves many requests without SQL per query.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, func, select

from addressing.base_reader import build_index
from addressing.errors import AddressError, UnknownAddress
from addressing.index import AddressIndex
from addressing.match import Geocoder
from addressing.reverse import ReverseGeocoder
from twin.divisions import load_divisions
from twin.models import Address

log = logging.getLogger(__name__)


@dataclass
class AddressBase:
    """A built index with its matchers."""

    index: AddressIndex
    geocoder: Geocoder
    reverse: ReverseGeocoder
    stamp: tuple[Any, ...]
    built_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    seconds: float = 0.0


class IndexState(StrEnum):
    """Where the address base of a store stands."""

    IDLE = "idle"  # nothing asked for it yet
    BUILDING = "building"  # the first build runs: nothing to answer from
    READY = "ready"  # a base answers (a rebuild may run behind it)
    FAILED = "failed"  # the last build failed and none answers; a later request retries


@dataclass(frozen=True)
class IndexStatus:
    """A snapshot of an `AddressBaseCache`: the base it serves and the build it runs."""

    state: IndexState
    nodes: int | None = None  # of the base served
    built_at: datetime | None = None
    seconds: float | None = None  # how long that base took to build
    building: bool = False  # a build (first or rebuild) runs now
    nodes_read: int | None = None  # by the running build
    nodes_total: int | None = None  # counted when it started
    build_seconds: float | None = None  # how long the running build has run
    error: str | None = None  # why the last build failed, if it did
    failed_at: datetime | None = None

    def remaining_seconds(self) -> float | None:
        """The running build's time left at its pace so far (None: too early to say)."""
        if not self.building or not self.nodes_read or not self.nodes_total:
            return None
        done = min(self.nodes_read / self.nodes_total, 1.0)
        return (self.build_seconds or 0.0) * (1 - done) / done

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "state": str(self.state), "nodes": self.nodes,
            "built_at": self.built_at.isoformat() if self.built_at else None,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "building": self.building, "nodes_read": self.nodes_read,
            "nodes_total": self.nodes_total,
            "build_seconds": (None if self.build_seconds is None
                              else round(self.build_seconds, 3)),
            "error": self.error,
            "failed_at": self.failed_at.isoformat() if self.failed_at else None,
        }


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


class _Stopped(Exception):
    """Raised inside a build by `close`, to end it early."""


class AddressBaseCache:
    """Holds one `AddressBase` per store, (re)building it in a background thread.

    `current` never waits (None until a first base exists); `get` waits for the build.
    At most one build runs at a time. A failed build is logged and kept as `status().error`;
    the next call at least `retry_every` seconds later (or after `forget`) tries again.
    """

    def __init__(self, check_every: float = 30.0, retry_every: float = 5.0):
        self.check_every = check_every
        self.retry_every = retry_every
        # Called from the build thread with (nodes read, total): progress for a log, a way
        # to hold a build (tests do) or to stop it by raising.
        self.on_progress: Callable[[int, int], None] | None = None
        self._lock = threading.Lock()  # guards the fields below; never held over SQL
        self._base: AddressBase | None = None
        self._checked = float("-inf")  # when the last check of the store started
        self._thread: threading.Thread | None = None
        self._progress: tuple[int, int] | None = None
        self._started = 0.0
        self._error: BaseException | None = None
        self._failed = float("-inf")
        self._failed_at: datetime | None = None
        self._stop = threading.Event()
        self._writes = 0  # writes through this process (`forget` calls)
        self._covered = 0  # of those, how many the served base has seen
        self._covering = 0  # how many the running build will have seen

    def forget(self) -> None:
        """Check the store again on the next call (after a write through this process).

        A build already running may have read the rows before the write: the check then
        comes after it, so the write is never lost, only seen a rebuild later.
        """
        with self._lock:
            self._checked = float("-inf")
            self._failed = float("-inf")
            self._writes += 1

    def behind(self) -> bool:
        """A write through this process (a `forget`) is not in the served base yet."""
        return self._covered < self._writes

    @property
    def error(self) -> BaseException | None:
        """Why the last build failed (None once one succeeds)."""
        return self._error

    def current(self, engine: Engine) -> AddressBase | None:
        """The base answering now, without waiting; starts a (re)build when one is due."""
        base = self._base
        if base is None or self._due(time.monotonic()):
            self.start(engine)
            base = self._base
        return base

    def get(self, engine: Engine) -> AddressBase:
        """The base of `engine` as of now, waiting for a (re)build; raises why none exists."""
        # A build that was running may predate the caller's write: then one more round.
        for _ in range(2):
            thread = self.start(engine)
            if thread is None:
                break
            thread.join()
        with self._lock:
            base, error = self._base, self._error
        if base is None:
            raise error or RuntimeError("the address base was not built")
        return base

    def start(self, engine: Engine) -> threading.Thread | None:
        """Start a check (and a build if the table changed) when due; the running thread."""
        now = time.monotonic()
        with self._lock:
            if self._thread is not None or not self._due(now):
                return self._thread
            self._checked = self._started = now
            self._covering = self._writes
            self._progress = None
            self._stop.clear()
            thread = self._thread = threading.Thread(
                target=self._refresh, args=(engine,), name="address-index", daemon=True)
        thread.start()
        return thread

    def close(self, timeout: float = 5.0) -> None:
        """Stop a running build (at its next progress report) and wait for it a while."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def status(self) -> IndexStatus:
        """A consistent snapshot of what is served and what is being built."""
        with self._lock:
            base, building, progress = self._base, self._thread is not None, self._progress
            error, failed_at, started = self._error, self._failed_at, self._started
        if base is not None:
            state = IndexState.READY
        elif building:
            state = IndexState.BUILDING
        elif error is not None:
            state = IndexState.FAILED
        else:
            state = IndexState.IDLE
        read, total = progress or (None, None)
        return IndexStatus(
            state, nodes=base.index.size if base else None,
            built_at=base.built_at if base else None, seconds=base.seconds if base else None,
            building=building, nodes_read=read if building else None,
            nodes_total=total if building else None,
            build_seconds=time.monotonic() - started if building else None,
            error=None if error is None else f"{type(error).__name__}: {error}",
            failed_at=failed_at,
        )

    def _due(self, now: float) -> bool:
        if self._error is not None:
            return now - self._failed >= self.retry_every
        return self._base is None or now - self._checked >= self.check_every

    def _report(self, read: int, total: int) -> None:
        self._progress = (read, total)
        if self._stop.is_set():
            raise _Stopped
        if self.on_progress is not None:
            self.on_progress(read, total)

    def _refresh(self, engine: Engine) -> None:
        """The build thread: read the stamp, build if it moved, swap the new base in."""
        started = time.monotonic()
        try:
            stamp = _stamp(engine)
            old = self._base
            if old is None or old.stamp != stamp:
                index = build_index(engine, progress=self._report)
                base = AddressBase(index, Geocoder(index), ReverseGeocoder(index), stamp,
                                   seconds=time.monotonic() - started)
                log.info("address index built: %d nodes in %.1f s", index.size, base.seconds)
            else:
                base = old
            with self._lock:
                self._base, self._error, self._failed_at = base, None, None
                self._covered = self._covering
                self._thread = None
        except _Stopped:
            with self._lock:
                self._thread = None
        except Exception as exc:
            # Any failure (store unreachable, empty base …) is kept for the callers to see;
            # the thread ends, the server does not.
            if isinstance(exc, AddressError):  # said to the caller; no traceback needed
                log.warning("building the address index failed: %s", exc)
            else:
                log.exception("building the address index failed")
            with self._lock:
                self._error, self._failed = exc, time.monotonic()
                self._failed_at = datetime.now(UTC)
                self._thread = None


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
