"""`twin code FILE -o OUT`: batch coding from the command line, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from twin.errors import TwinError
from twin.settings import StoreSettings

console = Console(stderr=True)


def code_command(
    file: Annotated[Path, typer.Argument(help="registry: .csv, .xlsx, .gpkg or .shp")],
    out: Annotated[Path, typer.Option("--out", "-o", help="coded copy (same kinds)")],
    crs: Annotated[str | None, typer.Option(help="CRS of the input (default: the file's, "
                                                 "else CGCS2000 EPSG:4490)")] = None,
    address_column: Annotated[str | None, typer.Option(help="column with address text")] = None,
    year_column: Annotated[str | None, typer.Option(help="column with the year built")] = None,
    geometry_column: Annotated[str | None, typer.Option(help="column with WKT")] = None,
    chunk_size: Annotated[int, typer.Option(help="rows issued per transaction")] = 20_000,
    database_url: Annotated[str | None, typer.Option(
        "--database-url", envvar="TWIN_DATABASE_URL", help="store URL")] = None,
) -> None:
    """Code a building registry: keep the codes of known buildings, issue codes for new ones."""
    from twin.coding import CodingOptions, code_file, report_path  # heavy: only when used
    from twin.store import migrate, open_store

    store = StoreSettings(**({"database_url": database_url} if database_url else {}))
    engine = open_store(store)
    options = CodingOptions(crs=crs, address_column=address_column, year_column=year_column,
                            geometry_column=geometry_column, chunk_size=chunk_size)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    try:
        migrate(engine)
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("issuing codes for new buildings", total=None)
            report = code_file(engine, file, out, options,
                               lambda done, total: bar.update(task, completed=done, total=total))
    except TwinError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        engine.dispose()
    table = Table(title=f"{report.source}: {report.rows} rows in {report.seconds:.1f} s")
    table.add_column("status")
    table.add_column("rows", justify="right")
    for status, count in report.by_status.items():
        table.add_row(status, str(count))
    console.print(table)
    console.print(f"codes issued: {report.codes_issued}; bad rows: {len(report.problems)}; "
                  f"conflicts: {len(report.conflicts)}")
    for problem in report.problems[:10]:
        console.print(f"  [yellow]{problem}[/yellow]")
    console.print(f"wrote {out} and {report_path(out)}")
