"""`twin geocode FILE -c COLUMN -o OUT`: a spreadsheet of addresses, matched row by row."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from cli.shell import (
    DatabaseUrl,
    check_output,
    console,
    open_twin_store,
    progress_bar,
    settings_for,
)
from cli.transfer import Sheet
from twin.errors import InvalidInput


def geocode(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8, UTF-16 or GBK) or Excel file of "
                                         "addresses")],
    column: Annotated[str, typer.Option("--column", "-c", help="the column holding addresses")],
    output: Annotated[Path, typer.Option("--output", "-o", help="result file, .csv or .xlsx "
                                         "(never the input, unless --force)")],
    crs: Annotated[str | None, typer.Option(help="coordinates: CGCS2000 (default), WGS84, "
                                            "GCJ-02 or BD-09")] = None,
    workers: Annotated[int | None, typer.Option(
        help="processes sharing the index (default: one per core)", min=1)] = None,
    sheet: Sheet = None,
    force: Annotated[bool, typer.Option(help="allow the output to replace the input file")]
    = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Geocode a spreadsheet column: every row, column, type and sheet kept, geo_* added."""
    from addressing.base_reader import build_index
    from addressing.batch import RESULT_COLUMNS, geocode_file
    from addressing.match import Geocoder
    from twin.crs import display_crs_name
    from twin.sources import TABULAR, kind_of, pick_sheet, read_columns, sheet_names

    # Every cheap check before the address index is built (minutes at city scale).
    kind_of(file, TABULAR)
    columns = read_columns(file, sheet)
    if column not in columns:
        raise InvalidInput(f"{file.name}: no column {column!r}; the columns are: "
                           f"{', '.join(columns)}", field="column", value=column)
    clash = [c for c in RESULT_COLUMNS if c in columns]
    if clash:
        raise InvalidInput(f"{file.name} already has result columns {clash}; remove them or "
                           "geocode the original file", field="column", value=clash[0])
    check_output(output, inputs=(file,), force=force, kinds=TABULAR)
    if kind_of(output) == "csv" and kind_of(file) == "excel" and len(sheet_names(file)) > 1:
        console.print("[yellow]note:[/yellow] a CSV output holds only the geocoded sheet")
    display_crs_name(crs)
    chosen = pick_sheet(file, sheet)
    engine = open_twin_store(settings_for(database_url))
    with progress_bar("building the address index") as update:
        geocoder = Geocoder(build_index(engine, progress=update))
    engine.dispose()
    with progress_bar(f"geocoding {file.name}") as update:
        report = geocode_file(geocoder, file, column, output, crs=crs, sheet=chosen,
                              workers=workers or len(os.sched_getaffinity(0)),
                              progress=update)
    console.print(f"{report.summary()}; written to {output}")
    for row, reason in report.unreadable[:20]:
        console.print(f"  [yellow]{file.name}: row {row}, field {column!r}: {reason}[/yellow]")
    if len(report.unreadable) > 20:
        console.print(f"  … {len(report.unreadable) - 20} more unreadable rows (geo_status)")

