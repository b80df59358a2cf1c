"""`errorhub pattern ...`: change a pattern's status by hand, list patterns.

Heavy modules (clickhouse-connect, the status logic) are imported inside the commands so
`errorhub --help` stays fast; dagster is never imported here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class Target(StrEnum):
    resolved = "resolved"
    ignored = "ignored"
    open = "open"


def register(app: typer.Typer) -> None:
    pattern_app = typer.Typer(help="Error patterns: list them, change their status.", no_args_is_help=True)

    @pattern_app.command("status")
    def status(
        pattern_id: Annotated[str, typer.Argument(help="Pattern id (see `errorhub pattern list`).")],
        to: Annotated[Target, typer.Argument(help="New status.")],
        by: Annotated[str, typer.Option("--by", help="Who makes the change.")],
        why: Annotated[str, typer.Option("--why", help="Why (kept in the status log).")],
    ) -> None:
        """Move a pattern to Resolved, Ignored or back to Open (appended to pattern_status_log)."""
        from assets.lib.status import MANUAL_TARGETS, StatusError, change_status
        from warehouse.client import get_client

        with get_client() as client:
            try:
                change = change_status(client, pattern_id, MANUAL_TARGETS[to.value], actor=by, reason=why)
            except StatusError as error:
                typer.echo(f"error: {error}", err=True)
                raise typer.Exit(1) from error
        if change is None:
            typer.echo(f"{pattern_id} is already {MANUAL_TARGETS[to.value]}")
        else:
            typer.echo(f"{pattern_id}: {change.from_status} → {change.to_status} by {by} ({why})")

    @pattern_app.command("list")
    def list_(
        status: Annotated[str, typer.Option("--status", help="Only this status (Open, Resolved, ...).")] = "",
        limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 20,
    ) -> None:
        """Patterns by priority rank, with severity and status."""
        from assets.lib.status import list_patterns
        from warehouse.client import get_client

        with get_client(readonly=False) as client:
            rows = list_patterns(client, status.capitalize() if status else None, limit)
        if not rows:
            typer.echo("no patterns")
            return
        typer.echo(
            f"{'pattern':<20} {'sev':<4} {'status':<9} {'events':>8} {'users':>6} {'rank':>6}  message"
        )
        for r in rows:
            typer.echo(
                f"{r['pattern_id']:<20} {r['severity']:<4} {r['status']:<9} {r['occurrences']:>8} "
                f"{r['distinct_users']:>6} {r['rank']:>6.2f}  {r['error_type']}: {r['message']}"
            )

    app.add_typer(pattern_app, name="pattern")
