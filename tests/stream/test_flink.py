"""The Flink stream job against the real broker (Tansu) and the real warehouse (chDB server).

Run in the stream environment, never in parallel:
    envs/stream/.venv/bin/python -m pytest tests/stream -p no:cacheprovider
"""

from __future__ import annotations

import json
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

pytest.importorskip("pyflink", reason="needs the stream environment (envs/stream)")

from pydantic import SecretStr  # noqa: E402

from tests.stream.conftest import wait_for  # noqa: E402
from tests.stream.data import PII_MARKERS, POISON, SHAPES, make_events, make_execution  # noqa: E402

pytestmark = [pytest.mark.flink, pytest.mark.slow, pytest.mark.integration, pytest.mark.timeout(600)]


def job_settings(broker, warehouse, database: str, home: Path):
    """Settings for one job: its own topics, database and home (checkpoints, status, logs)."""
    settings = broker.isolated_settings()
    return settings.model_copy(
        update={
            "home": home,
            "warehouse_url": warehouse.url,
            "warehouse_user": warehouse.user,
            "warehouse_password": SecretStr(warehouse.password),
            "warehouse_database": database,
        }
    )


def make_database(warehouse) -> str:
    from warehouse.migrate import migrate

    name = f"stream_{uuid.uuid4().hex[:10]}"
    admin = warehouse.client()
    admin.command(f"CREATE DATABASE {name}")
    admin.close()
    client = warehouse.client(database=name)
    migrate(client)
    client.close()
    return name


def scalar(warehouse, database: str, sql: str):
    client = warehouse.client(database=database)
    try:
        return client.query(sql).result_rows[0][0]
    finally:
        client.close()


def wait_for_clean_rows(warehouse, database: str, at_least: int, timeout: float, what: str, job) -> None:
    """Wait until events_clean holds at least `at_least` rows; on timeout show the job's log."""
    wait_for(
        lambda: scalar(warehouse, database, "SELECT count() FROM events_clean") >= at_least,
        timeout,
        what,
        on_timeout=job.log_tail,
    )


class Producer:
    """Produces to the raw topic and remembers which event ids the broker acknowledged."""

    def __init__(self, broker, topic: str):
        self.producer = broker.producer({"acks": "all", "enable.idempotence": True})
        self.topic = topic
        self.acked: set[str] = set()
        self.failed = 0

    def send(self, value: bytes | str | None, key: str | None = None, event_id: str | None = None) -> None:
        def on_delivery(error, message):
            if error is None and event_id is not None:
                self.acked.add(event_id)
            elif error is not None:
                self.failed += 1

        while True:
            try:
                self.producer.produce(self.topic, value=value, key=key, on_delivery=on_delivery)
                break
            except BufferError:
                self.producer.poll(0.1)
        self.producer.poll(0)

    def send_events(self, events: list[dict]) -> None:
        for event in events:
            self.send(json.dumps(event), key=event["execution_id"], event_id=event["event_id"])

    def flush(self, timeout: float = 60.0) -> None:
        remaining = self.producer.flush(timeout)
        assert remaining == 0, f"{remaining} messages not delivered within {timeout}s"


# ----------------------------------------------------------------------------- shared job


@pytest.fixture(scope="module")
def running(broker, warehouse, tmp_path_factory):
    """One job for the poison and batch tests (a job start costs 10-20 s)."""
    from tests.stream.conftest import StreamJob

    database = make_database(warehouse)
    home = tmp_path_factory.mktemp("stream-job")
    settings = job_settings(broker, warehouse, database, home)
    job = StreamJob(settings=settings, home=home)
    try:
        job.start()
        yield settings, database, job
    finally:
        job.stop()


def test_poison_messages_land_in_dead_letters_with_reason(broker, warehouse, running):
    settings, database, job = running
    producer = Producer(broker, settings.topic_raw)
    for value, _ in POISON:
        producer.send(value)
    producer.flush()

    wait_for(
        lambda: scalar(warehouse, database, "SELECT count() FROM dead_letters") >= len(POISON),
        180,
        "dead letters in the warehouse",
        on_timeout=job.log_tail,
    )
    client = warehouse.client(database=database)
    stored = client.query("SELECT payload, reason, source FROM dead_letters").result_rows
    client.close()
    assert len(stored) == len(POISON)
    by_payload = {payload: reason for payload, reason, _ in stored}
    for value, reason_start in POISON:
        assert by_payload[(value or b"").decode()].startswith(reason_start), by_payload
    assert {source for _, _, source in stored} == {f"flink:{settings.topic_raw}"}

    dead = wait_for(
        lambda: (
            len(broker.read(settings.topic_dead, idle=2)) >= len(POISON)
            and broker.read(settings.topic_dead, idle=2)
        ),
        60,
        "error_dead messages",
    )
    published = [json.loads(m.value()) for m in dead]
    assert sorted(p["payload"] for p in published) == sorted((v or b"").decode() for v, _ in POISON)
    assert all(p["reason"] for p in published)
    # Nothing poison reached the clean table.
    assert scalar(warehouse, database, "SELECT count() FROM events_clean") == 0


def test_events_are_masked_fingerprinted_grouped_and_published(broker, warehouse, running):
    settings, database, job = running
    events = make_events(90)  # 30 of each of the 3 shapes
    execution = make_execution("run-exec-1")
    producer = Producer(broker, settings.topic_raw)
    producer.send_events(events)
    producer.send(json.dumps(execution), key=execution["execution_id"])
    producer.flush()
    assert producer.acked == {e["event_id"] for e in events}

    wait_for_clean_rows(warehouse, database, len(events), 180, "clean events in the warehouse", job)
    client = warehouse.client(database=database)
    rows = client.query(
        "SELECT toString(event_id), message, stack_trace, fingerprint, length(signature), pattern_id, "
        "canonical_msg FROM events_clean"
    ).named_results()
    rows = list(rows)
    assert len(rows) == len(events)
    assert {r["toString(event_id)"] for r in rows} == producer.acked

    # Masked: no e-mail, IP or phone number of the input survives.
    for row in rows:
        for text in (row["message"], row["stack_trace"]):
            assert not any(marker in text for marker in PII_MARKERS), text
    # Fingerprinted: an exact hash and a full MinHash signature on every row.
    assert all(r["fingerprint"] and r["length(signature)"] == 128 for r in rows)
    # Grouped: one pattern per shape, and the three shapes apart.
    shape_of = {e["event_id"]: i % len(SHAPES) for i, e in enumerate(events)}
    patterns_by_shape: dict[int, set[str]] = {}
    for r in rows:
        patterns_by_shape.setdefault(shape_of[r["toString(event_id)"]], set()).add(r["pattern_id"])
    assert all(len(p) == 1 and "" not in p for p in patterns_by_shape.values()), patterns_by_shape
    assert len({next(iter(p)) for p in patterns_by_shape.values()}) == len(SHAPES)
    # Every pattern used has its mapping persisted (the job's index survives restarts from it).
    mapped = {
        pid
        for (pid,) in client.query("SELECT DISTINCT pattern_id FROM fingerprint_patterns FINAL").result_rows
    }
    assert {r["pattern_id"] for r in rows} <= mapped
    # The execution went to its own table.
    executions = client.query("SELECT execution_id, status, duration_ms FROM executions").result_rows
    client.close()
    assert executions == [("run-exec-1", "error", 1234)]

    # And every clean event was published to error_clean.
    published = wait_for(
        lambda: (msgs := broker.read(settings.topic_clean, idle=2)) and len(msgs) >= len(events) and msgs,
        60,
        "error_clean messages",
    )
    assert {json.loads(m.value())["event_id"] for m in published} == producer.acked


# ----------------------------------------------------------------------------- faults


def produce_in_background(producer: Producer, total: int, chunk: int, pause: float) -> threading.Thread:
    def run():
        base_events = make_events(total)
        for start in range(0, total, chunk):
            producer.send_events(base_events[start : start + chunk])
            producer.producer.poll(0)
            time.sleep(pause)
        producer.flush(120)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def assert_exactly_once(warehouse, database: str, acked: set[str]) -> None:
    client = warehouse.client(database=database)
    try:
        count, unique = client.query("SELECT count(), uniqExact(event_id) FROM events_clean").result_rows[0]
        stored = {r[0] for r in client.query("SELECT toString(event_id) FROM events_clean").result_rows}
        view = client.query("SELECT count() FROM error_events").result_rows[0][0]
        split_fingerprints = client.query(
            "SELECT count() FROM (SELECT fingerprint FROM events_clean GROUP BY fingerprint "
            "HAVING uniqExact(pattern_id) > 1)"
        ).result_rows[0][0]
        unmapped = client.query(
            "SELECT count() FROM (SELECT DISTINCT pattern_id FROM events_clean) "
            "WHERE pattern_id NOT IN (SELECT pattern_id FROM fingerprint_patterns)"
        ).result_rows[0][0]
    finally:
        client.close()
    assert stored == acked, f"missing {len(acked - stored)}, unexpected {len(stored - acked)}"
    assert count == unique == len(acked), (count, unique, len(acked))
    assert view == len(acked)
    # The pattern index survived the restart: a fingerprint never got two pattern ids, and
    # every pattern id in use has its mapping row.
    assert split_fingerprints == 0
    assert unmapped == 0


def test_kill9_mid_stream_then_restart_is_exactly_once(broker, warehouse, stream_job_factory, tmp_path):
    database = make_database(warehouse)
    settings = job_settings(broker, warehouse, database, tmp_path / "home")
    job = stream_job_factory(settings)
    job.start()
    producer = Producer(broker, settings.topic_raw)
    total = 6000
    thread = produce_in_background(producer, total, chunk=500, pause=0.5)

    # Mid-stream: some rows stored, more on the way.
    wait_for_clean_rows(warehouse, database, 1000, 240, "the first rows in the warehouse", job)
    wait_for(
        lambda: any(Path(settings.home, "flink", "checkpoints").glob("*/chk-*/_metadata")),
        60,
        "a completed checkpoint",
    )
    job.kill9()
    stored_at_kill = scalar(warehouse, database, "SELECT count() FROM events_clean")
    thread.join(180)
    assert not thread.is_alive()
    assert len(producer.acked) == total and producer.failed == 0
    assert stored_at_kill < total, "the job finished before the kill; nothing was tested"

    status = job.start()
    assert status["restored_from"], "the restarted job did not resume from a checkpoint"
    wait_for_clean_rows(warehouse, database, total, 300, "all acknowledged events after the restart", job)
    time.sleep(3)  # a late duplicate would show up here
    assert_exactly_once(warehouse, database, producer.acked)


def start_job_with_first_rows(broker, warehouse, stream_job_factory, tmp_path, count: int = 1500):
    """Fault-test prologue: a job on a fresh database, `count` events sent, the first rows stored."""
    database = make_database(warehouse)
    settings = job_settings(broker, warehouse, database, tmp_path / "home")
    job = stream_job_factory(settings)
    job.start()
    producer = Producer(broker, settings.topic_raw)
    first = make_events(count)
    producer.send_events(first)
    producer.flush()
    wait_for_clean_rows(warehouse, database, 300, 240, "the first rows in the warehouse", job)
    return database, settings, job, producer, first


def test_broker_kill9_and_restart_loses_and_duplicates_nothing(
    fresh_broker, warehouse, stream_job_factory, tmp_path
):
    database, settings, job, producer, first = start_job_with_first_rows(
        fresh_broker, warehouse, stream_job_factory, tmp_path
    )

    fresh_broker.kill_broker()
    time.sleep(3)
    fresh_broker.start()
    producer = Producer(fresh_broker, settings.topic_raw)  # a fresh client for the restarted broker
    producer.acked |= {e["event_id"] for e in first}
    producer.send_events(make_events(1500))
    producer.flush(120)
    assert len(producer.acked) == 3000

    wait_for_clean_rows(warehouse, database, 3000, 300, "every acked event after the broker restart", job)
    time.sleep(3)
    assert_exactly_once(warehouse, database, producer.acked)


def test_warehouse_kill9_and_restart_loses_and_duplicates_nothing(
    broker, fresh_warehouse, stream_job_factory, tmp_path
):
    database, settings, job, producer, first = start_job_with_first_rows(
        broker, fresh_warehouse, stream_job_factory, tmp_path
    )

    fresh_warehouse.kill()
    producer.send_events(make_events(1500))  # accepted by the broker while the warehouse is down
    producer.flush()
    time.sleep(5)
    fresh_warehouse.start()

    wait_for_clean_rows(fresh_warehouse, database, 3000, 300, "every acked event after its restart", job)
    time.sleep(3)
    assert_exactly_once(fresh_warehouse, database, producer.acked)
    assert job.status().get("state") == "RUNNING"


def test_stream_service_under_the_supervisor(broker, warehouse, tmp_path):
    """What `errorhub up` / `status` / `down` do with the job: start, healthy, detail, stop."""
    from errorhub.supervisor import Supervisor
    from pipelines.flink.service import stream_service

    database = make_database(warehouse)
    settings = job_settings(broker, warehouse, database, tmp_path / "home")
    service = stream_service(settings)
    service = type(service)(**{**service.__dict__, "command": [sys.executable, *service.command[1:]]})
    supervisor = Supervisor(settings.run_dir, settings.log_dir)
    try:
        assert supervisor.start(service).startswith("started")
        producer = Producer(broker, settings.topic_raw)
        producer.send_events(make_events(30))
        producer.flush()
        wait_for(
            lambda: scalar(warehouse, database, "SELECT count() FROM events_clean") >= 30,
            180,
            "events through the supervised job",
        )
        wait_for(
            lambda: any(Path(settings.home, "flink", "checkpoints").glob("*/chk-*/_metadata")),
            60,
            "a checkpoint",
        )
        status = supervisor.status(service)
        assert status.running and status.healthy
        assert "job RUNNING" in status.detail and "last checkpoint" in status.detail
        assert "lag ~" in status.detail, status.detail
        assert supervisor.start(service) == "already running"
    finally:
        supervisor.stop(service)
    status = supervisor.status(service)
    assert not status.running and not status.healthy
