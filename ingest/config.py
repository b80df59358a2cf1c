"""Ingest limits and the key → project map, derived from the one settings object."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from errorhub.settings import Settings


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
    project = Project(settings.ingest_project_id, settings.ingest_project_name)
    return IngestConfig(
        host=settings.ingest_host,
        port=settings.ingest_port,
        keys={key: project} if key else {},
        bootstrap=settings.kafka_bootstrap,
        topic=settings.topic_raw,
        spool_dir=settings.home / "spool",
        rate_per_second=settings.ingest_rate,
        burst=settings.ingest_burst,
        max_body_bytes=settings.ingest_max_body,
        max_decompressed_bytes=settings.ingest_max_decompressed,
        max_batch=settings.ingest_max_batch,
        delivery_timeout_s=settings.ingest_delivery_timeout,
    )
