"""Dagster as a supervised service: webserver + daemon (schedules, sensors, run queue)."""

from __future__ import annotations

import sys

from errorhub.settings import REPO_ROOT, Settings
from errorhub.supervisor import Service, http_ok


def dagster_service(settings: Settings) -> Service:
    url = f"http://127.0.0.1:{settings.dagster_port}"
    return Service(
        name="dagster",
        command=[
            sys.executable,
            "-m",
            "assets.serve",
            "--port",
            str(settings.dagster_port),
            "--home",
            str(settings.home / "dagster"),
        ],
        url=url,
        health=lambda: http_ok(f"{url}/server_info"),
        port=settings.dagster_port,
        # The Dagster processes build their own Settings: hand them the values of this one, so
        # a programmatically configured Settings (tests, other homes) reaches the assets too.
        env={
            "ERRORHUB_HOME": str(settings.home),
            "ERRORHUB_WAREHOUSE_URL": settings.warehouse_url,
            "ERRORHUB_WAREHOUSE_USER": settings.warehouse_user,
            "ERRORHUB_WAREHOUSE_PASSWORD": settings.warehouse_password.get_secret_value(),
            "ERRORHUB_WAREHOUSE_DATABASE": settings.warehouse_database,
            "ERRORHUB_LSH_THRESHOLD": str(settings.lsh_threshold),
        },
        cwd=REPO_ROOT,
        start_timeout=180,  # ~20 s measured on 2 cores; code server load adds more when busy
        stop_timeout=30,
    )
