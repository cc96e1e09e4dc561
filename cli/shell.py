"""What every command shares: one console, the store, progress bars, file checks, exits.

Exit codes say what kind of failure it was, so scripts can tell them apart:
0 done; 1 done in part (rows refused, listed and written to the report); 2 usage (an
unknown option, layer or value on the command line); 3 bad input (a file, CRS, row or
store that cannot be used: nothing was changed); 4 internal error (a bug: please report).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from addressing.errors import AddressError
from twin.errors import InvalidInput, NotFound, RowProblem, StoreError, TwinError
from twin.settings import CliSettings, Settings

console = Console(stderr=True, highlight=False, soft_wrap=True)


class Exit(IntEnum):
    """The exit codes of every `twin` command."""

    OK = 0
    PARTIAL = 1
    USAGE = 2
    BAD_INPUT = 3
    INTERNAL = 4
    INTERRUPTED = 130  # Ctrl-C, as shells count it (128 + SIGINT)


# One ordered table, as api/errors.py has for HTTP statuses: the first class that matches.
EXIT_OF: tuple[tuple[type[BaseException], Exit], ...] = (
    (NotFound, Exit.USAGE),
    (TwinError, Exit.BAD_INPUT),
    (AddressError, Exit.BAD_INPUT),
)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="TWIN_DATABASE_URL", show_envvar=True,
                 help="store URL (default: the embedded SpatiaLite file twin.db here)"),
]


def exit_code_of(exc: BaseException) -> Exit:
    """The exit code for an error, from EXIT_OF; anything unforeseen is internal."""
    return next((code for kind, code in EXIT_OF if isinstance(exc, kind)), Exit.INTERNAL)


def fail(message: str, code: Exit = Exit.BAD_INPUT) -> typer.Exit:
    """Print one error line for people and return the exit to raise."""
    console.print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(int(code))


F = TypeVar("F", bound=Callable[..., Any])
def debugging() -> bool:
    """Whether the settings ask for tracebacks of internal errors (TWIN_DEBUG)."""
    return CliSettings().debug


def guarded(command: F) -> F:
    """Every error of a command ends as one line and the exit code of its kind."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.BadParameter, KeyboardInterrupt):
            raise  # click reports usage errors itself, with exit code 2
        except Exception as exc:
            code = exit_code_of(exc)
            text = " ".join(str(exc).split()) or type(exc).__name__
            if code is Exit.INTERNAL:
                if debugging():
                    console.print_exception()
                text = (f"internal error ({type(exc).__name__}: {text}); please report it "
                        "(set TWIN_DEBUG=1 for the traceback)")
            raise fail(text, code) from None

    return run  # type: ignore[return-value]


# -- the store ---------------------------------------------------------------------------


class StoreMissing(StoreError):
    """No twin store where the URL points; only `twin init` makes one."""


def settings_for(database_url: str | None) -> Settings:
    """Settings from the environment, with the store URL from the command line if given.

    A setting the environment gets wrong (the development secret in production …) ends as
    a message naming it, not a traceback.
    """
    try:
        return Settings.from_env(**({"database_url": database_url} if database_url else {}))
    except ValidationError as exc:
        wrong = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise InvalidInput(f"settings: {wrong}", field="settings") from None


def shown_url(url: str) -> str:
    """A store URL fit to print: the password hidden, a SpatiaLite path made absolute."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database:
        parsed = parsed.set(database=str(Path(parsed.database).resolve()))
    return parsed.render_as_string(hide_password=True)


def open_twin_store(settings: Settings, *, create: bool = False) -> Engine:
    """The store the settings name, its schema current; printed so people know which.

    Only `create` (`twin init`, `twin serve --sample`) may make a new store: any other
    command on a store that is not there fails and says how to make one.
    """
    from twin.store import migrate, open_store, schema_ready

    url = settings.store.database_url
    try:
        shown = shown_url(url)
    except Exception:
        raise StoreError(f"cannot read the store URL {url!r} (--database-url or "
                         "TWIN_DATABASE_URL)") from None
    console.print(f"store: {escape(shown)}")
    how = ("create it with `twin init` (and `twin load-sample` for the sample city), or "
           "point --database-url / TWIN_DATABASE_URL at an existing store")
    path = settings.store.sqlite_path
    if not create and path is not None and not path.exists():
        raise StoreMissing(f"no twin store at {shown}; {how}")
    engine = open_store(settings.store)
    if not create and not schema_ready(engine):
        engine.dispose()
        raise StoreMissing(f"no twin store at {shown} (or it cannot be reached); {how}")
    migrate(engine)
    return engine


# -- files -------------------------------------------------------------------------------


def check_output(path: Path, *, inputs: tuple[Path, ...] = (), force: bool = False,
                 kinds: tuple[str, ...] | None = None) -> None:
    """Refuse an output before any work: wrong type, an input file, or not writable."""
    from twin.sources import KINDS, kind_of

    if path.is_dir():
        raise InvalidInput(f"the output {path} is a directory", field="output", value=str(path))
    try:
        kind_of(path, kinds or tuple(KINDS.values()))
    except InvalidInput as exc:
        raise InvalidInput(f"output {exc}", field="output", value=str(path)) from None
    for source in inputs:
        if path.exists() and source.exists() and path.resolve() == source.resolve():
            if not force:
                raise InvalidInput(f"the output {path} is the input file; write elsewhere "
                                   "(or --force to replace the input)", field="output",
                                   value=str(path))
    parent = path.resolve().parent
    if not parent.is_dir():
        raise InvalidInput(f"cannot write {path}: no directory {parent}", field="output",
                           value=str(path))
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InvalidInput(f"cannot write {path}: permission denied", field="output",
                           value=str(path))


def check_port(port: int) -> int:
    """A TCP port people can listen on, or a usage error."""
    if not 1 <= port <= 65535:
        raise typer.BadParameter(f"{port} is not a TCP port (1 to 65535)")
    return port


# -- progress and reports ----------------------------------------------------------------


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on the console; yields `update(done, total)`."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(escape(label), total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def print_problems(problems: list[RowProblem], file: Path | None = None, shown: int = 20
                   ) -> None:
    """The first refused rows, one line each, naming the file, row, field and value."""
    where = f"{file.name}: " if file is not None else ""
    for problem in problems[:shown]:
        console.print(f"  [yellow]{escape(where + str(problem))}[/yellow]")
    if len(problems) > shown:
        console.print(f"  … {len(problems) - shown} more")


def write_problems(path: Path, problems: list[RowProblem]) -> None:
    """Refused rows as CSV (row, field, value, reason), UTF-8 with BOM for Excel."""
    import csv

    with path.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(["row", "field", "value", "reason"])
        writer.writerows([p.row, p.field, p.value, p.reason] for p in problems)
