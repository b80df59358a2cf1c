"""DSNs in Sentry's form: `http://PUBLIC_KEY@HOST:PORT/PROJECT_ID`."""

from __future__ import annotations

from errorhub.settings import Settings


def local_dsn(settings: Settings) -> str:
    key = settings.ingest_key.get_secret_value()
    return f"http://{key}@{settings.ingest_host}:{settings.ingest_port}/{settings.ingest_project_id}"
