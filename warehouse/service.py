"""The local warehouse as a supervised service; skipped when the URL points elsewhere."""

from __future__ import annotations

import sys

from errorhub.settings import REPO_ROOT, Settings
from errorhub.supervisor import Service, http_ok


def warehouse_service(settings: Settings) -> Service:
    return Service(
        name="warehouse",
        command=[sys.executable, "-m", "warehouse.server"],
        url=settings.warehouse_url,
        health=lambda: http_ok(f"{settings.warehouse_url}/ping"),
        port=settings.warehouse_port,
        cwd=REPO_ROOT,
        start_timeout=60,
        after_start=lambda: apply_migrations(settings),
    )


def apply_migrations(settings: Settings) -> list[str]:
    """Create the database if needed and apply pending migrations; returns their names."""
    from warehouse.client import ensure_database, get_client
    from warehouse.migrate import migrate

    ensure_database(settings)
    with get_client(settings) as client:
        return [f"{m.version:04d}_{m.name}" for m in migrate(client)]
