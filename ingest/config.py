"""Ingest limits and the key → project map, derived from the one settings object.

MODULE-LEVEL DEFAULTS: rate, burst, size and timeout limits below are not Settings fields
yet (requested from the settings owner). Until then each can be overridden by the
environment variable named next to it, so tests can start a strict instance.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from errorhub.settings import Settings

# Project name stamped on records sent with the local key (wanted: Settings.ingest_project_name).
DEFAULT_PROJECT_NAME = "default"


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass(frozen=True)
class Project:
    id: int
    name: str


@dataclass(frozen=True)
class IngestConfig:
    host: str
    port: int
    keys: dict[str, Project]
    bootstrap: str
    topic: str
    spool_dir: Path
    rate_per_second: float  # records per second per key (token refill)
    burst: float  # bucket size, in records
    max_body_bytes: int  # as received (possibly compressed)
    max_decompressed_bytes: int
    max_batch: int  # records per request
    delivery_timeout_s: float  # how long a write may wait for the broker before spooling

    @property
    def default_key(self) -> str:
        return next(iter(self.keys))


def ingest_config(settings: Settings) -> IngestConfig:
    key = settings.ingest_key.get_secret_value()
    project = Project(settings.ingest_project_id, DEFAULT_PROJECT_NAME)
    return IngestConfig(
        host=settings.ingest_host,
        port=settings.ingest_port,
        keys={key: project} if key else {},
        bootstrap=settings.kafka_bootstrap,
        topic=settings.topic_raw,
        spool_dir=settings.home / "spool",
        rate_per_second=_env_float("ERRORHUB_INGEST_RATE", 50_000),
        burst=_env_float("ERRORHUB_INGEST_BURST", 100_000),
        max_body_bytes=int(_env_float("ERRORHUB_INGEST_MAX_BODY", 5 * 1024 * 1024)),
        max_decompressed_bytes=int(_env_float("ERRORHUB_INGEST_MAX_DECOMPRESSED", 20 * 1024 * 1024)),
        max_batch=int(_env_float("ERRORHUB_INGEST_MAX_BATCH", 1_000)),
        delivery_timeout_s=_env_float("ERRORHUB_INGEST_DELIVERY_TIMEOUT", 5.0),
    )
