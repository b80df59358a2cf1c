"""`errorhub dsn`: the DSN of the default local project, for Sentry SDKs and execute_code."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command()(dsn)


def dsn() -> None:
    """Print the DSN of the default local project (http://KEY@HOST:PORT/PROJECT_ID)."""
    from errorhub.settings import ensure_local_secrets, get_settings
    from ingest.dsn import local_dsn

    ensure_local_secrets()
    typer.echo(local_dsn(get_settings()))
