"""The stream job as a supervised local service (imported by the main env: stdlib + lazy imports).

`errorhub up` starts `python -m pipelines.flink.job run` with the stream environment's Python:
a PyFlink mini-cluster in one long-lived process group, resuming from the newest retained
checkpoint under `home/flink/checkpoints`. The runner writes `home/run/stream-status.json`
every second (job id, Flink job state); health = that file is fresh, written by a live process,
and says RUNNING. Detail = Flink state, age of the last completed checkpoint, consumer lag.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from errorhub.settings import REPO_ROOT, Settings
from errorhub.supervisor import Service, pid_alive

STREAM_PYTHON = REPO_ROOT / "envs" / "stream" / ".venv" / "bin" / "python"
STALE_AFTER_S = 15.0


def status_file(settings: Settings) -> Path:
    return Path(settings.home) / "run" / "stream-status.json"


def read_status(settings: Settings) -> dict | None:
    try:
        return json.loads(status_file(settings).read_text())
    except (OSError, ValueError):
        return None


def healthy(settings: Settings) -> bool:
    status = read_status(settings)
    if not status or status.get("state") != "RUNNING":
        return False
    fresh = time.time() - float(status.get("updated_at", 0)) < STALE_AFTER_S
    return fresh and pid_alive(int(status.get("pid", 0)))


def service_env(settings: Settings) -> dict[str, str]:
    """The settings the job process needs, passed explicitly (the caller's Settings may not
    come from the environment, e.g. in tests)."""
    return {
        "PYTHONPATH": str(REPO_ROOT),
        "FLINK_LOG_DIR": str(Path(settings.home) / "log" / "flink"),
        "ERRORHUB_HOME": str(settings.home),
        "ERRORHUB_WAREHOUSE_URL": settings.warehouse_url,
        "ERRORHUB_WAREHOUSE_USER": settings.warehouse_user,
        "ERRORHUB_WAREHOUSE_PASSWORD": settings.warehouse_password.get_secret_value(),
        "ERRORHUB_WAREHOUSE_DATABASE": settings.warehouse_database,
        "ERRORHUB_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "ERRORHUB_TOPIC_RAW": settings.topic_raw,
        "ERRORHUB_TOPIC_CLEAN": settings.topic_clean,
        "ERRORHUB_TOPIC_DEAD": settings.topic_dead,
        "ERRORHUB_LSH_THRESHOLD": str(settings.lsh_threshold),
        "ERRORHUB_FLINK_PYTHON": str(STREAM_PYTHON),
    }


def consumer_lag(settings: Settings, group_id: str = "errorhub-stream", timeout: float = 5.0) -> int | None:
    """Sum over partitions of (high watermark - committed offset) for the job's group."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka_bootstrap,
            "group.id": group_id,
            "enable.auto.commit": False,
        }
    )
    try:
        meta = consumer.list_topics(settings.topic_raw, timeout=timeout)
        topic = meta.topics.get(settings.topic_raw)
        if topic is None or topic.error is not None:
            return None
        parts = [TopicPartition(settings.topic_raw, p) for p in topic.partitions]
        committed = consumer.committed(parts, timeout=timeout)
        lag = 0
        for tp in committed:
            _, high = consumer.get_watermark_offsets(TopicPartition(tp.topic, tp.partition), timeout=timeout)
            lag += max(0, high - max(tp.offset, 0))
        return lag
    finally:
        consumer.close()


def detail(settings: Settings) -> str:
    status = read_status(settings) or {}
    parts = [f"job {status.get('state', 'unknown')}"]
    checkpoint_dir = status.get("checkpoint_dir")
    if checkpoint_dir:
        age = _checkpoint_age(checkpoint_dir)
        parts.append("no checkpoint yet" if age is None else f"last checkpoint {age:.1f}s ago")
    try:
        lag = consumer_lag(settings)
        parts.append("lag unknown" if lag is None else f"lag ~{lag} msgs (Tansu end offsets are approximate)")
    except Exception as error:  # detail is informative only
        parts.append(f"lag unavailable ({type(error).__name__})")
    return ", ".join(parts)


def _checkpoint_age(checkpoint_dir: str) -> float | None:
    from urllib.parse import urlsplit

    parts = urlsplit(checkpoint_dir)
    if parts.scheme not in ("", "file"):
        return None
    metas = list(Path(parts.path).glob("*/chk-*/_metadata"))
    if not metas:
        return None
    return max(0.0, time.time() - max(m.stat().st_mtime for m in metas))


def stream_service(settings: Settings) -> Service:
    return Service(
        name="stream",
        command=[str(STREAM_PYTHON), "-m", "pipelines.flink.job", "run"],
        url=status_file(settings).as_uri(),
        health=lambda: healthy(settings),
        env=service_env(settings),
        cwd=REPO_ROOT,
        start_timeout=180.0,
        stop_timeout=30.0,
        detail=lambda: detail(settings),
    )
