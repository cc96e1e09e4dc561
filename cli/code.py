"""`twin code FILE -o OUT`: code a building registry (赋码), with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.shell import (
    DatabaseUrl,
    Exit,
    check_output,
    console,
    open_twin_store,
    print_problems,
    progress_bar,
    settings_for,
)
from cli.transfer import Sheet


def code(
    file: Annotated[Path, typer.Argument(help="registry: .csv (UTF-8, UTF-16 or GBK), .xlsx, "
                                         ".geojson, .gpkg or .shp")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="coded copy (same kinds) and its OUT.report.json; needed unless "
        "--dry-run")] = None,
    crs: Annotated[str | None, typer.Option(help="CRS of the input (default: the file's, "
                                                 "else CGCS2000 EPSG:4490)")] = None,
    address_column: Annotated[str | None, typer.Option(help="column with address text")] = None,
    year_column: Annotated[str | None, typer.Option(help="column with the year built")] = None,
    geometry_column: Annotated[str | None, typer.Option(help="column with WKT")] = None,
    chunk_size: Annotated[int, typer.Option(help="rows issued per transaction", min=1)]
    = 20_000,
    dry_run: Annotated[bool, typer.Option(help="show what would be issued; write nothing to "
                                          "the store or to files")] = False,
    sheet: Sheet = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Code a building registry: keep the codes of known buildings, issue codes for new ones.

    New buildings (a footprint the twin does not have, inside one of its townships) ENTER
    THE STORE: they are placed, stored and given a code, so a second run finds them
    (`existing`) and issues nothing. Use --dry-run to see first what would be issued.
    Bad rows (unreadable geometry, a year that is not one, division codes the NBS table or
    the footprint disprove, a footprint outside the twin) are listed and counted; the
    command then exits 1.
    """
    from twin.crs import check_crs
    from twin.registry_coding import CodingOptions, code_file, report_path
    from twin.sources import check_readable, kind_of

    if out is None and not dry_run:
        raise typer.BadParameter("give --out/-o (or --dry-run)", param_hint="--out")
    check_readable(file)
    kind_of(file)
    if crs is not None:
        check_crs(crs)
    if out is not None:
        check_output(out, inputs=(file,))
        check_output(report_path(out), inputs=(file,))
    engine = open_twin_store(settings_for(database_url))
    options = CodingOptions(crs=crs, address_column=address_column, year_column=year_column,
                            geometry_column=geometry_column, chunk_size=chunk_size,
                            dry_run=dry_run)
    try:
        with progress_bar("issuing codes for new buildings") as update:
            report = code_file(engine, file, out, options, update, sheet=sheet)
    finally:
        engine.dispose()
    title = f"{report.source}: {report.rows} rows in {report.seconds:.1f} s"
    table = Table(title=title + (" (dry run: nothing written)" if dry_run else ""))
    table.add_column("status")
    table.add_column("rows", justify="right")
    for status, count in report.by_status.items():
        table.add_row(status, str(count))
    console.print(table)
    issued = (f"codes that would be issued: {report.planned}" if dry_run
              else f"codes issued: {report.codes_issued}")
    console.print(f"{issued}; bad rows: {len(report.problems)}; conflicts: {len(report.conflicts)}")
    print_problems(report.problems, file, shown=10)
    if out is not None and not dry_run:
        console.print(f"wrote {out} and {report_path(out)}")
    if report.problems:
        raise typer.Exit(int(Exit.PARTIAL))

