"""The errorhub stream job (PyFlink 2.3 DataStream API).

    KafkaSource(error_raw, group id, offsets in checkpoints and committed to the group)
      -> ParseFunction        parse + validate against schemas           [parallel]
      -> key_by(0) -> StoreFunction                                        [parallelism 1]
           accepted messages buffered in checkpointed ListState; flushed by size or a
           processing-time timer: Engine.clean_batch -> PatternIndex.assign (index loaded
           from fingerprint_patterns on open) -> write mappings, then executions/events
           (idempotent), then dead letters
      -> KafkaSink(error_clean)   clean events, emitted only after they are in the warehouse
      -> KafkaSink(error_dead)    dead letters with the reason (side output)

Exactly-once as seen by queries (see also pipelines/records.py):
* Everything not yet written sits in Flink state, so a checkpoint never covers a source offset
  whose row is only in memory: a crash rewinds the source to the checkpoint and restores the
  buffer of that checkpoint.
* Rows written after the last checkpoint are replayed after a restart; the writer skips
  event_ids already in `events_clean` (single writer per job: the store operator has
  parallelism 1) and tags each insert with a deduplication token, and `events_clean` is a
  ReplacingMergeTree on event_id besides.
* PatternIndex consistency: patterns are assigned at flush time, and a flush persists the new
  mapping rows before the events that carry their pattern_ids. After a restart the index is
  reloaded from `fingerprint_patterns`, i.e. it knows every assignment that any stored or
  published event carries, so a replayed event with a known fingerprint gets the same
  pattern_id. An assignment that was never persisted was never stored or published either,
  so assigning it afresh is invisible.
  The error_clean topic is at-least-once (consumers dedup by event_id) and only ever carries
  events whose mapping and row are already in the warehouse.

Run: `python -m pipelines.flink.job run [--local]` (the service runs it in a mini-cluster that
resumes from the newest retained checkpoint), or submit this file to a cluster.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from pyflink.common import Configuration, Types, WatermarkStrategy
from pyflink.common.serialization import SimpleStringSchema
from pyflink.datastream import (
    CheckpointingMode,
    KeyedProcessFunction,
    MapFunction,
    OutputTag,
    RuntimeContext,
    StreamExecutionEnvironment,
)
from pyflink.datastream.connectors.base import DeliveryGuarantee
from pyflink.datastream.connectors.kafka import (
    KafkaOffsetsInitializer,
    KafkaRecordSerializationSchema,
    KafkaSink,
    KafkaSource,
)
from pyflink.datastream.externalized_checkpoint_retention import ExternalizedCheckpointRetention
from pyflink.datastream.state import ListStateDescriptor
from pyflink.java_gateway import get_gateway

from pipelines import records
from pipelines.flink.config import StreamConfig, stage_sources

log = logging.getLogger("errorhub.stream")

DEAD_TAG = OutputTag("dead", Types.STRING())


class ParseFunction(MapFunction):
    """raw JSON -> ('event', validated JSON text) | ('execution', row) | ('dead', row + reason)."""

    def __init__(self, source: str):
        self.source = source

    def map(self, value):
        from schemas import DeadLetter, ExecutionRecord

        parsed = records.parse(value, source=self.source)
        if isinstance(parsed, DeadLetter):
            return records.KIND_DEAD, records.dead_row(parsed)
        if isinstance(parsed, ExecutionRecord):
            return records.KIND_EXECUTION, records.execution_row(parsed)
        # The validated text, not the model: a str crosses the key_by exchange ~25x cheaper
        # than a pickled pydantic object, and re-validating it at flush costs ~15 us.
        return records.KIND_EVENT, value


class StoreFunction(KeyedProcessFunction):
    """Clean (in batches), assign patterns (single writer), write idempotently, emit.

    The buffer of accepted-but-unwritten messages is keyed ListState, so it is part of every
    checkpoint; it is flushed when it holds `flush_rows` items or `flush_ms` after its first
    item (processing-time timer, also checkpointed)."""

    def __init__(
        self,
        warehouse: records.WarehouseConfig,
        threshold: float,
        flush_rows: int,
        flush_ms: int,
        patience_s: float,
        source: str = "",
    ):
        self.source = source
        self.warehouse = warehouse
        self.threshold = threshold
        self.flush_rows = flush_rows
        self.flush_ms = flush_ms
        self.patience_s = patience_s

    def open(self, runtime_context: RuntimeContext):
        self.buffer = runtime_context.get_list_state(
            ListStateDescriptor("buffer", Types.PICKLED_BYTE_ARRAY())
        )
        self.engine = records.make_engine()
        self.writer = records.WarehouseWriter(self.warehouse, patience_s=self.patience_s)
        index = records.make_index(self.threshold)
        index.load(self.writer.load_patterns())
        self.step = records.PatternStep(index, assigned_by="stream")
        self.count = None  # items in the buffer; unknown until the (restored) state is read
        self.timer_at = None

    def close(self):
        if getattr(self, "writer", None) is not None:
            self.writer.close()

    def process_element(self, value, ctx: KeyedProcessFunction.Context):
        if self.count is None:
            self.count = sum(1 for _ in (self.buffer.get() or []))
        self.buffer.add(value)
        self.count += 1
        if self.count >= self.flush_rows:
            yield from self._flush()
        elif self.timer_at is None:
            self.timer_at = ctx.timer_service().current_processing_time() + self.flush_ms
            ctx.timer_service().register_processing_time_timer(self.timer_at)

    def on_timer(self, timestamp: int, ctx: KeyedProcessFunction.OnTimerContext):
        self.timer_at = None
        yield from self._flush()

    def _flush(self):
        started = time.perf_counter()
        items = list(self.buffer.get() or [])
        self.count = 0
        if not items:
            return
        read = time.perf_counter()
        batch = flush_batch(self.engine, self.step, items, self.source)
        cleaned = time.perf_counter()
        result = self.writer.write(**batch)
        written = time.perf_counter()
        self.buffer.clear()
        log.info(
            "flush: %d items (%d events, %d already stored) state %.0f ms, clean %.0f ms, write %.0f ms",
            len(items),
            result.events,
            result.events_skipped,
            (read - started) * 1e3,
            (cleaned - read) * 1e3,
            (written - cleaned) * 1e3,
        )
        for row in batch["events"]:
            yield records.row_json(records.CLEAN_COLUMNS, row)
        for row in batch["dead"]:
            yield DEAD_TAG, records.row_json(records.DEAD_COLUMNS, row)


def flush_batch(
    engine, step: records.PatternStep, items: list[tuple[str, object]], source: str = ""
) -> dict[str, list]:
    """Buffered items -> the rows of one warehouse write (events cleaned and assigned in order)."""
    out: dict[str, list] = {"events": [], "executions": [], "dead": [], "mappings": []}
    raw_events = [obj for kind, obj in items if kind == records.KIND_EVENT]
    parsed = [(records.parse(text, source=source), text) for text in raw_events]
    for kind, row in records.clean_parsed(engine, parsed):
        if kind == records.KIND_EVENT:
            row, mappings = step.assign(row)
            out["events"].append(row)
            out["mappings"].extend(mappings)
        else:
            out["dead"].append(row)
    for kind, row in items:
        if kind == records.KIND_EXECUTION:
            out["executions"].append(row)
        elif kind == records.KIND_DEAD:
            out["dead"].append(row)
    return out


def kafka_sink(bootstrap: str, topic: str) -> KafkaSink:
    serializer = (
        KafkaRecordSerializationSchema.builder()
        .set_topic(topic)
        .set_value_serialization_schema(SimpleStringSchema())
        .build()
    )
    return (
        KafkaSink.builder()
        .set_bootstrap_servers(bootstrap)
        .set_record_serializer(serializer)
        .set_delivery_guarantee(DeliveryGuarantee.AT_LEAST_ONCE)
        .build()
    )


def committed_or_earliest() -> KafkaOffsetsInitializer:
    """Start from the group's committed offsets, else from the earliest.

    PyFlink's `KafkaOffsetResetStrategy` names the shaded class of Flink's own connector build;
    the connector we ship (flink-connector-kafka 4.0.1-2.0 + kafka-clients 3.9.1) is unshaded,
    so the Java objects are built here directly."""
    jvm = get_gateway().jvm
    strategy = jvm.org.apache.kafka.clients.consumer.OffsetResetStrategy.EARLIEST
    initializer = jvm.org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer
    return KafkaOffsetsInitializer(initializer.committedOffsets(strategy))


def null_safe_values(builder) -> None:
    """Record values as str, a null value (tombstone) as None.

    `SimpleStringSchema` throws on a null value, which fails the job on every restart (a poison
    pill no dead-letter queue can catch). Kafka's own StringDeserializer returns null for it;
    the connector passes that on and ParseFunction turns it into a dead letter."""
    jvm = get_gateway().jvm
    string_deserializer = jvm.org.apache.kafka.common.serialization.StringDeserializer().getClass()
    schema = jvm.org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema
    builder._j_builder.setDeserializer(schema.valueOnly(string_deserializer))


def build(env: StreamExecutionEnvironment, cfg: StreamConfig, warehouse: records.WarehouseConfig) -> None:
    """Add the job's operators to env."""
    builder = (
        KafkaSource.builder()
        .set_bootstrap_servers(cfg.bootstrap)
        .set_topics(cfg.topic_raw)
        .set_group_id(cfg.group_id)
        .set_client_id_prefix(cfg.group_id)
        .set_starting_offsets(committed_or_earliest())
        .set_property("partition.discovery.interval.ms", "30000")
        .set_property("commit.offsets.on.checkpoint", "true")
        # Latency: do not let the broker hold a fetch for the default 500 ms at low rates.
        .set_property("fetch.max.wait.ms", "100")
    )
    null_safe_values(builder)
    source = builder.build()
    raw = env.from_source(source, WatermarkStrategy.no_watermarks(), "error_raw").uid("source-raw")
    tagged = (
        raw.map(ParseFunction(f"flink:{cfg.topic_raw}"), output_type=Types.PICKLED_BYTE_ARRAY())
        .name("parse")
        .uid("parse")
    )
    stored = (
        tagged.key_by(lambda _: 0, key_type=Types.INT())
        .process(
            StoreFunction(
                warehouse,
                cfg.lsh_threshold,
                cfg.flush_rows,
                cfg.flush_ms,
                cfg.warehouse_patience_s,
                source=f"flink:{cfg.topic_raw}",
            ),
            output_type=Types.STRING(),
        )
        .name("pattern-and-store")
        .uid("store")
        .set_parallelism(1)
        .set_max_parallelism(1)
    )
    stored.sink_to(kafka_sink(cfg.bootstrap, cfg.topic_clean)).name("error_clean").uid("sink-clean")
    stored.get_side_output(DEAD_TAG).sink_to(kafka_sink(cfg.bootstrap, cfg.topic_dead)).name(
        "error_dead"
    ).uid("sink-dead")


# ----------------------------------------------------------------------------- checkpoints


def _local_dir(uri: str) -> Path | None:
    parts = urlsplit(uri)
    if parts.scheme in ("", "file"):
        return Path(parts.path)
    return None


def latest_checkpoint(checkpoint_dir: str) -> Path | None:
    """The newest completed checkpoint (a chk-N folder with _metadata) under a local dir."""
    root = _local_dir(checkpoint_dir)
    if root is None or not root.is_dir():
        return None
    done = [m.parent for m in root.glob("*/chk-*/_metadata") if m.is_file()]
    return max(done, key=lambda p: (p.joinpath("_metadata").stat().st_mtime, p.name), default=None)


def prune_checkpoints(checkpoint_dir: str, keep: Path | None) -> None:
    """Remove other jobs' retained checkpoints (restores use NO_CLAIM: new jobs never need them)."""
    root = _local_dir(checkpoint_dir)
    if root is None or not root.is_dir():
        return
    for job_dir in root.iterdir():
        if job_dir.is_dir() and (keep is None or job_dir != keep.parent):
            shutil.rmtree(job_dir, ignore_errors=True)


def checkpoint_age(checkpoint_dir: str) -> float | None:
    latest = latest_checkpoint(checkpoint_dir)
    if latest is None:
        return None
    return max(0.0, time.time() - latest.joinpath("_metadata").stat().st_mtime)


# ----------------------------------------------------------------------------- environment


def explicit(name: str) -> bool:
    return f"ERRORHUB_FLINK_{name}" in os.environ


def submitted_by_flink_cli() -> bool:
    """`flink run -py job.py` starts this file with the gateway of the CLI's JVM."""
    return "PYFLINK_GATEWAY_PORT" in os.environ


def make_env(cfg: StreamConfig, *, local: bool) -> tuple[StreamExecutionEnvironment, Path | None]:
    conf = Configuration()
    conf.set_string("python.executable", cfg.python)
    conf.set_string("python.client.executable", cfg.python)
    conf.set_string("restart-strategy.type", "fixed-delay")
    conf.set_string("restart-strategy.fixed-delay.attempts", str(cfg.restart_attempts))
    conf.set_string("restart-strategy.fixed-delay.delay", f"{cfg.restart_delay_ms} ms")
    # On a cluster its own configuration (flink-conf / FLINK_PROPERTIES) decides where
    # checkpoints go and which jars are in lib/, unless ERRORHUB_FLINK_* says otherwise.
    if local or explicit("CHECKPOINT_DIR"):
        conf.set_string("execution.checkpointing.dir", cfg.checkpoint_dir)
        conf.set_string("execution.checkpointing.storage", "filesystem")
    conf.set_string("state.checkpoints.num-retained", "2")
    # Small bundles: rows reach the store operator (and its flush timer) promptly.
    conf.set_string("python.fn-execution.bundle.size", str(cfg.bundle_size))
    conf.set_string("python.fn-execution.bundle.time", str(cfg.bundle_ms))
    use_jars = local or explicit("JARS_DIR")
    jars = sorted(cfg.jars_dir.glob("*.jar")) if use_jars and cfg.jars_dir.is_dir() else []
    if jars:
        conf.set_string("pipeline.jars", ";".join(p.resolve().as_uri() for p in jars))
    restore = None
    if local:
        conf.set_string("rest.bind-address", "127.0.0.1")
        conf.set_string("rest.address", "127.0.0.1")
        conf.set_string("rest.port", str(cfg.rest_port))
        conf.set_string("jobmanager.bind-host", "127.0.0.1")
        conf.set_string("taskmanager.bind-host", "127.0.0.1")
        conf.set_string("taskmanager.host", "127.0.0.1")
        conf.set_string("jobmanager.rpc.address", "127.0.0.1")
        conf.set_string("taskmanager.numberOfTaskSlots", str(max(2, cfg.parallelism)))
        if cfg.restore == "latest":
            restore = latest_checkpoint(cfg.checkpoint_dir)
        elif cfg.restore not in ("", "none"):
            restore = Path(cfg.restore)
        if restore is not None:
            conf.set_string("execution.state-recovery.path", str(restore))
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.set_parallelism(cfg.parallelism)
    env.enable_checkpointing(cfg.checkpoint_ms, CheckpointingMode.EXACTLY_ONCE)
    checkpoints = env.get_checkpoint_config()
    checkpoints.set_externalized_checkpoint_retention(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION)
    checkpoints.set_min_pause_between_checkpoints(min(1000, cfg.checkpoint_ms))
    checkpoints.set_checkpoint_timeout(120_000)
    checkpoints.set_tolerable_checkpoint_failure_number(3)
    if not local and not jars:
        log.info("no pipeline.jars: the cluster's lib/ must provide flink-connector-kafka and kafka-clients")
    env.add_python_file(str(stage_sources(cfg.jars_dir.parent / "pysrc")))
    return env, restore


# ----------------------------------------------------------------------------- runner


def _write_status(path: Path, **fields) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({**fields, "pid": os.getpid(), "updated_at": time.time()}))
    tmp.replace(path)


def run(cfg: StreamConfig, warehouse: records.WarehouseConfig, *, local: bool = True) -> int:
    """Submit the job and watch it until it ends or we are told to stop (SIGTERM/SIGINT)."""
    if local:
        from pipelines.flink.jars import ensure_jars

        ensure_jars(cfg.jars_dir.parent.parent)
    env, restore = make_env(cfg, local=local)
    if local:
        prune_checkpoints(cfg.checkpoint_dir, keep=restore)
    build(env, cfg, warehouse)
    stopping = {"flag": False}

    def _stop(signum, frame):
        stopping["flag"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    client = env.execute_async(cfg.job_name)
    job_id = str(client.get_job_id())
    log.warning("submitted %s (job %s), restored from %s", cfg.job_name, job_id, restore or "nothing")
    state = "CREATED"
    try:
        while not stopping["flag"]:
            state = str(client.get_job_status().result()).split(".")[-1]
            _write_status(
                cfg.status_file,
                job_id=job_id,
                state=state,
                restored_from=str(restore or ""),
                checkpoint_dir=cfg.checkpoint_dir,
            )
            if state in ("FAILED", "FINISHED", "CANCELED"):
                log.error("job %s ended: %s", job_id, state)
                return 1 if state == "FAILED" else 0
            time.sleep(1.0)
        _write_status(
            cfg.status_file,
            job_id=job_id,
            state="CANCELLING",
            restored_from=str(restore or ""),
            checkpoint_dir=cfg.checkpoint_dir,
        )
        client.cancel().result()
        _write_status(
            cfg.status_file,
            job_id=job_id,
            state="CANCELED",
            restored_from=str(restore or ""),
            checkpoint_dir=cfg.checkpoint_dir,
        )
        return 0
    except Exception:
        log.exception("stream job runner failed")
        return 1


def main(argv: list[str] | None = None) -> int:
    from errorhub.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m pipelines.flink.job")
    parser.add_argument("command", choices=["run", "plan"], nargs="?", default="run")
    parser.add_argument(
        "--cluster",
        action="store_true",
        help="submitted to a Flink cluster (implied under `flink run`): no mini-cluster options, "
        "no local restore, checkpoint dir and jars from the cluster unless ERRORHUB_FLINK_* set",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    cfg = StreamConfig.from_settings(settings)
    warehouse = records.WarehouseConfig.from_settings(settings)
    if args.command == "plan":
        env, _ = make_env(cfg, local=not (args.cluster or submitted_by_flink_cli()))
        build(env, cfg, warehouse)
        print(env.get_execution_plan())
        return 0
    return run(cfg, warehouse, local=not (args.cluster or submitted_by_flink_cli()))


if __name__ == "__main__":
    sys.exit(main())
