"""The Beam batch job: pure transforms with TestPipeline (fast, no Flink), then replays into the
real warehouse from JSONL files, a Kafka offset range and the warehouse itself."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

pytest.importorskip("apache_beam", reason="needs the stream environment (envs/stream)")

import apache_beam as beam  # noqa: E402
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline  # noqa: E402
from apache_beam.testing.util import assert_that, equal_to  # noqa: E402

from pipelines import records  # noqa: E402
from pipelines.beam import replay  # noqa: E402
from pipelines.beam.transforms import AssignPatterns, ParseAndClean, as_message, assign_in_order  # noqa: E402
from tests.stream.data import PII_MARKERS, POISON, SHAPES, make_events, make_execution  # noqa: E402


def pipeline() -> BeamTestPipeline:
    return BeamTestPipeline(runner=replay.make_runner())


def messages(values, source="test"):
    return [as_message(v, source, i) for i, v in enumerate(values)]


# ----------------------------------------------------------------------------- pure


def test_parse_and_clean_splits_events_executions_and_dead_letters():
    events = make_events(12)
    execution = make_execution("run-9")
    values = [json.dumps(e) for e in events] + [json.dumps(execution)] + [v for v, _ in POISON]
    with pipeline() as p:
        out = p | beam.Create(messages(values)) | ParseAndClean()
        assert_that(
            out.events | "Ids" >> beam.Map(lambda r: str(r[records.EVENT_ID])),
            equal_to([e["event_id"] for e in events]),
            label="events",
        )
        assert_that(
            out.events
            | "Masked"
            >> beam.Map(lambda r: any(m in r[records.CLEAN_COLUMNS.index("message")] for m in PII_MARKERS)),
            equal_to([False] * len(events)),
            label="masked",
        )
        assert_that(
            out.execution | "ExecIds" >> beam.Map(lambda r: r[0]),
            equal_to(["run-9"]),
            label="executions",
        )
        reason = records.DEAD_COLUMNS.index("reason")
        assert_that(
            out.dead | "Reasons" >> beam.Map(lambda r: next(w for _, w in POISON if r[reason].startswith(w))),
            equal_to([w for _, w in POISON]),
            label="dead",
        )


def test_time_range_keeps_events_inside_since_until():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    events = make_events(10)
    for i, event in enumerate(events):
        event["timestamp"] = (now + timedelta(minutes=i)).isoformat()
    since, until = now + timedelta(minutes=3), now + timedelta(minutes=7)
    with pipeline() as p:
        out = p | beam.Create(messages([json.dumps(e) for e in events])) | ParseAndClean(since, until)
        assert_that(
            out.events | beam.Map(lambda r: str(r[records.EVENT_ID])),
            equal_to([e["event_id"] for e in events[3:7]]),
        )


def test_assign_patterns_groups_shapes_and_carries_each_mapping_once():
    events = make_events(60)
    shape_of = {e["event_id"]: i % len(SHAPES) for i, e in enumerate(events)}
    with pipeline() as p:
        out = p | beam.Create(messages([json.dumps(e) for e in events])) | ParseAndClean()
        batches = out.events | AssignPatterns(threshold=0.8, batch_size=25, known=[])
        pairs = batches | "Pairs" >> beam.FlatMap(
            lambda b: [(shape_of[str(r[records.EVENT_ID])], r[records.PATTERN_ID]) for r in b[0]]
        )
        # Each shape maps to one pattern id (3 distinct (shape, pattern) pairs, 3 patterns).
        assert_that(
            pairs | "DistinctPairs" >> beam.Distinct() | "Shapes" >> beam.Map(lambda sp: sp[0]),
            equal_to(list(range(len(SHAPES)))),
            label="one-pattern-per-shape",
        )
        assert_that(
            pairs
            | "Patterns" >> beam.Map(lambda sp: sp[1])
            | "DistinctPatterns" >> beam.Distinct()
            | "Count" >> beam.combiners.Count.Globally(),
            equal_to([len(SHAPES)]),
            label="three-patterns",
        )
        assert_that(
            batches
            | "Mappings" >> beam.FlatMap(lambda b: [m[0] for m in b[1]])
            | "CountMappings" >> beam.combiners.Count.PerElement()
            | "Max" >> beam.Map(lambda kv: kv[1])
            | "Distinct" >> beam.Distinct(),
            equal_to([1]),
            label="mappings-once",
        )


def test_assignment_is_reproducible_and_respects_known_mappings():
    engine = records.make_engine()
    events = make_events(30)
    rows = [
        r for _, r in records.clean_parsed(engine, [(records.parse(json.dumps(e)), None) for e in events])
    ]
    first = [r for batch, _ in assign_in_order(rows, [], 0.8, 7) for r in batch]
    again = [r for batch, _ in assign_in_order(list(reversed(rows)), [], 0.8, 7) for r in batch]
    assert [r[records.PATTERN_ID] for r in first] == [r[records.PATTERN_ID] for r in again]
    known = [(rows[0][records.FINGERPRINT], "p-existing", list(rows[0][records.SIGNATURE]))]
    with_known = {
        str(r[records.EVENT_ID]): r[records.PATTERN_ID]
        for batch, _ in assign_in_order(rows, known, 0.8, 7)
        for r in batch
    }
    assert with_known[str(rows[0][records.EVENT_ID])] == "p-existing"


def test_source_specs():
    assert replay.parse_source("jsonl:/data/*.jsonl") == ("jsonl", {"pattern": "/data/*.jsonl"})
    assert replay.parse_source("kafka:error_raw:2:100-200") == (
        "kafka",
        {"topic": "error_raw", "partition": 2, "start": 100, "end": 200},
    )
    assert replay.parse_source("warehouse") == ("warehouse", {})
    with pytest.raises(SystemExit):
        replay.parse_source("kafka:error_raw:x")


# ----------------------------------------------------------------------------- real warehouse


@pytest.fixture
def replay_settings(warehouse, warehouse_db, tmp_path):
    from warehouse.migrate import migrate

    client = warehouse.client(database=warehouse_db)
    migrate(client)
    client.close()
    return warehouse.settings(warehouse_database=warehouse_db, home=tmp_path / "home")


def count(warehouse, database, sql):
    client = warehouse.client(database=database)
    try:
        return client.query(sql).result_rows[0][0]
    finally:
        client.close()


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_jsonl_replay_writes_each_event_once(warehouse, warehouse_db, replay_settings, tmp_path):
    events = make_events(300)
    path = tmp_path / "events.jsonl"
    lines = [json.dumps(e) for e in events] + ["not json", json.dumps(make_execution("run-1"))]
    path.write_text("\n".join(lines) + "\n")

    first = replay.run(["--source", f"jsonl:{path}"], settings=replay_settings)
    assert first["events_written"] == 300 and first["dead_letters"] == 1 and first["executions"] == 1
    second = replay.run(["--source", f"jsonl:{path}"], settings=replay_settings)
    assert second["events_written"] == 0 and second["events_already_stored"] == 300

    assert count(warehouse, warehouse_db, "SELECT count() FROM events_clean") == 300
    assert count(warehouse, warehouse_db, "SELECT uniqExact(pattern_id) FROM events_clean") == len(SHAPES)
    assert count(warehouse, warehouse_db, "SELECT count() FROM executions") == 1
    assert count(warehouse, warehouse_db, "SELECT count() FROM dead_letters") == 2  # one per run
    # Mappings persisted for every pattern used.
    assert (
        count(
            warehouse,
            warehouse_db,
            "SELECT count() FROM (SELECT DISTINCT pattern_id FROM events_clean) "
            "WHERE pattern_id NOT IN (SELECT pattern_id FROM fingerprint_patterns)",
        )
        == 0
    )


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_warehouse_replay_refingerprints_history_in_place(warehouse, warehouse_db, replay_settings):
    from schemas import ErrorEvent

    events = [ErrorEvent.model_validate(e) for e in make_events(120)]
    columns = list(ErrorEvent.model_fields)
    client = warehouse.client(database=warehouse_db)
    client.insert("events_raw", [[getattr(e, c) for c in columns] for e in events], column_names=columns)
    # Rows left by an older engine: wrong pattern ids.
    client.insert(
        "events_clean",
        [
            [e.event_id, e.timestamp, e.project, e.message, "old", "fp-old", datetime(2020, 1, 1, tzinfo=UTC)]
            for e in events
        ],
        column_names=[
            "event_id",
            "timestamp",
            "project",
            "message",
            "canonical_msg",
            "fingerprint",
            "ingested_at",
        ],
    )
    client.close()

    since = min(e.timestamp for e in events).isoformat()
    result = replay.run(["--source", "warehouse", "--since", since], settings=replay_settings)
    assert result["warehouse_rows"] == 120 and result["events_written"] == 120

    final = "FROM events_clean FINAL"
    assert count(warehouse, warehouse_db, f"SELECT count() {final}") == 120
    assert count(warehouse, warehouse_db, f"SELECT countIf(fingerprint = 'fp-old') {final}") == 0
    assert count(warehouse, warehouse_db, f"SELECT uniqExact(pattern_id) {final}") == len(SHAPES)
    assert count(warehouse, warehouse_db, "SELECT count() FROM error_events") == 120


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_kafka_offset_range_replay(memory_broker, warehouse, warehouse_db, replay_settings):
    topic = memory_broker.create_topic()
    producer = memory_broker.producer()
    events = make_events(400)
    for e in events:
        producer.produce(topic, value=json.dumps(e), headers=[("eh-type", b"event")])
    execution = make_execution("run-k")
    producer.produce(topic, value=json.dumps(execution), headers=[("eh-type", b"execution")])
    producer.flush(30)
    settings = replay_settings.model_copy(update={"kafka_bootstrap": memory_broker.bootstrap})

    # Offsets [100, 300) only, read in chunks of 64 offsets.
    result = replay.run(
        ["--source", f"kafka:{topic}:0:100-300", "--kafka-chunk", "64", "--kafka-idle-s", "3"],
        settings=settings,
    )
    assert result["kafka_messages"] == 200 and result["events_written"] == 200
    client = warehouse.client(database=warehouse_db)
    stored = {r[0] for r in client.query("SELECT toString(event_id) FROM events_clean").result_rows}
    client.close()
    assert stored == {e["event_id"] for e in events[100:300]}

    # The rest, including the execution record, selected by its header.
    rest = replay.run(["--source", f"kafka:{topic}:0:0-401", "--kafka-idle-s", "3"], settings=settings)
    assert rest["events_written"] == 200 and rest["events_already_stored"] == 200
    assert rest["executions"] == 1
    assert count(warehouse, warehouse_db, "SELECT count() FROM events_clean") == 400


def test_unique_ids_for_missing_event_id_are_stable():
    raw = json.dumps({"message": "boom", "timestamp": datetime.now(UTC).isoformat()})
    assert records.parse(raw).event_id == records.parse(raw).event_id
    assert records.parse(raw).event_id != records.parse(raw.replace("boom", "bang")).event_id
    assert isinstance(records.parse(raw).event_id, uuid.UUID)
