"""The `twin` command line: set up a store, load the sample city, move files in and out, serve.

The CLI is where the packages meet: commands that need `api` or `addressing` import them
inside the command, so the core never depends on them.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Protocol

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine

from twin.errors import RowProblem, TwinError
from twin.settings import Settings

app = typer.Typer(help="cim-twin: standard addresses, unified codes and one map of a city.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
console = Console(stderr=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="TWIN_DATABASE_URL",
                 help="store URL (default: the embedded SpatiaLite file twin.db)"),
]


class ImportOutcome(Protocol):
    """What any import reports: the refused rows and a line for people."""

    problems: list[RowProblem]

    def summary(self) -> str:
        """One line for people."""
        ...


def settings_for(database_url: str | None) -> Settings:
    """Settings from the environment, with the store URL from the command line if given."""
    return Settings.from_env(**({"database_url": database_url} if database_url else {}))


def ready_engine(database_url: str | None) -> Engine:
    """An engine on a store whose schema is current (runs migrations, loads divisions)."""
    from twin.admin_areas import install_divisions
    from twin.store import migrate, open_store

    engine = open_store(settings_for(database_url).store)
    migrate(engine)
    install_divisions(engine)
    return engine


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar; yields `update(done, total)`."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def fail(message: str) -> typer.Exit:
    """Print an error for people and return the exit to raise."""
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(2)


@app.command()
def init(database_url: DatabaseUrl = None) -> None:
    """Create or upgrade the store's schema and load the NBS 2023 division table."""
    from twin.admin_areas import install_divisions
    from twin.store import migrate, open_store

    engine = open_store(settings_for(database_url).store)
    try:
        migrate(engine)
        added = install_divisions(engine)
    except TwinError as exc:
        raise fail(str(exc)) from exc
    console.print(f"store ready at {engine.url!r}; {added} division areas added")


@app.command("load-sample")
def load_sample(
    size: Annotated[str, typer.Option(help="small (seconds, for tests) or city (~1M buildings)")]
    = "small",
    seed: Annotated[int, typer.Option(help="the same seed gives the same city")] = 2023,
    replace: Annotated[bool, typer.Option(help="wipe the twin's objects first")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Generate the sample city on 深圳市南山区 and load it into the store."""
    import sample_data

    engine = ready_engine(database_url)
    secret = settings_for(database_url).security.secret_key.get_secret_value().encode()
    with progress_bar(f"loading the {size} sample city (roads)") as update:
        try:
            report = sample_data.load(engine, size, seed, secret=secret, replace=replace,
                                      progress=lambda _town, done, total: update(done, total))
        except (TwinError, ValueError) as exc:
            raise fail(str(exc)) from exc
    console.print(", ".join(f"{k} {v}" for k, v in report.counts.items()))


def _write_problems(path: Path, problems: list[RowProblem]) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(["row", "field", "value", "reason"])
        writer.writerows([p.row, p.field, p.value, p.reason] for p in problems)


@app.command("import")
def import_file(
    layer: Annotated[str, typer.Argument(help="layer name, e.g. buildings, roads, addresses")],
    file: Annotated[Path, typer.Argument(help="CSV, Excel, GeoJSON, GeoPackage or Shapefile")],
    crs: Annotated[str | None, typer.Option(help="CRS of the file if it does not say "
                                            "(default EPSG:4490 for CSV/Excel)")] = None,
    update: Annotated[bool, typer.Option(help="change rows whose code is already stored")]
    = False,
    report: Annotated[Path | None, typer.Option(help="write refused rows to this CSV")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Import a file into a layer; bad rows are reported by row, field and reason."""
    from twin.layers import get_layer
    from twin.transfer import import_layer

    engine = ready_engine(database_url)
    result: ImportOutcome
    try:
        target = get_layer(layer)
        if layer == "addresses" and _is_address_base(file):
            from addressing.base_import import import_address_base

            with progress_bar(f"importing the address base from {file.name}") as update_bar:
                result = import_address_base(engine, file, progress=update_bar)
        else:
            with progress_bar(f"importing {file.name} into {layer}") as update_bar:
                result = import_layer(engine, target, file, source_crs=crs,
                                      update_existing=update, progress=update_bar)
    except TwinError as exc:
        raise fail(str(exc)) from exc
    console.print(result.summary())
    for problem in result.problems[:20]:
        console.print(f"  [yellow]{problem}[/yellow]")
    if len(result.problems) > 20:
        console.print(f"  … {len(result.problems) - 20} more")
    if report is not None:
        _write_problems(report, result.problems)
        console.print(f"refused rows written to {report}")
    if result.problems:
        raise typer.Exit(1)


def _is_address_base(file: Path) -> bool:
    """An address-base file has element columns (road, door_no …) but no `level` column."""
    from twin.transfer import read_columns

    keys = set(read_columns(file))
    return "level" not in keys and bool(keys & {"road", "door_no", "compound", "building"})


@app.command()
def export(
    layer: Annotated[str, typer.Argument(help="layer name, e.g. buildings")],
    file: Annotated[Path, typer.Argument(help="output: .csv .xlsx .geojson .gpkg .shp")],
    crs: Annotated[str | None, typer.Option(help="write in this CRS (default CGCS2000)")] = None,
    include_sensitive: Annotated[bool, typer.Option(help="include sensitive fields (people)")]
    = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Export a layer to a file."""
    from twin.layers import get_layer
    from twin.transfer import export_layer

    engine = ready_engine(database_url)
    try:
        count = export_layer(engine, get_layer(layer), file, target_crs=crs,
                             include_sensitive=include_sensitive)
    except TwinError as exc:
        raise fail(str(exc)) from exc
    console.print(f"wrote {count} {layer} to {file}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    sample: Annotated[bool, typer.Option(help="load the small sample city if the store is "
                                         "empty")] = False,
    workers: Annotated[int, typer.Option(help="server processes")] = 1,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve the twin over HTTP (OGC API landing page at /, OpenAPI at /api)."""
    import uvicorn

    engine = ready_engine(database_url)
    if sample:
        _load_sample_if_empty(engine, database_url)
    if database_url:
        os.environ["TWIN_DATABASE_URL"] = database_url
    console.print(f"serving {engine.url!r} on http://{host}:{port}/")
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)


def _load_sample_if_empty(engine: Engine, database_url: str | None) -> None:
    from sqlalchemy import func, select

    import sample_data
    from twin.layers import LAYERS

    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(LAYERS["buildings"].table)).scalar()
    if count:
        return
    secret = settings_for(database_url).security.secret_key.get_secret_value().encode()
    with progress_bar("loading the small sample city (roads)") as update:
        sample_data.load(engine, "small", secret=secret,
                         progress=lambda _town, done, total: update(done, total))


@app.command()
def geocode(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GBK) or Excel file of addresses")],
    column: Annotated[str, typer.Option("--column", "-c", help="the column holding addresses")],
    output: Annotated[Path, typer.Option("--output", "-o", help="result file, .csv or .xlsx")],
    crs: Annotated[str | None, typer.Option(help="coordinates: CGCS2000 (default), WGS84, "
                                            "GCJ-02 or BD-09")] = None,
    workers: Annotated[int | None, typer.Option(
        help="processes sharing the index (default: one per core)", min=1)] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Geocode a spreadsheet column: every row and column kept, geo_* result columns added."""
    # The CLI is the composition point: addressing is imported here, never by the core.
    from addressing.base_reader import build_index
    from addressing.batch import geocode_file
    from addressing.errors import AddressError
    from addressing.match import Geocoder

    engine = ready_engine(database_url)
    try:
        with progress_bar("building the address index") as update:
            geocoder = Geocoder(build_index(engine, progress=update))
        with progress_bar(f"geocoding {file.name}") as update:
            report = geocode_file(geocoder, file, column, output, crs=crs,
                                  workers=workers or len(os.sched_getaffinity(0)),
                                  progress=update)
    except (AddressError, TwinError) as exc:
        raise fail(str(exc)) from exc
    console.print(f"{report.summary()}; written to {output}")
    for row, reason in report.unreadable[:20]:
        console.print(f"  [yellow]row {row}: {reason}[/yellow]")
    if len(report.unreadable) > 20:
        console.print(f"  … {len(report.unreadable) - 20} more unreadable rows (geo_status)")


from twin.coding.cli import code_command  # noqa: E402 - issue 4's command lives with its package

app.command("code")(code_command)

keys_app = typer.Typer(help="API keys kept hashed in the store: create, list, revoke.",
                       no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="who or what holds the key (shown in the audit)")],
    scope: Annotated[list[str], typer.Option("--scope", "-s",
                                             help="read, write, sensitive or admin; repeat")],
    rate: Annotated[str | None, typer.Option(help="rate limit, e.g. 100/minute")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Make a key; its secret is printed once, on stdout, and not kept."""
    from twin.keys import create_key

    record, secret = create_key(ready_engine(database_url), name, scope, rate)
    console.print(f"key {record.id} for {record.name}: {', '.join(record.scopes)}"
                  + (f", {record.rate_limit}" if record.rate_limit else ""))
    typer.echo(secret)


@keys_app.command("list")
def keys_list(database_url: DatabaseUrl = None) -> None:
    """Every stored key: id, name, prefix, scopes, rate limit, made and revoked (no secrets)."""
    from twin.keys import list_keys

    for record in list_keys(ready_engine(database_url)):
        revoked = f"revoked {record.revoked_at:%Y-%m-%d %H:%M}" if record.revoked_at else "active"
        typer.echo(f"{record.id}\t{record.name}\t{record.prefix}…\t{','.join(record.scopes)}\t"
                   f"{record.rate_limit or '-'}\t{record.created_at:%Y-%m-%d %H:%M}\t{revoked}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="the key's id (twin keys list)")],
                database_url: DatabaseUrl = None) -> None:
    """Revoke a key: it stops working within seconds in every server."""
    from twin.keys import revoke_key

    record = revoke_key(ready_engine(database_url), key_id)
    console.print(f"key {record.id} ({record.name}) revoked at {record.revoked_at}")


def main() -> None:
    """The `twin` console script: every core error ends as a message and exit code 2."""
    try:
        app()
    except TwinError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
