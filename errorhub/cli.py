"""`errorhub`: one command line for the whole platform.

Each area adds its own subcommands through a `register(app)` function in its `cli` module,
so this file only wires them; heavy imports stay inside the command functions.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help=__doc__.splitlines()[0], no_args_is_help=True, add_completion=False)

AREA_COMMANDS = ("pipelines.engine.cli", "ingest.cli", "assets.cli")

ServiceNames = Annotated[list[str] | None, typer.Argument(help="Services to act on (default: all).")]


def _stack(names: list[str] | None):
    from errorhub.services import local_services, select
    from errorhub.settings import get_settings
    from errorhub.supervisor import Supervisor

    settings = get_settings()
    try:
        services = select(local_services(settings), names or [])
    except KeyError as error:
        raise typer.BadParameter(str(error.args[0])) from None
    return settings, services, Supervisor(settings.run_dir, settings.log_dir)


@app.command()
def init() -> None:
    """Generate local secrets into the git-ignored .env (only those not set yet)."""
    from errorhub.settings import ENV_FILE, ensure_local_secrets

    added = ensure_local_secrets()
    typer.echo(f"{ENV_FILE}: generated {', '.join(added)}" if added else f"{ENV_FILE}: secrets already set")


@app.command()
def up(names: ServiceNames = None) -> None:
    """Start the local stack (or the named services) in order, each waiting for health."""
    from errorhub.settings import ensure_local_secrets
    from errorhub.supervisor import ServiceError

    ensure_local_secrets()
    _, services, supervisor = _stack(names)
    for service in services:
        typer.echo(f"{service.name:<10} ...", nl=False)
        try:
            outcome = supervisor.start(service)
        except ServiceError as error:
            typer.echo(" FAILED")
            typer.echo(str(error), err=True)
            raise typer.Exit(1) from None
        typer.echo(f" {outcome}  {service.url}")


@app.command()
def down(names: ServiceNames = None) -> None:
    """Stop the local stack (or the named services), last started first."""
    _, services, supervisor = _stack(names)
    for service in reversed(services):
        typer.echo(f"{service.name:<10} {supervisor.stop(service)}")


@app.command()
def status(names: ServiceNames = None) -> None:
    """Each service: pid, health, URL and detail. Exit 1 when any is not healthy."""
    _, services, supervisor = _stack(names)
    all_healthy = True
    for service in services:
        state = supervisor.status(service)
        all_healthy &= state.healthy
        health = "healthy" if state.healthy else ("running, unhealthy" if state.running else "down")
        pid = str(state.pid) if state.pid else "-"
        typer.echo(f"{state.name:<10} {health:<18} pid {pid:<8} {state.url}  {state.detail}".rstrip())
    raise typer.Exit(0 if all_healthy else 1)


@app.command()
def migrate() -> None:
    """Create the warehouse database and apply pending migrations."""
    from errorhub.settings import get_settings
    from warehouse.service import apply_migrations

    applied = apply_migrations(get_settings())
    typer.echo("applied: " + ", ".join(applied) if applied else "warehouse schema is up to date")


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run; '-' reads it from standard input.")],
    readonly: Annotated[bool, typer.Option(help="Use the read-only analyst account.")] = False,
) -> None:
    """Run a query against the warehouse and print the result as tab-separated rows."""
    from clickhouse_connect.driver.exceptions import DatabaseError

    from warehouse.client import get_client

    text = sys.stdin.read() if query == "-" else query
    with get_client(readonly=readonly) as client:
        try:
            result = client.query(text)
        except DatabaseError as error:
            typer.echo(str(error), err=True)
            raise typer.Exit(1) from None
        typer.echo("\t".join(result.column_names))
        for row in result.result_rows:
            typer.echo("\t".join("" if v is None else str(v) for v in row))


@app.command("export-schemas")
def export_schemas(
    folder: Annotated[Path, typer.Argument(help="Where to write the JSON Schema files.")] = Path(
        "schemas/json"
    ),
) -> None:
    """Write JSON Schema for every public model, for SDK authors."""
    from schemas.jsonschema import json_schemas

    folder.mkdir(parents=True, exist_ok=True)
    for name, schema in json_schemas().items():
        (folder / f"{name}.json").write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
        typer.echo(folder / f"{name}.json")


def _register_areas() -> None:
    for module in AREA_COMMANDS:
        importlib.import_module(module).register(app)


_register_areas()
