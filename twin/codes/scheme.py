"""Code schemes as data: an ordered list of segments and a check algorithm.

A scheme is declared once (in Python for the shipped ones, in JSON/YAML for a city's own)
and generating, validating and parsing are generic over it:

    admin     an administrative code of `length` digits (2/4/6/9/12), optionally required
              to exist in the NBS table (and be of `level`)
    year      a 4-digit year (`allow_unknown` lets 0000 mean "not known")
    sequence  a number of `length` digits (or characters of `alphabet`), counted within
              everything before it (its parent prefix); `start` is its least value and,
              unless `first` says otherwise, the first one issued
    beidou    a BeiDou grid location code at `level` (2D)
    value     a fixed-length field given by the caller (a class code …), optionally one of
              `values` (value → meaning)
    constant  fixed text
    check     check characters over everything before it (`algorithm`, e.g. mod11-2)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from twin.codes import beidou
from twin.codes.check import CHECK_ALGORITHMS, check_characters, check_characters_many
from twin.divisions import Level, load_divisions
from twin.errors import InvalidInput, NotFound

DIGITS = "0123456789"


class _Segment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="field name used by generate() and parse()")
    title: str = ""

    @property
    def width(self) -> int:
        """Characters this segment takes."""
        raise NotImplementedError


class AdminSegment(_Segment):
    """An administrative division code."""

    kind: Literal["admin"] = "admin"
    length: Literal[2, 4, 6, 9, 12] = 12
    must_exist: bool = True
    level: Level | None = None

    @property
    def width(self) -> int:
        """Characters this segment takes."""
        return self.length


class YearSegment(_Segment):
    """A 4-digit year."""

    kind: Literal["year"] = "year"
    allow_unknown: bool = True
    minimum: int = 1800
    maximum: int = 2100

    @property
    def width(self) -> int:
        """Characters this segment takes."""
        return 4


class SequenceSegment(_Segment):
    """A counter within the prefix before it."""

    kind: Literal["sequence"] = "sequence"
    length: int = Field(ge=1, le=12)
    start: int = Field(default=1, ge=0)
    first: int | None = Field(default=None, description="the first value issued, when it "
                              "is above `start` (a value below it means something else)")
    alphabet: str = DIGITS

    @property
    def width(self) -> int:
        """Characters this segment takes."""
        return self.length

    @model_validator(mode="after")
    def _ordered_alphabet(self) -> SequenceSegment:
        # Counters are seeded from the largest code text in the store: that needs text
        # order and number order to agree.
        if list(self.alphabet) != sorted(set(self.alphabet)):
            raise ValueError(f"sequence {self.name!r}: alphabet must be distinct characters "
                             f"in ascending order, got {self.alphabet!r}")
        if self.first is not None and self.first < self.start:
            raise ValueError(f"sequence {self.name!r}: first ({self.first}) is below start "
                             f"({self.start})")
        return self

    @property
    def first_issued(self) -> int:
        """The value a new counter gives first."""
        return self.start if self.first is None else self.first

    @property
    def capacity(self) -> int:
        """The first value that no longer fits."""
        return len(self.alphabet) ** self.length

    def render(self, value: int) -> str:
        """The value written in the segment's alphabet, zero-padded."""
        if not self.start <= value < self.capacity:
            raise InvalidInput(
                f"sequence {self.name!r} must be {self.start}–{self.capacity - 1}, got {value}",
                field=self.name, value=value,
            )
        if self.alphabet == DIGITS:
            return f"{value:0{self.length}d}"
        base, out = len(self.alphabet), ""
        for _ in range(self.length):
            out = self.alphabet[value % base] + out
            value //= base
        return out

    def read(self, text: str) -> int:
        """The number a rendered value stands for."""
        base, value = len(self.alphabet), 0
        for ch in text:
            value = value * base + self.alphabet.index(ch)
        return value


class BeidouSegment(_Segment):
    """A 2D BeiDou grid location code at a fixed level."""

    kind: Literal["beidou"] = "beidou"
    level: int = Field(ge=1, le=10)

    @property
    def width(self) -> int:
        """Characters this segment takes."""
        return beidou.CODE_LENGTH_2D[self.level]


class ValueSegment(_Segment):
    """A fixed-length field the caller supplies (class, subclass, type …)."""

    kind: Literal["value"] = "value"
    length: int = Field(ge=1, le=40)
    alphabet: str = DIGITS
    values: dict[str, str] | None = Field(default=None, description="allowed value → meaning")

    @property
    def width(self) -> int:
        """Characters this segment takes."""
        return self.length


class ConstantSegment(_Segment):
    """Fixed text."""

    kind: Literal["constant"] = "constant"
    value: str

    @property
    def width(self) -> int:
        """Characters this segment takes."""
        return len(self.value)


class CheckSegment(_Segment):
    """Check characters over everything before it."""

    kind: Literal["check"] = "check"
    name: str = "check"
    algorithm: str = "mod11-2"

    @model_validator(mode="after")
    def _known_algorithm(self) -> CheckSegment:
        if self.algorithm not in CHECK_ALGORITHMS:
            raise ValueError(
                f"unknown check algorithm {self.algorithm!r}; known: {', '.join(CHECK_ALGORITHMS)}"
            )
        return self

    @property
    def width(self) -> int:
        """Characters this segment takes."""
        return CHECK_ALGORITHMS[self.algorithm][1]


Segment = Annotated[
    AdminSegment | YearSegment | SequenceSegment | BeidouSegment | ValueSegment
    | ConstantSegment | CheckSegment,
    Field(discriminator="kind"),
]


@dataclass(frozen=True)
class ParsedSegment:
    """One segment of a parsed code: its text and what it means."""

    name: str
    kind: str
    text: str
    start: int
    meaning: str | None = None
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "name": self.name, "kind": self.kind, "text": self.text, "start": self.start,
            "meaning": self.meaning, "value": self.value,
        }


@dataclass(frozen=True)
class ParsedCode:
    """A code split into its segments under one scheme."""

    scheme: str
    code: str
    segments: list[ParsedSegment]

    def __getitem__(self, name: str) -> ParsedSegment:
        return next(s for s in self.segments if s.name == name)

    def values(self) -> dict[str, Any]:
        """Segment name → value (ints for sequences and years, text otherwise)."""
        return {s.name: s.value for s in self.segments if s.kind != "check"}


@lru_cache(maxsize=65_536)
def _admin_reading(text: str, must_exist: bool, level: Level | None
                   ) -> tuple[str | None, str | None]:
    """(error, meaning) of an admin segment's text; cached, as batches repeat a few codes."""
    if not text.isdigit():
        return f"must be digits, got {text!r}", None
    if not must_exist:
        return None, None
    full = text.ljust(12, "0")
    table = load_divisions()
    if full not in table.by_code:
        return f"{text!r} is not a division in the NBS 2023 table", None
    division = table.by_code[full]
    if level is not None and division.level != level:
        return f"{text!r} is a {division.level}, not a {level}", None
    return None, " ".join(d.name for d in table.chain(full))


class CodeScheme(BaseModel):
    """A code scheme: ordered segments, generic generate/validate/parse."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_\-]{0,31}$")
    title: str
    object_type: str = Field(description="what the codes name: building, house, address …")
    description: str = ""
    segments: list[Segment] = Field(min_length=1)

    @model_validator(mode="after")
    def _sound(self) -> CodeScheme:
        names = [s.name for s in self.segments]
        if len(set(names)) != len(names):
            raise ValueError(f"scheme {self.name!r}: segment names repeat: {names}")
        checks = [i for i, s in enumerate(self.segments) if s.kind == "check"]
        if checks and checks != [len(self.segments) - 1]:
            raise ValueError(f"scheme {self.name!r}: a check segment may only come last")
        return self

    @property
    def length(self) -> int:
        """Characters in a code of this scheme."""
        return sum(s.width for s in self.segments)

    @property
    def check(self) -> CheckSegment | None:
        """The check segment, if the scheme has one."""
        last = self.segments[-1]
        return last if isinstance(last, CheckSegment) else None

    def offsets(self) -> list[tuple[Any, int]]:
        """(segment, start position) pairs."""
        out: list[tuple[Any, int]] = []
        pos = 0
        for s in self.segments:
            out.append((s, pos))
            pos += s.width
        return out

    def sequence(self, name: str | None = None) -> SequenceSegment:
        """The named sequence segment (the first one without a name)."""
        for s in self.segments:
            if isinstance(s, SequenceSegment) and (name is None or s.name == name):
                return s
        raise NotFound(f"scheme {self.name!r} has no sequence segment {name!r}")

    # generate ---------------------------------------------------------------------------

    def render_segment(self, segment: Any, value: Any) -> str:
        """One segment's text for `value`, validated."""
        if isinstance(segment, ConstantSegment):
            return segment.value
        if value is None:
            raise InvalidInput(
                f"scheme {self.name!r} needs a value for segment {segment.name!r}",
                field=segment.name, value=None,
            )
        if isinstance(segment, SequenceSegment):
            return segment.render(int(value))
        if isinstance(segment, YearSegment):
            text = f"{int(value):04d}" if str(value).strip().lstrip("-").isdigit() else str(value)
        else:
            text = str(value).strip().upper() if isinstance(segment, BeidouSegment) else str(value)
        self._validate_segment(segment, text)
        return text

    def prefix(self, values: Mapping[str, Any], upto: str) -> str:
        """The code text before segment `upto`: the parent a sequence counts within."""
        out: list[str] = []
        for s in self.segments:
            if s.name == upto:
                return "".join(out)
            out.append(self.render_segment(s, values.get(s.name)))
        raise NotFound(f"scheme {self.name!r} has no segment {upto!r}")

    def sequence_numbers(self, codes: Iterable[str], sequence: str) -> dict[str, list[int]]:
        """The numbers segment `sequence` holds in `codes`, by the prefix it counts within
        (to see holes or a counter out of step)."""
        out: dict[str, list[int]] = {}
        for code in codes:
            values = self.parse(code).values()
            out.setdefault(self.prefix(values, sequence), []).append(int(values[sequence]))
        return out

    def compose_body(self, prefix: str, sequence: str, value: int,
                     values: Mapping[str, Any]) -> str:
        """A code without its check characters, from an already validated `prefix` (see
        `prefix()`), the value of the sequence after it, and `values` for what follows."""
        parts, after = [prefix], False
        for s in self.segments:
            if s.name == sequence:
                parts.append(s.render(value))  # type: ignore[union-attr]
                after = True
            elif after and not isinstance(s, CheckSegment):
                parts.append(self.render_segment(s, values.get(s.name)))
        return "".join(parts)

    def finish(self, bodies: list[str]) -> list[str]:
        """Append the check characters to many code bodies at once."""
        check = self.check
        if check is None:
            return bodies
        return [b + c for b, c in zip(bodies, check_characters_many(check.algorithm, bodies),
                                      strict=True)]

    def generate(self, values: Mapping[str, Any] | None = None, **kw: Any) -> str:
        """A full code from segment values (check characters computed)."""
        merged = {**(values or {}), **kw}
        body = "".join(
            self.render_segment(s, merged.get(s.name))
            for s in self.segments if not isinstance(s, CheckSegment)
        )
        check = self.check
        return body + (check_characters(check.algorithm, body) if check else "")

    # validate / parse -------------------------------------------------------------------

    def _validate_segment(self, segment: Any, text: str) -> str | None:
        """Raise InvalidInput if `text` is not a valid value; return its meaning."""
        def bad(reason: str) -> InvalidInput:
            return InvalidInput(
                f"{self.name} code: segment {segment.name!r} {reason}", field=segment.name,
                value=text,
            )

        if len(text) != segment.width:
            raise bad(f"must have {segment.width} characters, got {len(text)} ({text!r})")
        if isinstance(segment, AdminSegment):
            error, meaning = _admin_reading(text, segment.must_exist, segment.level)
            if error:
                raise bad(error)
            return meaning
        if isinstance(segment, YearSegment):
            if not text.isdigit():
                raise bad(f"must be a 4-digit year, got {text!r}")
            year = int(text)
            if year == 0 and segment.allow_unknown:
                return "year not known"
            if not segment.minimum <= year <= segment.maximum:
                raise bad(f"year {year} is outside {segment.minimum}–{segment.maximum}")
            return None
        if isinstance(segment, SequenceSegment | ValueSegment):
            wrong = [ch for ch in text if ch not in segment.alphabet]
            if wrong:
                raise bad(f"has characters outside {segment.alphabet!r}: {''.join(wrong)!r}")
            if isinstance(segment, SequenceSegment) and segment.read(text) < segment.start:
                raise bad(f"sequence starts at {segment.start}, got {text!r}")
            if isinstance(segment, ValueSegment) and segment.values is not None:
                if text not in segment.values:
                    raise bad(f"must be one of {sorted(segment.values)}, got {text!r}")
                return segment.values[text]
            return None
        if isinstance(segment, BeidouSegment):
            cell = beidou.decode(text)
            return f"BeiDou level-{cell.level} cell {cell.bounds}"
        if isinstance(segment, ConstantSegment) and text != segment.value:
            raise bad(f"must be {segment.value!r}, got {text!r}")
        return None

    def parse(self, code: str) -> ParsedCode:
        """Split and validate `code`; InvalidInput names the first wrong segment."""
        code = str(code).strip().upper()
        if len(code) != self.length:
            raise InvalidInput(
                f"a {self.name} code has {self.length} characters, got {len(code)} ({code!r})",
                field="code", value=code,
            )
        parts: list[ParsedSegment] = []
        for segment, start in self.offsets():
            text = code[start : start + segment.width]
            if isinstance(segment, CheckSegment):
                expected = check_characters(segment.algorithm, code[:start])
                if text != expected:
                    raise InvalidInput(
                        f"{self.name} code {code!r}: check character is {text!r}, "
                        f"expected {expected!r} ({segment.algorithm})",
                        field="check", value=text,
                    )
                parts.append(ParsedSegment(segment.name, "check", text, start, segment.algorithm,
                                           text))
                continue
            meaning = self._validate_segment(segment, text)
            value: Any = text
            if isinstance(segment, SequenceSegment):
                value = segment.read(text)
            elif isinstance(segment, YearSegment):
                value = int(text)
            parts.append(ParsedSegment(segment.name, segment.kind, text, start, meaning, value))
        return ParsedCode(self.name, code, parts)

    def is_valid(self, code: str) -> bool:
        """True when `code` is a well-formed code of this scheme (no exception)."""
        try:
            self.parse(code)
        except InvalidInput:
            return False
        return True

    def pattern(self) -> re.Pattern[str]:
        """A quick shape test (length only) used to pick candidate schemes."""
        return re.compile(rf"^.{{{self.length}}}$")
