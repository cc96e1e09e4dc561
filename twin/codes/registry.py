"""The code registry: issue, retire, split, merge, demolish — and never reuse.

Every code ever issued is a row of `code_registry` (primary key: the code), keyed also by
(scheme, natural key): asking again for the same natural key returns the same code. New
codes take the next value of a counter in `code_sequence`, one row per (scheme, prefix),
where the prefix is the code text before the allocated sequence segment.

Concurrency (PostGIS): a transaction locks the counter rows it needs (SELECT … FOR UPDATE,
always in sorted order, so two transactions never wait on each other in a cycle), then
looks the natural keys up again — a racing transaction that got there first has committed
by then — and only then allocates. A natural key raced under two different prefixes ends
at the registry's unique constraint: the loser keeps the winner's code and its counter
value is skipped, never reused. On SpatiaLite the first write takes the file's single
write lock, which gives the same order.

Retirements (retire, split, merge, demolish) are written to the audit log as well, so a
code's history says what happened, when and why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    Table,
    and_,
    bindparam,
    func,
    select,
    update,
)

from twin import models
from twin.codes.scheme import CodeScheme, SequenceSegment
from twin.codes.schemes import all_schemes
from twin.errors import Conflict, InvalidInput, NotFound
from twin.layers import layers_coded_by, layers_of_object_type
from twin.store import Store

REGISTRY: Table = models.CodeRecord.__table__  # type: ignore[assignment]
SEQUENCES: Table = models.CodeSequence.__table__  # type: ignore[assignment]
AUDIT: Table = models.AuditEntry.__table__  # type: ignore[assignment]
LOOKUP_CHUNK = 5000  # bound parameters per IN (…) list, under SQLite's limit



@dataclass(frozen=True)
class CodeRequest:
    """Ask for the code of one object, known by its natural key.

    `values` gives every segment except the sequence to allocate (by default the first
    sequence segment that `values` leaves out). A caller that holds the text before that
    sequence already (a child counted under its parent's code) gives it as `prefix`, and
    `values` then gives only the segments after the sequence.
    """

    scheme: str
    natural_key: str
    values: Mapping[str, Any]
    object_type: str | None = None
    object_id: str | None = None
    sequence: str | None = None
    predecessors: tuple[str, ...] = ()
    prefix: str | None = None


@dataclass(frozen=True)
class IssuedCode:
    """The answer to a CodeRequest: the code, and whether this call created it.

    With `full="skip"`, a request whose sequence has no value left gets `code` "" and
    `full` set to the prefix that is full.
    """

    code: str
    natural_key: str
    created: bool
    full: str | None = None


@dataclass
class CodeRecordView:
    """One registry row, with the events that retired it."""

    code: str
    scheme: str
    object_type: str
    object_id: str | None
    natural_key: str | None
    status: str
    issued_at: datetime | None
    retired_at: datetime | None
    reason: str | None
    predecessors: list[str]
    successors: list[str]
    events: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        out = dict(self.__dict__)
        for key in ("issued_at", "retired_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def _chunks(items: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _in_chunks(conn: Connection, column: Any, values: Sequence[str]) -> Iterable[Any]:
    """`column IN values`, in chunks the store takes in one statement."""
    return Store.of(conn.engine).dialect.in_lists(column, list(values), String())


def find_by_natural_keys(conn: Connection, scheme: str, keys: Sequence[str]) -> dict[str, str]:
    """natural key → code for the keys of `scheme` already in the registry."""
    found: dict[str, str] = {}
    for match in _in_chunks(conn, REGISTRY.c.natural_key, keys):
        rows = conn.execute(
            select(REGISTRY.c.natural_key, REGISTRY.c.code).where(
                REGISTRY.c.scheme == scheme, match)
        )
        found.update((k, c) for k, c in rows)
    return found


def registered(conn: Connection, codes: Sequence[str]) -> set[str]:
    """The codes among `codes` that the registry has issued (active or retired)."""
    found: set[str] = set()
    for match in _in_chunks(conn, REGISTRY.c.code, codes):
        found.update(conn.execute(select(REGISTRY.c.code).where(match)).scalars())
    return found


def record_issued(conn: Connection, records: Sequence[Mapping[str, Any]]) -> int:
    """Enter codes issued outside `issue_many` (an import's own layout) in the registry.

    Each record gives code, scheme, object_type, natural_key and reason; the code is
    active and names its object by the code itself. Returns how many went in.
    """
    rows = [{"object_id": r["code"], "status": "active", "predecessors": [],
             "successors": [], **r} for r in records]
    return len(_insert_records(conn, rows))


def _sequence_segment(scheme: CodeScheme, request: CodeRequest) -> SequenceSegment:
    if request.sequence is not None:
        return scheme.sequence(request.sequence)
    for s in scheme.segments:
        if isinstance(s, SequenceSegment) and request.values.get(s.name) is None:
            return s
    raise InvalidInput(
        f"request {request.natural_key!r} gives every sequence of scheme {scheme.name!r}; "
        "leave out the one to allocate", field="values", value=dict(request.values),
    )


def _seed(conn: Connection, scheme: CodeScheme, segments: dict[str, SequenceSegment],
          prefixes: list[str]) -> dict[str, int]:
    """First free value under each new prefix: past every code already stored anywhere
    (the registry, and tables loaded before the registry knew their codes)."""
    by_length: dict[tuple[int, int], list[str]] = defaultdict(list)
    for p in prefixes:  # a given prefix may be of any length: group by the width after it
        by_length[(len(p), segments[p].length)].append(p)
    highest = {p: segments[p].first_issued - 1 for p in prefixes}
    # Codes loaded before the registry knew them (sample data, imports) live only in the
    # tables of the layers the scheme codes.
    tables = [layer.table for layer in layers_coded_by(scheme.name, scheme.object_type)]
    for table in (REGISTRY, *tables):
        code = table.c.code
        for (length, width), group in by_length.items():
            head = func.substr(code, 1, length)
            for match in _in_chunks(conn, head, group):
                rows = conn.execute(
                    select(head, func.max(func.substr(code, length + 1, width)))
                    .where(func.length(code) == scheme.length, match)
                    .group_by(head)
                )
                for prefix, top in rows:
                    segment = segments[prefix]
                    if top and all(ch in segment.alphabet for ch in top):
                        highest[prefix] = max(highest[prefix], segment.read(top))
    return {p: v + 1 for p, v in highest.items()}


def _lock_counters(conn: Connection, scheme: CodeScheme, wanted: dict[str, SequenceSegment]
                   ) -> dict[str, int]:
    """Create missing counters, lock all of them in prefix order, return prefix → next."""
    prefixes = sorted(wanted)
    created: set[str] = set()
    for part in _chunks(prefixes, 1000):
        stmt = Store.of(conn.engine).dialect.insert_skipping_clashes(SEQUENCES).values(
            [{"scheme": scheme.name, "prefix": p, "next_value": wanted[p].first_issued}
             for p in part]
        ).returning(SEQUENCES.c.prefix)
        created.update(conn.execute(stmt).scalars())
    nexts: dict[str, int] = {}
    for part in _chunks(prefixes, 1000):
        query = (
            select(SEQUENCES.c.prefix, SEQUENCES.c.next_value)
            .where(SEQUENCES.c.scheme == scheme.name, SEQUENCES.c.prefix.in_(part))
            .order_by(SEQUENCES.c.prefix)
            .with_for_update()
        )
        nexts.update((p, v) for p, v in conn.execute(query))
    if created:
        for p, first in _seed(conn, scheme, wanted, sorted(created)).items():
            nexts[p] = max(nexts[p], first)
    return nexts


def issue_many(
    conn: Connection,
    requests: Sequence[CodeRequest],
    *,
    reason: str = "issue",
    schemes: Mapping[str, CodeScheme] | None = None,
    full: str = "raise",
    taken: Collection[str] = (),
    in_order: bool = False,
    named_by_code: bool = False,
) -> list[IssuedCode]:
    """Codes for many requests in the caller's transaction, one answer per request.

    Requests with a natural key already in the registry get its code back (`created`
    False); the rest get fresh codes. Commit or roll back the transaction as a whole.
    When a sequence has no value left under a prefix: `full="raise"` raises Conflict,
    `full="skip"` answers those requests without a code (see IssuedCode.full).
    A counter steps over the codes in `taken` (codes a caller holds that the registry and
    the layer tables do not know yet). Under one prefix values go by natural key, or in
    request order with `in_order` (a file's first door is door 1). With `named_by_code`
    the registry names each object by its code (objects whose key is their code).
    """
    schemes = schemes or all_schemes()
    by_scheme: dict[str, list[CodeRequest]] = defaultdict(list)
    for r in requests:
        if not r.natural_key:
            raise InvalidInput("a code request needs a natural key", field="natural_key",
                               value=r.natural_key)
        by_scheme[r.scheme].append(r)
    answers: dict[tuple[str, str], IssuedCode] = {}
    for name in sorted(by_scheme):
        if name not in schemes:
            raise NotFound(f"no code scheme {name!r}; schemes are: {', '.join(schemes)}")
        answers.update(_issue_scheme(conn, schemes[name], by_scheme[name], reason, full,
                                     _Allocation(taken, in_order, named_by_code)))
    return [answers[(r.scheme, r.natural_key)] for r in requests]


@dataclass(frozen=True)
class _Allocation:
    """How `issue_many` hands out values (see its docstring)."""

    taken: Collection[str] = ()
    in_order: bool = False
    named_by_code: bool = False


def _issue_scheme(conn: Connection, scheme: CodeScheme, requests: list[CodeRequest],
                  reason: str, full: str = "raise", how: _Allocation = _Allocation()
                  ) -> dict[tuple[str, str], IssuedCode]:
    unique: dict[str, CodeRequest] = {}
    for r in requests:
        unique.setdefault(r.natural_key, r)
    out: dict[tuple[str, str], IssuedCode] = {}
    known = find_by_natural_keys(conn, scheme.name, list(unique))
    pending = [r for k, r in unique.items() if k not in known]
    plan: dict[str, list[CodeRequest]] = defaultdict(list)
    segments: dict[str, SequenceSegment] = {}
    prefixes: dict[tuple[Any, ...], str] = {}  # a batch repeats few parents: validate once
    for r in pending:
        segment = _sequence_segment(scheme, r)
        prefix = r.prefix
        if prefix is None:
            parent = (segment.name, *(r.values.get(s.name) for s in scheme.segments))
            prefix = prefixes.get(parent)
            if prefix is None:
                prefix = prefixes[parent] = scheme.prefix(r.values, segment.name)
        plan[prefix].append(r)
        segments[prefix] = segment
    if plan:
        nexts = _lock_counters(conn, scheme, segments)
        # Looked up again under the locks: a racing transaction has committed by now.
        known.update(find_by_natural_keys(conn, scheme.name, [r.natural_key for r in pending]))
        rows: list[dict[str, Any]] = []
        counters: list[dict[str, Any]] = []
        tails: dict[tuple[str, int], str] = {}
        for prefix in sorted(plan):
            segment, value = segments[prefix], nexts[prefix]
            order = plan[prefix] if how.in_order else sorted(plan[prefix],
                                                               key=lambda r: r.natural_key)
            for r in order:
                if r.natural_key in known:
                    continue
                # What follows the sequence is the same for every request sharing its values
                # (an import's nodes all end in zeros): rendered once per values given.
                tail = tails.get((segment.name, id(r.values)))
                if tail is None:
                    tail = scheme.compose_body("", segment.name, segment.start,
                                               r.values)[segment.length:]
                    tails[(segment.name, id(r.values))] = tail
                body = ""
                while value < segment.capacity:
                    body = prefix + segment.render(value) + tail
                    if not how.taken or _finished(scheme, body) not in how.taken:
                        break
                    value += 1
                if value >= segment.capacity:
                    if full == "skip":
                        out[(scheme.name, r.natural_key)] = IssuedCode("", r.natural_key,
                                                                       False, prefix)
                        continue
                    raise Conflict(
                        f"sequence {segment.name!r} of scheme {scheme.name!r} is exhausted "
                        f"under prefix {prefix!r}"
                    )
                value += 1
                rows.append({
                    "code": body, "scheme": scheme.name,
                    "object_type": r.object_type or scheme.object_type,
                    "object_id": r.object_id, "natural_key": r.natural_key, "status": "active",
                    "reason": reason, "predecessors": list(r.predecessors), "successors": [],
                })
            if value != nexts[prefix]:
                counters.append({"p": prefix, "v": value})
        for row, code in zip(rows, scheme.finish([row["code"] for row in rows]), strict=True):
            row["code"] = code
            if how.named_by_code:
                row["object_id"] = code
        if counters:
            conn.execute(
                update(SEQUENCES)
                .where(SEQUENCES.c.scheme == scheme.name,
                       SEQUENCES.c.prefix == bindparam("p"))
                .values(next_value=bindparam("v")),
                counters,
            )
        inserted = _insert_records(conn, rows)
        lost = [row for row in rows if row["natural_key"] not in inserted]
        if lost:
            winners = find_by_natural_keys(conn, scheme.name, [row["natural_key"] for row in lost])
            for row in lost:
                if row["natural_key"] not in winners:
                    raise Conflict(
                        f"code {row['code']} is already taken by another object; the "
                        f"{scheme.name} counter under its prefix is behind the store"
                    )
            known.update(winners)
        for row in rows:
            if row["natural_key"] in inserted:
                out[(scheme.name, row["natural_key"])] = IssuedCode(row["code"],
                                                                    row["natural_key"], True)
    for k, code in known.items():
        out.setdefault((scheme.name, k), IssuedCode(code, k, False))
    return out


def _finished(scheme: CodeScheme, body: str) -> str:
    return scheme.finish([body])[0] if scheme.check is not None else body


def _insert_records(conn: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """Insert new registry rows, skipping any that clash; natural keys of those that went in."""
    return Store.of(conn.engine).dialect.insert_new(conn, REGISTRY, rows, "natural_key")


def issue(conn: Connection, request: CodeRequest, *, reason: str = "issue") -> IssuedCode:
    """The code for one request (see `issue_many`)."""
    return issue_many(conn, [request], reason=reason)[0]


# lookups ---------------------------------------------------------------------------------


def _view(row: Any) -> CodeRecordView:
    return CodeRecordView(
        code=row.code, scheme=row.scheme, object_type=row.object_type, object_id=row.object_id,
        natural_key=row.natural_key, status=row.status, issued_at=row.issued_at,
        retired_at=row.retired_at, reason=row.reason, predecessors=list(row.predecessors or []),
        successors=list(row.successors or []),
    )


def lookup(conn: Connection, code: str) -> CodeRecordView | None:
    """The registry row of `code`, with its events, or None if it was never issued."""
    row = conn.execute(select(REGISTRY).where(REGISTRY.c.code == code)).first()
    if row is None:
        return None
    view = _view(row)
    view.events = _events(conn, [code]).get(code, [])
    return view


def _events(conn: Connection, codes: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for part in _chunks(list(codes)):
        rows = conn.execute(
            select(AUDIT.c.at, AUDIT.c.actor, AUDIT.c.action, AUDIT.c.object_id, AUDIT.c.detail)
            .where(AUDIT.c.layer == "code_registry", AUDIT.c.object_id.in_(part))
            .order_by(AUDIT.c.id)
        )
        for r in rows:
            out[r.object_id].append({"at": r.at.isoformat() if r.at else None,
                                     "actor": r.actor, "action": r.action, **(r.detail or {})})
    return out


def history(conn: Connection, code: str) -> list[CodeRecordView]:
    """Every code linked to `code` by split, merge or succession, oldest first."""
    first = lookup(conn, code)
    if first is None:
        raise NotFound(f"code {code!r} was never issued by the registry")
    seen: dict[str, CodeRecordView] = {code: first}
    frontier = [*first.predecessors, *first.successors]
    while frontier:
        batch = [c for c in dict.fromkeys(frontier) if c not in seen]
        frontier = []
        if not batch:
            break
        for row in conn.execute(select(REGISTRY).where(REGISTRY.c.code.in_(batch))):
            view = _view(row)
            seen[view.code] = view
            frontier += [*view.predecessors, *view.successors]
    events = _events(conn, list(seen))
    for c, view in seen.items():
        view.events = events.get(c, [])
    return sorted(seen.values(), key=lambda v: (v.issued_at or datetime.min, v.code))


# retirements -----------------------------------------------------------------------------


def _audit(conn: Connection, action: str, code: str, actor: str, detail: dict[str, Any]) -> None:
    conn.execute(AUDIT.insert().values(actor=actor, action=action, layer="code_registry",
                                       object_id=code, detail=detail))


def retire(conn: Connection, code: str, *, reason: str = "retire",
           successors: Sequence[str] = (), actor: str = "system") -> CodeRecordView:
    """Retire an active code (it stays in the registry for good). Idempotent."""
    row = conn.execute(
        select(REGISTRY).where(REGISTRY.c.code == code).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"code {code!r} was never issued by the registry")
    view = _view(row)
    if view.status == "retired":
        if sorted(view.successors) != sorted(successors):
            raise Conflict(
                f"code {code} was already retired with successors {view.successors}; "
                f"cannot retire it again with {list(successors)}"
            )
        return view
    conn.execute(
        update(REGISTRY).where(and_(REGISTRY.c.code == code, REGISTRY.c.status == "active"))
        .values(status="retired", retired_at=func.current_timestamp(),
                successors=list(successors))
    )
    _audit(conn, reason, code, actor, {"successors": list(successors)})
    return lookup(conn, code)  # type: ignore[return-value]


def split(conn: Connection, code: str, parts: Sequence[CodeRequest], *,
          actor: str = "system") -> list[IssuedCode]:
    """One object becomes several: new codes with `code` as predecessor; `code` retires."""
    if len(parts) < 2:
        raise InvalidInput("a split needs at least two parts", field="parts", value=len(parts))
    _require_active_or_same(conn, code)
    issued = issue_many(
        conn, [_with_predecessors(p, (code,)) for p in parts], reason="split"
    )
    retire(conn, code, reason="split", successors=[i.code for i in issued], actor=actor)
    return issued


def merge(conn: Connection, codes: Sequence[str], into: CodeRequest, *,
          actor: str = "system") -> IssuedCode:
    """Several objects become one: a new code with all of `codes` as predecessors."""
    if len(set(codes)) < 2:
        raise InvalidInput("a merge needs at least two codes", field="codes", value=list(codes))
    for c in codes:
        _require_active_or_same(conn, c)
    issued = issue(conn, _with_predecessors(into, tuple(codes)), reason="merge")
    for c in codes:
        retire(conn, c, reason="merge", successors=[issued.code], actor=actor)
    return issued


def demolish(conn: Connection, code: str, *, actor: str = "system") -> CodeRecordView:
    """The object is gone: its code retires with no successor; the object row is marked."""
    view = retire(conn, code, reason="demolish", actor=actor)
    for layer in layers_of_object_type(view.object_type):
        if "status" in layer.table.c:
            conn.execute(update(layer.table).where(layer.table.c.code == code)
                         .values(status="demolished"))
    return view


def _require_active_or_same(conn: Connection, code: str) -> None:
    view = lookup(conn, code)
    if view is None:
        raise NotFound(f"code {code!r} was never issued by the registry")


def _with_predecessors(request: CodeRequest, predecessors: tuple[str, ...]) -> CodeRequest:
    return CodeRequest(
        scheme=request.scheme, natural_key=request.natural_key, values=request.values,
        object_type=request.object_type, object_id=request.object_id,
        sequence=request.sequence, predecessors=predecessors,
    )
