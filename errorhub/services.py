"""The local stack, in start order. Each service is defined next to the code it runs."""

from __future__ import annotations

from urllib.parse import urlsplit

from errorhub.settings import Settings
from errorhub.supervisor import Service

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def local_services(settings: Settings) -> list[Service]:
    """Services `errorhub up` owns. Components whose URL points to a remote host are not started."""
    from assets.service import dagster_service
    from dashboards.service import superset_service
    from errorhub.broker import broker_service, storage_service
    from ingest.service import ingest_service
    from pipelines.flink.service import stream_service
    from warehouse.service import warehouse_service

    broker_local = settings.kafka_bootstrap.split(":")[0] in LOOPBACK
    warehouse_local = (urlsplit(settings.warehouse_url).hostname or "") in LOOPBACK
    stack = [
        *([storage_service(settings), broker_service(settings)] if broker_local else []),
        *([warehouse_service(settings)] if warehouse_local else []),
        ingest_service(settings),
        stream_service(settings),
        dagster_service(settings),
        superset_service(settings),
    ]
    return stack


def select(services: list[Service], names: list[str]) -> list[Service]:
    """The named services, in stack order; an unknown name is an error that lists the known ones."""
    known = {s.name for s in services}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise KeyError(f"unknown service {', '.join(unknown)}; known: {', '.join(s.name for s in services)}")
    return [s for s in services if not names or s.name in names]
