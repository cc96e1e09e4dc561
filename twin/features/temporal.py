"""The OGC `datetime` parameter: instants and intervals, and their SQL against a layer."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import NamedTuple

from sqlalchemy import Column, ColumnElement, Date, and_, or_

from twin.errors import InvalidInput
from twin.layers import Layer

Instant = date | datetime


class Interval(NamedTuple):
    """A closed time interval; None at either end means open."""

    start: Instant | None
    end: Instant | None


def parse_instant(text: str, field: str = "datetime") -> Instant:
    """An RFC 3339 date-time or a full date."""
    value = text.strip()
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        parsed = datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"{value!r} is not an RFC 3339 date-time (2024-05-01T08:00:00Z) or date "
            f"(2024-05-01)",
            field=field,
            value=text,
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_datetime(text: str) -> Interval:
    """`instant`, `start/end`, `../end` or `start/..` (also with empty open ends)."""
    parts = text.split("/")
    if len(parts) == 1:
        instant = parse_instant(parts[0])
        return Interval(instant, instant)
    if len(parts) != 2:
        raise InvalidInput(
            "datetime is an instant or an interval start/end", field="datetime", value=text
        )
    start, end = (None if p in ("", "..") else parse_instant(p) for p in parts)
    if start is None and end is None:
        raise InvalidInput("datetime interval open at both ends", field="datetime", value=text)
    if start is not None and end is not None and _as_datetime(start, False) > _as_datetime(
        end, True
    ):
        raise InvalidInput("datetime interval ends before it starts", field="datetime",
                           value=text)
    return Interval(start, end)


def _as_datetime(value: Instant, end_of_day: bool) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time.max if end_of_day else time.min, tzinfo=UTC)


def bind_instant(column: Column | ColumnElement, value: Instant, *, end: bool,
                 naive_utc: bool) -> Instant:
    """`value` as the column's type wants it (a date for DATE columns, UTC for times)."""
    if isinstance(column.type, Date):
        return value.date() if isinstance(value, datetime) else value
    moment = _as_datetime(value, end).astimezone(UTC)
    # SQLite keeps CURRENT_TIMESTAMP as naive UTC text; compare like with like.
    return moment.replace(tzinfo=None) if naive_utc else moment


def datetime_clause(layer: Layer, interval: Interval, *, naive_utc: bool) -> ColumnElement[bool]:
    """Features whose instant or validity period meets `interval`.

    Layers with a temporal pair (start, end) match when their period overlaps; others
    use the column of their last change (`updated_at`).
    """
    table = layer.table
    start_name, end_name = layer.temporal or ("updated_at", None)
    if start_name not in table.c:
        raise InvalidInput(f"{layer.name} features carry no time; datetime does not apply",
                           field="datetime")
    start_col = table.c[start_name]
    end_col = table.c[end_name] if end_name else start_col
    clauses: list[ColumnElement[bool]] = []
    if interval.end is not None:
        clauses.append(start_col <= bind_instant(start_col, interval.end, end=True,
                                                 naive_utc=naive_utc))
    if interval.start is not None:
        bound = bind_instant(end_col, interval.start, end=False, naive_utc=naive_utc)
        clauses.append(or_(end_col.is_(None), end_col >= bound) if end_name else end_col >= bound)
    return and_(*clauses)
