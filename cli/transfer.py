"""`twin import` and `twin export`: layers in and out of files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Protocol

import typer

from cli.shell import (
    DatabaseUrl,
    Exit,
    check_output,
    console,
    open_twin_store,
    print_problems,
    progress_bar,
    settings_for,
    write_problems,
)
from twin.errors import RowProblem

Sheet = Annotated[str | None, typer.Option(help="the Excel sheet or GeoPackage layer to read "
                                           "(needed when the file holds several)")]


class ImportOutcome(Protocol):
    """What any import reports: the refused rows and a line for people."""

    problems: list[RowProblem]

    def summary(self) -> str:
        """One line for people."""
        ...


def import_file(
    layer: Annotated[str, typer.Argument(help="layer name, e.g. buildings, roads, addresses")],
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8, UTF-16 or GBK), Excel, GeoJSON, "
                                         "GeoPackage or Shapefile")],
    crs: Annotated[str | None, typer.Option(help="CRS of the file if it does not say "
                                            "(default EPSG:4490 for CSV/Excel)")] = None,
    update: Annotated[bool, typer.Option(help="change rows whose code is already stored")]
    = False,
    report: Annotated[Path | None, typer.Option(help="write refused rows to this CSV")] = None,
    sheet: Sheet = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Import a file into a layer: good rows land together, bad rows are listed (exit 1)."""
    from twin.crs import check_crs
    from twin.layers import get_layer
    from twin.sources import check_readable, kind_of, read_columns
    from twin.transfer import import_layer

    target = get_layer(layer)
    check_readable(file)
    kind_of(file)
    if crs is not None:
        check_crs(crs)
    if report is not None:
        check_output(report, inputs=(file,), kinds=("csv",))
    base = layer == "addresses" and _is_address_base(read_columns(file, sheet))
    engine = open_twin_store(settings_for(database_url))
    result: ImportOutcome
    if base:
        from addressing.base_import import import_address_base

        with progress_bar(f"importing the address base from {file.name}") as update_bar:
            result = import_address_base(engine, file, progress=update_bar)
    else:
        with progress_bar(f"importing {file.name} into {layer}") as update_bar:
            result = import_layer(engine, target, file, source_crs=crs, sheet=sheet,
                                  update_existing=update, progress=update_bar)
    console.print(result.summary())
    print_problems(result.problems, file)
    if report is not None:
        write_problems(report, result.problems)
        console.print(f"refused rows written to {report}")
    if result.problems:
        raise typer.Exit(int(Exit.PARTIAL))


def _is_address_base(columns: list[str]) -> bool:
    """An address-base file has element columns (road, door_no …) but no `level` column."""
    keys = set(columns)
    return "level" not in keys and bool(keys & {"road", "door_no", "compound", "building"})


def export(
    layer: Annotated[str, typer.Argument(help="layer name, e.g. buildings")],
    file: Annotated[Path, typer.Argument(help="output: .csv .xlsx .geojson .gpkg .shp")],
    crs: Annotated[str | None, typer.Option(help="write in this CRS (default CGCS2000)")] = None,
    include_sensitive: Annotated[bool, typer.Option(help="include 敏感 fields (people)")]
    = False,
    public: Annotated[bool, typer.Option(
        help="公开 fields only: leave 内部 ones out too (open data)")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Export a layer to a file (the format from its suffix); 敏感 fields only when asked."""
    from twin.crs import check_crs
    from twin.layers import Level, get_layer
    from twin.transfer import export_layer

    if include_sensitive and public:
        raise typer.BadParameter("--include-sensitive and --public contradict each other")
    clearance = (Level.sensitive if include_sensitive
                 else Level.public if public else Level.internal)

    target = get_layer(layer)
    check_output(file, kinds=("csv", "excel", "geojson", "gpkg", "shp"))
    if crs is not None:
        check_crs(crs)
    engine = open_twin_store(settings_for(database_url))
    count = export_layer(engine, target, file, target_crs=crs, clearance=clearance)
    console.print(f"wrote {count} {layer} to {file}")
