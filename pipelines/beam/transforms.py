"""The stream job's pure transforms as Beam composites (batch: replay, backfill, re-fingerprinting).

    messages (value, source, offset, kind_hint)
      -> ParseAndClean      tagged outputs: main = CleanEvent rows, 'execution', 'dead'
      -> AssignPatterns     one ordered pass over all events (PatternIndex is a single writer),
                            events sorted by (timestamp, event_id) so ids are reproducible;
                            yields write batches that carry the mappings they introduce
      -> WriteBatches       WarehouseWriter: mappings, then events (idempotent by event_id)

Pure logic sits in the DoFns; `pipelines.beam.replay.run(argv)` wires sources, options and
the runner. Bad records never fail a bundle: they go to the 'dead' output and a counter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from pipelines import records

NAMESPACE = "errorhub"
TAG_EXECUTION = records.KIND_EXECUTION
TAG_DEAD = records.KIND_DEAD

# A message from any source: (value, source label, offset or -1, kind hint or None).
Message = tuple[Any, str, int, str | None]


def as_message(value: Any, source: str = "", offset: int = -1, kind_hint: str | None = None) -> Message:
    return value, source, offset, kind_hint


class CleanDoFn(beam.DoFn):
    """parse + validate + Engine.clean_batch over a batch of messages; executions and dead
    letters to tagged outputs; events outside [since, until) are counted and dropped."""

    def __init__(self, since: datetime | None = None, until: datetime | None = None):
        self.since = since
        self.until = until
        self.events = Metrics.counter(NAMESPACE, "events")
        self.executions = Metrics.counter(NAMESPACE, "executions")
        self.dead = Metrics.counter(NAMESPACE, "dead_letters")
        self.skipped = Metrics.counter(NAMESPACE, "outside_time_range")

    def setup(self):
        self.engine = records.make_engine()

    def _in_range(self, ts: datetime) -> bool:
        return (self.since is None or ts >= self.since) and (self.until is None or ts < self.until)

    def process(self, batch: list[Message]) -> Iterator[Any]:
        parsed = [
            (records.parse(value, source=source, offset=offset, kind_hint=hint), value)
            for value, source, offset, hint in batch
        ]
        for kind, row in records.clean_parsed(self.engine, parsed):
            if kind == records.KIND_DEAD:
                self.dead.inc()
                yield pvalue.TaggedOutput(TAG_DEAD, row)
                continue
            ts = row[records.TIMESTAMP] if kind == records.KIND_EVENT else row[_EXEC_TS]
            if not self._in_range(ts):
                self.skipped.inc()
            elif kind == records.KIND_EXECUTION:
                self.executions.inc()
                yield pvalue.TaggedOutput(TAG_EXECUTION, row)
            else:
                self.events.inc()
                yield row


_EXEC_TS = records.EXECUTION_COLUMNS.index("timestamp")


class ParseAndClean(beam.PTransform):
    """PCollection[Message] -> DoOutputsTuple(main=event rows, execution=..., dead=...)."""

    def __init__(self, since: datetime | None = None, until: datetime | None = None):
        super().__init__()
        self.since = since
        self.until = until

    def expand(self, messages):
        return (
            messages
            | "Batch" >> beam.BatchElements(min_batch_size=1, max_batch_size=500)
            | "Clean"
            >> beam.ParDo(CleanDoFn(self.since, self.until)).with_outputs(
                TAG_EXECUTION, TAG_DEAD, main="events"
            )
        )


def assign_in_order(
    rows: Iterable[tuple],
    known: Iterable[tuple[str, str, list[int]]],
    threshold: float,
    batch_size: int,
    assigned_by: str = "replay",
) -> Iterator[tuple[list[tuple], list[tuple]]]:
    """Assign patterns to all rows in (timestamp, event_id) order; yield (events, new mappings)
    batches, each batch's mappings being the ones first used by its events."""
    index = records.make_index(threshold)
    index.load(known)
    step = records.PatternStep(index, assigned_by=assigned_by)
    ordered = sorted(rows, key=lambda r: (r[records.TIMESTAMP], str(r[records.EVENT_ID])))
    events: list[tuple] = []
    mappings: list[tuple] = []
    for row in ordered:
        assigned, new = step.assign(row)
        events.append(assigned)
        mappings.extend(new)
        if len(events) >= batch_size:
            yield events, mappings
            events, mappings = [], []
    if events or mappings:
        yield events, mappings


class AssignDoFn(beam.DoFn):
    def __init__(
        self,
        threshold: float,
        batch_size: int,
        warehouse: records.WarehouseConfig | None,
        known: list[tuple[str, str, list[int]]] | None = None,
    ):
        self.threshold = threshold
        self.batch_size = batch_size
        self.warehouse = warehouse
        self.known = known
        self.patterns = Metrics.counter(NAMESPACE, "new_mappings")

    def process(self, keyed: tuple[int, Iterable[tuple]]) -> Iterator[tuple[list[tuple], list[tuple]]]:
        _, rows = keyed
        known = self.known
        if known is None:
            writer = records.WarehouseWriter(self.warehouse)
            try:
                known = writer.load_patterns()
            finally:
                writer.close()
        for events, mappings in assign_in_order(rows, known, self.threshold, self.batch_size):
            self.patterns.inc(len(mappings))
            yield events, mappings


class AssignPatterns(beam.PTransform):
    """PCollection[event row] -> PCollection[(events with pattern_id, mappings)] batches.

    The index is loaded from `fingerprint_patterns` (or from `known` rows, for tests) inside
    the single ordered pass, so the result does not depend on bundle boundaries."""

    def __init__(
        self,
        threshold: float,
        batch_size: int = 2000,
        warehouse: records.WarehouseConfig | None = None,
        known: list[tuple[str, str, list[int]]] | None = None,
    ):
        super().__init__()
        if warehouse is None and known is None:
            raise ValueError("AssignPatterns needs a warehouse to load the index from, or known rows")
        self.args = (threshold, batch_size, warehouse, known)

    def expand(self, rows):
        return (
            rows
            | "SingleKey" >> beam.Map(lambda row: (0, row))
            | "All" >> beam.GroupByKey()
            | "Assign" >> beam.ParDo(AssignDoFn(*self.args))
        )


class WriteBatchDoFn(beam.DoFn):
    """Writes (events, mappings) batches, or ('execution'|'dead', rows) batches."""

    def __init__(self, warehouse: records.WarehouseConfig, replace: bool):
        self.warehouse = warehouse
        self.replace = replace
        self.written = Metrics.counter(NAMESPACE, "events_written")
        self.skipped = Metrics.counter(NAMESPACE, "events_already_stored")

    def setup(self):
        self.writer = records.WarehouseWriter(self.warehouse)

    def teardown(self):
        self.writer.close()

    def process(self, batch: tuple[Any, Any]) -> Iterator[records.WriteResult]:
        first, second = batch
        if first == TAG_EXECUTION:
            result = self.writer.write(executions=second, replace=self.replace)
        elif first == TAG_DEAD:
            result = self.writer.write(dead=second)
        else:
            result = self.writer.write(events=first, mappings=second, replace=self.replace)
        self.written.inc(result.events)
        self.skipped.inc(result.events_skipped)
        yield result


class WriteToWarehouse(beam.PTransform):
    """Writes the pipeline's outputs; idempotent by event_id (record_id for executions).

    `replace=True` (re-fingerprinting) inserts new versions with a newer `ingested_at`, which
    the ReplacingMergeTree keeps over the old rows."""

    def __init__(self, warehouse: records.WarehouseConfig, replace: bool = False, batch_size: int = 2000):
        super().__init__()
        self.warehouse = warehouse
        self.replace = replace
        self.batch_size = batch_size

    def expand(self, pcolls):
        batches, executions, dead = pcolls
        size = self.batch_size
        tagged_exec = (
            executions
            | "BatchExec" >> beam.BatchElements(min_batch_size=1, max_batch_size=size)
            | "TagExec" >> beam.Map(lambda rows: (TAG_EXECUTION, rows))
        )
        tagged_dead = (
            dead
            | "BatchDead" >> beam.BatchElements(min_batch_size=1, max_batch_size=size)
            | "TagDead" >> beam.Map(lambda rows: (TAG_DEAD, rows))
        )
        return (
            (batches, tagged_exec, tagged_dead)
            | "AllBatches" >> beam.Flatten()
            | "Write" >> beam.ParDo(WriteBatchDoFn(self.warehouse, self.replace))
        )


# ----------------------------------------------------------------------------- sources


class ReadKafkaRangeDoFn(beam.DoFn):
    """(topic, partition, start, end) -> messages with offsets in [start, end).

    A plain DoFn over confluent-kafka (Beam's ReadFromKafka needs a jar download). The range is
    split into chunks upstream so several workers can read one partition. End offsets reported
    by some brokers (Tansu) are wrong, so reading stops at `end` or after `idle_s` of silence."""

    def __init__(self, bootstrap: str, idle_s: float = 5.0, extra: dict | None = None):
        self.bootstrap = bootstrap
        self.idle_s = idle_s
        self.extra = extra or {}
        self.read = Metrics.counter(NAMESPACE, "kafka_messages")

    def process(self, task: tuple[str, int, int, int]) -> Iterator[Message]:
        import time

        from confluent_kafka import Consumer, TopicPartition

        topic, partition, start, end = task
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": "errorhub-replay",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                **self.extra,
            }
        )
        try:
            consumer.assign([TopicPartition(topic, partition, start)])
            position = start
            last = time.monotonic()
            while position < end and time.monotonic() - last < self.idle_s:
                batch = consumer.consume(num_messages=1000, timeout=0.5)
                for message in batch:
                    if message.error():
                        continue
                    last = time.monotonic()
                    offset = message.offset()
                    position = max(position, offset + 1)
                    if offset >= end:
                        break
                    headers = dict(message.headers() or [])
                    hint = headers.get("eh-type")
                    hint = hint.decode() if isinstance(hint, bytes) else hint
                    self.read.inc()
                    yield message.value(), f"kafka:{topic}:{partition}", offset, hint
        finally:
            consumer.close()


def split_range(
    topic: str, partition: int, start: int, end: int, chunk: int
) -> list[tuple[str, int, int, int]]:
    return [(topic, partition, lo, min(lo + chunk, end)) for lo in range(start, end, chunk)]


class ReadKafkaRange(beam.PTransform):
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        partition: int,
        start: int,
        end: int,
        chunk: int = 50_000,
        idle_s: float = 5.0,
    ):
        super().__init__()
        self.bootstrap = bootstrap
        self.tasks = split_range(topic, partition, start, end, chunk)
        self.idle_s = idle_s

    def expand(self, pbegin):
        return (
            pbegin
            | "Ranges" >> beam.Create(self.tasks)
            | "Spread" >> beam.Reshuffle()
            | "Read" >> beam.ParDo(ReadKafkaRangeDoFn(self.bootstrap, self.idle_s))
        )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds")
    return str(value)


class ReadWarehouseDoFn(beam.DoFn):
    """(since, until) -> raw events from `events_raw` as messages (re-fingerprint history)."""

    def __init__(self, warehouse: records.WarehouseConfig):
        self.warehouse = warehouse
        self.read = Metrics.counter(NAMESPACE, "warehouse_rows")

    def process(self, window: tuple[datetime | None, datetime | None]) -> Iterator[Message]:
        from schemas import ErrorEvent

        since, until = window
        columns = list(ErrorEvent.model_fields)
        where, params = ["1"], {}
        if since is not None:
            where.append("timestamp >= {since:DateTime64(3, 'UTC')}")
            params["since"] = since
        if until is not None:
            where.append("timestamp < {until:DateTime64(3, 'UTC')}")
            params["until"] = until
        query = (
            f"SELECT {', '.join(columns)} FROM events_raw FINAL WHERE {' AND '.join(where)} "
            "ORDER BY timestamp, event_id"
        )
        client = self.warehouse.client()
        try:
            with client.query_rows_stream(query, parameters=params) as stream:
                for row in stream:
                    self.read.inc()
                    obj = dict(zip(columns, row, strict=True))
                    yield (
                        json.dumps(obj, default=_json_default),
                        "warehouse:events_raw",
                        -1,
                        records.KIND_EVENT,
                    )
        finally:
            client.close()


class ReadWarehouse(beam.PTransform):
    def __init__(self, warehouse: records.WarehouseConfig, since: datetime | None, until: datetime | None):
        super().__init__()
        self.warehouse = warehouse
        self.window = (since, until)

    def expand(self, pbegin):
        return (
            pbegin
            | "Window" >> beam.Create([self.window])
            | "Query" >> beam.ParDo(ReadWarehouseDoFn(self.warehouse))
        )


class ReadJsonl(beam.PTransform):
    def __init__(self, pattern: str):
        super().__init__()
        self.pattern = pattern

    def expand(self, pbegin):
        source = f"jsonl:{self.pattern}"
        return (
            pbegin
            | "Lines" >> beam.io.ReadFromText(self.pattern)
            | "NonBlank" >> beam.Filter(lambda line: line.strip() != "")
            | "AsMessage" >> beam.Map(lambda line: as_message(line, source))
        )
