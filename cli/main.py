"""The `twin` command: set up a store, load the sample city, serve; the other commands
(import, export, geocode, code) live in their own modules and are registered here."""

from __future__ import annotations

import contextlib
import os
import signal
from typing import Annotated

import typer
from sqlalchemy import Engine

from cli import code, geocode, keys, transfer
from cli.shell import (
    DatabaseUrl,
    Exit,
    check_port,
    console,
    fail,
    guarded,
    open_twin_store,
    progress_bar,
    settings_for,
)
from twin.settings import Settings

app = typer.Typer(help="cim-twin: standard addresses, unified codes and one map of a city. "
                  "Exit codes: 0 done, 1 done in part (rows refused, see the report), "
                  "2 usage, 3 bad input (nothing changed), 4 internal error.",
                  no_args_is_help=True, pretty_exceptions_enable=False)


@app.command()
@guarded
def init(database_url: DatabaseUrl = None) -> None:
    """Create or upgrade the store's schema and load the NBS 2023 division table.

    The only command that makes a new store.
    """
    from twin.admin_areas import install_divisions

    engine = open_twin_store(settings_for(database_url), create=True)
    added = install_divisions(engine)
    console.print(f"store ready; {added} division areas added")


@app.command("load-sample")
@guarded
def load_sample(
    size: Annotated[str, typer.Option(help="small (seconds, for tests) or city (~1M buildings)")]
    = "small",
    seed: Annotated[int, typer.Option(help="the same seed gives the same city")] = 2023,
    replace: Annotated[bool, typer.Option(help="wipe the twin's objects first")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Generate the sample city on 深圳市南山区 and load it into an existing store."""
    if size not in ("small", "city"):
        raise fail(f"--size must be small or city, not {size!r}", Exit.USAGE)
    settings = settings_for(database_url)
    engine = open_twin_store(settings)
    _load_sample(engine, settings, size, seed, replace)


def _load_sample(engine: Engine, settings: Settings, size: str, seed: int = 2023,
                 replace: bool = False) -> None:
    import sample_data

    secret = settings.security.secret_key.get_secret_value().encode()
    with progress_bar(f"loading the {size} sample city (roads)") as update:
        # A store that already holds a city is a Conflict naming --replace (exit 3).
        report = sample_data.load(engine, size, seed, secret=secret, replace=replace,
                                  progress=lambda _town, done, total: update(done, total))
    console.print(", ".join(f"{k} {v}" for k, v in report.counts.items()))


@app.command()
@guarded
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on (1 to 65535)",
                                      callback=check_port)] = 8000,
    sample: Annotated[bool, typer.Option(help="make the store if there is none and load the "
                                         "small sample city if it is empty")] = False,
    workers: Annotated[int, typer.Option(help="server processes", min=1)] = 1,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve the twin over HTTP (OGC API landing page at /, OpenAPI at /api)."""
    import uvicorn

    from api.app import create_app

    settings = settings_for(database_url)
    engine = open_twin_store(settings, create=sample)
    if sample:
        from twin.admin_areas import install_divisions

        install_divisions(engine)
    if sample and _is_empty(engine):
        _load_sample(engine, settings, "small")
    engine.dispose()
    # The app is built here from these settings (never handed over through os.environ);
    # each worker process runs its own lifespan, so each opens its own engine.
    config = uvicorn.Config(create_app(settings), host=host, port=port)
    try:
        sock = config.bind_socket()
    except SystemExit:
        raise fail(f"cannot listen on {host}:{port} (in use, or not this machine's "
                   "address)") from None
    console.print(f"serving on http://{host}:{port}/ with {workers} worker(s)")
    if workers == 1:
        uvicorn.Server(config).run(sockets=[sock])
        return
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the worker
            uvicorn.Server(config).run(sockets=[sock])
            os._exit(0)
        children.append(pid)
    # A service manager (docker stop, systemd, kill) stops the main process with SIGTERM:
    # passed on to each worker, which shuts down as on its own SIGTERM, then waited for.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: _signal_all(children, signal.SIGTERM))
    try:
        for pid in children:
            os.waitpid(pid, 0)
    except KeyboardInterrupt:
        # Ctrl-C reached every worker too (one process group): wait for each to shut down,
        # then end as one server does after Ctrl-C (128 + SIGINT).
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        raise typer.Exit(Exit.INTERRUPTED) from None


def _signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # that worker has ended already
            os.kill(pid, signum)


def _is_empty(engine: Engine) -> bool:
    from sqlalchemy import func, select

    from twin.layers import LAYERS

    with engine.connect() as conn:
        return not conn.execute(
            select(func.count()).select_from(LAYERS["buildings"].table)).scalar()


app.command("import")(guarded(transfer.import_file))
app.command("export")(guarded(transfer.export))
app.command("geocode")(guarded(geocode.geocode))
app.command("code")(guarded(code.code))
app.add_typer(keys.app, name="keys")


def main() -> None:
    """The `twin` console script."""
    app()
