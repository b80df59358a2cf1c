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
        cwd=REPO_ROOT,
        start_timeout=180,  # ~20 s measured on 2 cores; code server load adds more when busy
        stop_timeout=30,
    )
