"""The ingest API as a supervised local service."""

from __future__ import annotations

import json
import sys
import urllib.request

from errorhub.settings import REPO_ROOT, Settings
from errorhub.supervisor import Service, http_ok


def ingest_service(settings: Settings) -> Service:
    url = f"http://{settings.ingest_host}:{settings.ingest_port}"
    return Service(
        name="ingest",
        command=[sys.executable, "-m", "ingest"],
        url=url,
        health=lambda: http_ok(f"{url}/health"),
        port=settings.ingest_port,
        cwd=REPO_ROOT,
        start_timeout=30.0,
        stop_timeout=15.0,
        detail=lambda: health_detail(url),
    )


def health_detail(url: str) -> str:
    """`spool 0, broker up` from GET /health."""
    with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
        state = json.load(response)
    return f"spool {state['spool_depth']}, broker {state['broker']}"
