"""Kafka clients, topics and the local Tansu broker.

Every component builds its confluent-kafka clients from `producer_config` / `consumer_config`,
so production only changes `kafka_bootstrap` (and, once added, security settings). Nothing
outside this package needs to know that the local broker is Tansu.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message
from confluent_kafka import TopicPartition as TP
from confluent_kafka.admin import AdminClient, NewTopic

from errorhub.settings import Settings
from errorhub.supervisor import Service, port_open

from .binaries import tansu_binary
from .storage import s3_endpoint

CLUSTER_ID = "errorhub"
# Tansu signs S3 requests; the local SeaweedFS runs without identities and accepts any key.
LOCAL_S3_KEY = "errorhub-local"
_log = logging.getLogger("errorhub.broker.kafka")


def _client_base(settings: Settings) -> dict[str, Any]:
    # Production security settings (security.protocol, sasl.*) arrive via `kafka_client_config`.
    return {"bootstrap.servers": settings.kafka_bootstrap, **settings.kafka_client_config}


def admin_config(settings: Settings) -> dict[str, Any]:
    return {**_client_base(settings), "logger": _log}


def producer_config(settings: Settings, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Durable, ordered, at-least-once producer: acks from all in-sync replicas, retries forever
    within message.timeout.ms, one request in flight per broker so retries keep the order.
    Consumers must tolerate duplicates (a retried batch whose ack was lost is written twice).
    """
    return {
        **_client_base(settings),
        "acks": "all",
        # Tansu quirk: after a kill -9, retried idempotent batches are acked as duplicates but
        # were never stored (measured: 9,408 of 161,500 acked lost over 10 kills); without
        # idempotence the same test loses nothing (duplicates instead), at equal throughput.
        "enable.idempotence": False,
        "max.in.flight.requests.per.connection": 1,
        "linger.ms": 10,
        "batch.size": 1_000_000,
        "compression.type": "lz4",
        "message.timeout.ms": 60_000,  # give up (delivery error) after a minute, not librdkafka's 5
        **(overrides or {}),
    }


def consumer_config(
    settings: Settings, group: str, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Group consumer reading from the start of unseen partitions; the caller commits explicitly."""
    return {
        **_client_base(settings),
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        # Tansu quirk: a group join takes ~half of session.timeout.ms, so keep it at the minimum.
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 1500,
        "isolation.level": "read_committed",
        **(overrides or {}),
    }


def topic_names(settings: Settings) -> list[str]:
    return [settings.topic_raw, settings.topic_clean, settings.topic_dead]


def kafka_ready(settings: Settings, timeout: float = 2.0) -> bool:
    """True when the first bootstrap server accepts TCP and answers a metadata request."""
    host, port = kafka_address(settings)
    if not port_open(host, port, timeout):
        return False
    try:
        metadata = AdminClient(admin_config(settings)).list_topics(timeout=timeout)
    except KafkaException:
        return False
    return bool(metadata.brokers)


def ensure_topics(
    settings: Settings,
    partitions: int | None = None,
    topics: list[str] | None = None,
    timeout: float = 30.0,
) -> dict[str, str]:
    """Create the topics that are missing (idempotent). Returns {topic: "created" | "exists"}."""
    names = topics if topics is not None else topic_names(settings)
    partitions = partitions or settings.kafka_topic_partitions
    admin = AdminClient(admin_config(settings))
    existing = set(admin.list_topics(timeout=timeout).topics)
    missing = [name for name in names if name not in existing]
    outcome = {name: "exists" for name in names if name in existing}
    if missing:
        new = [NewTopic(name, num_partitions=partitions, replication_factor=-1) for name in missing]
        futures = admin.create_topics(new, operation_timeout=timeout, request_timeout=timeout)
        outcome |= {name: _creation_result(future, timeout) for name, future in futures.items()}
        _wait_visible(admin, missing, timeout)
    return outcome


def _creation_result(future, timeout: float) -> str:
    try:
        future.result(timeout=timeout)
    except KafkaException as error:
        if error.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS:  # created concurrently
            return "exists"
        raise
    return "created"


def _wait_visible(admin: AdminClient, names: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if set(names) <= set(admin.list_topics(timeout=timeout).topics):
            return
        time.sleep(0.2)
    raise TimeoutError(f"topics {names} not visible in metadata after {timeout:.0f}s")


def read_topic(settings: Settings, topic: str, *, idle: float = 3.0, timeout: float = 60.0) -> list[Message]:
    """Every message of `topic` from offset 0, without a group; stops after `idle` quiet seconds.

    Tansu quirk: its reported end offset is the start of the last batch + 1, so "read up to
    the high watermark" stops early; this reads until nothing new arrives instead.
    """
    admin = AdminClient(admin_config(settings))
    partitions = admin.list_topics(topic, timeout=timeout).topics[topic].partitions
    consumer = Consumer(consumer_config(settings, group=f"errorhub-read-{time.time_ns()}"))
    try:
        consumer.assign([TP(topic, p, OFFSET_BEGINNING) for p in partitions])
        return _drain(consumer, idle, timeout)
    finally:
        consumer.close()


def _drain(consumer: Consumer, idle: float, timeout: float) -> list[Message]:
    messages: list[Message] = []
    deadline = time.monotonic() + timeout
    quiet_until = time.monotonic() + idle
    while time.monotonic() < min(deadline, quiet_until):
        batch = consumer.consume(num_messages=10_000, timeout=0.5)
        good = [m for m in batch if m.error() is None]
        if good:
            messages.extend(good)
            quiet_until = time.monotonic() + idle
    return messages


def kafka_address(settings: Settings) -> tuple[str, int]:
    """Host and port of the first bootstrap server."""
    first = settings.kafka_bootstrap.split(",")[0].strip()
    host, _, port = first.rpartition(":")
    return host or "127.0.0.1", int(port or 9092)


def broker_service(settings: Settings, durable: bool = True) -> Service:
    """Tansu on the first bootstrap address; durable=False keeps data in memory (tests only)."""
    host, port = kafka_address(settings)
    engine = f"s3://{settings.s3_bucket}/" if durable else "memory://errorhub/"
    command = [
        str(tansu_binary()), "broker", "--cluster-id", CLUSTER_ID,
        "--listener-url", f"tcp://{host}:{port}",
        "--advertised-listener-url", f"tcp://{host}:{port}",
        "--storage-engine", engine,
    ]  # fmt: skip
    return Service(
        name="broker",
        command=command,
        url=f"kafka://{host}:{port}",
        health=lambda: kafka_ready(settings),
        port=port,
        env=_s3_env(settings) if durable else {},
        cwd=settings.home,
        start_timeout=30.0,
        stop_timeout=10.0,
        after_start=lambda: _create_topics(settings),
        detail=lambda: _topics_detail(settings),
    )


def _create_topics(settings: Settings) -> None:
    ensure_topics(settings)


def _s3_env(settings: Settings) -> dict[str, str]:
    return {
        "AWS_ENDPOINT": s3_endpoint(settings),
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": LOCAL_S3_KEY,
        "AWS_SECRET_ACCESS_KEY": LOCAL_S3_KEY,
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def _topics_detail(settings: Settings) -> str:
    topics = AdminClient(admin_config(settings)).list_topics(timeout=2).topics
    wanted = topic_names(settings)
    present = [f"{name}({len(topics[name].partitions)})" for name in wanted if name in topics]
    missing = [name for name in wanted if name not in topics]
    return "topics " + " ".join(present) + (f"; missing {' '.join(missing)}" if missing else "")
