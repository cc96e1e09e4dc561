"""Batch coding (赋码) of building registries: match, keep or issue codes, write back.

`code_file(engine, source, out)` is the whole job (the CLI's `twin code` and, later, the
batch-code process call it); `code_registry` codes an already-read file.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyogrio.errors
from sqlalchemy import Engine

from twin.errors import InvalidInput
from twin.registry_coding.batch import CodingOptions, CodingReport, Progress, code_registry
from twin.registry_coding.output import (
    placeholder_result,
    whole_output,
    write_coded,
    write_report,
)
from twin.registry_coding.source import read_registry
from twin.sources import kind_of

__all__ = ["CodingOptions", "CodingReport", "code_file", "code_registry", "report_path"]


def report_path(out: Path) -> Path:
    """Where the JSON report of a run writing `out` goes."""
    out = Path(out)
    return out.with_name(out.stem + ".report.json")


def code_file(engine: Engine, source: Path, out: Path | None,
              options: CodingOptions | None = None, progress: Progress | None = None,
              sheet: str | None = None) -> CodingReport:
    """Read `source`, code every row against the store, write `out` and its report.

    The output's type is checked, and its writing rehearsed, before the store is touched;
    `out` and its report appear whole or not at all. A dry run (or no `out`) writes no file.
    """
    options = options or CodingOptions()
    if out is not None:
        kind_of(Path(out))
    started = time.perf_counter()
    reg = read_registry(Path(source), crs=options.crs, address_column=options.address_column,
                        year_column=options.year_column,
                        geometry_column=options.geometry_column, sheet=sheet)
    read = time.perf_counter() - started
    if out is None or options.dry_run:
        report = code_registry(engine, reg, options, progress)[1]
        report.stages = {"read": read, **report.stages}
        return report
    with whole_output(Path(out)) as coded, whole_output(report_path(Path(out))) as summary:
        # A rehearsal first: a value the output's format cannot hold fails here, before
        # the store changes (new buildings enter it as they are issued).
        started = time.perf_counter()
        try:
            write_coded(reg, placeholder_result(reg), coded)
        except (OSError, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise InvalidInput(f"cannot write {out}: {reason}; nothing was coded or stored",
                               field="output", value=str(out)) from None
        except InvalidInput as exc:  # a cell the format cannot hold, named by the writer
            raise InvalidInput(f"{exc}; nothing was coded or stored", field=exc.field,
                               value=exc.value) from None
        rehearsed = time.perf_counter() - started
        result, report = code_registry(engine, reg, options, progress)
        started = time.perf_counter()
        write_coded(reg, result, coded)
        write_report(report, summary)
    report.stages = {"read": read, **report.stages,
                     "write": rehearsed + time.perf_counter() - started}
    return report
