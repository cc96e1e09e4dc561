"""`twin keys create|list|revoke`: API keys kept hashed in the store (twin.keys)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.shell import DatabaseUrl, console, guarded, open_twin_store, settings_for

app = typer.Typer(help="API keys kept hashed in the store: create, list, revoke.",
                  no_args_is_help=True)


@app.command("create")
@guarded
def create(
    name: Annotated[str, typer.Argument(help="who or what holds the key (shown in the audit)")],
    scope: Annotated[list[str], typer.Option("--scope", "-s",
                                             help="read, write, sensitive or admin; repeat")],
    rate: Annotated[str | None, typer.Option(help="rate limit, e.g. 100/minute")] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Make a key; its secret is printed once, on stdout, and not kept."""
    from twin.keys import create_key

    engine = open_twin_store(settings_for(database_url))
    record, secret = create_key(engine, name, scope, rate)
    console.print(f"key {record.id} for {record.name}: {', '.join(record.scopes)}"
                  + (f", {record.rate_limit}" if record.rate_limit else ""))
    typer.echo(secret)


@app.command("list")
@guarded
def list_(database_url: DatabaseUrl = None) -> None:
    """Every stored key: id, name, prefix, scopes, rate limit, made and revoked (no secrets)."""
    from twin.keys import list_keys

    for record in list_keys(open_twin_store(settings_for(database_url))):
        revoked = f"revoked {record.revoked_at:%Y-%m-%d %H:%M}" if record.revoked_at else "active"
        typer.echo(f"{record.id}\t{record.name}\t{record.prefix}…\t{','.join(record.scopes)}\t"
                   f"{record.rate_limit or '-'}\t{record.created_at:%Y-%m-%d %H:%M}\t{revoked}")


@app.command("revoke")
@guarded
def revoke(key_id: Annotated[int, typer.Argument(help="the key's id (twin keys list)")],
           database_url: DatabaseUrl = None) -> None:
    """Revoke a key: it stops working within seconds in every server."""
    from twin.keys import revoke_key

    record = revoke_key(open_twin_store(settings_for(database_url)), key_id)
    console.print(f"key {record.id} ({record.name}) revoked at {record.revoked_at}")
