"""Batch coding (赋码) of building registries: match, keep or issue codes, write back.

`code_file(engine, source, out)` is the whole job (the CLI's `twin code` and, later, the
batch-code process call it); `code_registry` codes an already-read file.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine

from twin.registry_coding.batch import CodingOptions, CodingReport, Progress, code_registry
from twin.registry_coding.output import write_coded, write_report
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

    The output's type is checked before the store is touched; a dry run (or no `out`)
    writes no file.
    """
    options = options or CodingOptions()
    if out is not None:
        kind_of(Path(out))
    started = time.perf_counter()
    reg = read_registry(Path(source), crs=options.crs, address_column=options.address_column,
                        year_column=options.year_column,
                        geometry_column=options.geometry_column, sheet=sheet)
    read = time.perf_counter() - started
    result, report = code_registry(engine, reg, options, progress)
    started = time.perf_counter()
    if out is not None and not options.dry_run:
        write_coded(reg, result, Path(out))
        write_report(report, report_path(Path(out)))
    report.stages = {"read": read, **report.stages, "write": time.perf_counter() - started}
    return report
