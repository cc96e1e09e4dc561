"""Errors of the spatial core. `api/errors.py` maps each class to an HTTP status."""

from __future__ import annotations

from dataclasses import dataclass, field


class TwinError(Exception):
    """Base of every error the core raises on purpose."""

    title = "Twin error"


class NotFound(TwinError):
    """The thing asked for does not exist."""

    title = "Not found"


class Conflict(TwinError):
    """The request clashes with the stored state (a taken code, a stale version)."""

    title = "Conflict"


class PreconditionFailed(Conflict):
    """An If-Match version no longer holds."""

    title = "Precondition failed"


class NotEditable(TwinError):
    """The layer is read-only for the writer (it keeps no codes the twin edits)."""

    title = "Method not allowed"


class InvalidInput(TwinError):
    """Input that cannot be accepted; says what, where and why."""

    title = "Invalid input"

    def __init__(self, message: str, *, field: str | None = None, value: object = None):
        super().__init__(message)
        self.field = field
        self.value = value


class InvalidFields(InvalidInput):
    """A row or body with one or more bad fields: each one named with its value and reason,
    so a writer fixes them all at once (the first also as `field`/`value`)."""

    def __init__(self, problems: list[InvalidInput]):
        first = problems[0]
        message = str(first) if len(problems) == 1 else (
            f"{len(problems)} fields refused: " + "; ".join(str(p) for p in problems))
        super().__init__(message, field=first.field, value=first.value)
        self.problems = problems

    @property
    def members(self) -> dict[str, object]:
        """The problems as a problem+json `errors` member: field, value and detail each."""
        return {"errors": [
            {"field": p.field, "value": None if p.value is None else str(p.value)[:200],
             "detail": str(p)} for p in self.problems]}


class StoreError(TwinError):
    """The store is unreachable or not set up."""

    title = "Store unavailable"


class StoreUnavailable(StoreError):
    """The store stopped answering during a request (restarting, network): try again."""

    RETRY_AFTER_SECONDS = 5

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(self.RETRY_AFTER_SECONDS)}


@dataclass(frozen=True)
class RowProblem:
    """One bad input row: where it is and what is wrong with it."""

    row: int
    field: str | None
    value: object
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", field {self.field!r}" if self.field else "")
        shown = "" if self.value is None else f" (value {self.value!r})"
        return f"{where}: {self.reason}{shown}"


@dataclass
class RowProblems(InvalidInput):
    """A batch whose rows failed validation; raised only when nothing could be accepted."""

    problems: list[RowProblem] = field(default_factory=list)

    def __post_init__(self) -> None:
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f" … and {len(self.problems) - 5} more" if len(self.problems) > 5 else ""
        InvalidInput.__init__(self, f"{len(self.problems)} bad rows: {shown}{more}")
