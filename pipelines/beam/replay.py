"""Replay / backfill / re-fingerprint with Beam (stream env, FnApiRunner chosen explicitly).

    python -m pipelines.beam.replay --source jsonl:PATH            [--since T] [--until T]
    python -m pipelines.beam.replay --source kafka:TOPIC:PARTITION:START-END
    python -m pipelines.beam.replay --source warehouse             [--since T] [--until T]

jsonl and kafka sources write only events not yet stored (idempotent by event_id). The
warehouse source re-reads `events_raw` and writes new versions of the clean rows (newer
`ingested_at`, which the ReplacingMergeTree keeps): re-fingerprinting after an engine change.
`--mode insert|replace` overrides that choice. Prints the counters as JSON at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines import records
from pipelines.beam.transforms import (
    AssignPatterns,
    ParseAndClean,
    ReadJsonl,
    ReadKafkaRange,
    ReadWarehouse,
    WriteToWarehouse,
)

RUNNER = "apache_beam.runners.portability.fn_api_runner.FnApiRunner"


def make_runner():
    # Beam 2.61 needs the full class path; the default would try to download Prism (offline here).
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    return FnApiRunner()


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    # The warehouse keeps milliseconds (DateTime64(3)): compare at that precision everywhere.
    return parsed.replace(microsecond=parsed.microsecond // 1000 * 1000)


def parse_source(spec: str) -> tuple[str, dict]:
    kind, _, rest = spec.partition(":")
    if kind == "jsonl" and rest:
        return "jsonl", {"pattern": rest}
    if kind == "kafka":
        try:
            topic, partition, span = rest.rsplit(":", 2)
            start, end = span.split("-", 1)
            return "kafka", {
                "topic": topic,
                "partition": int(partition),
                "start": int(start),
                "end": int(end),
            }
        except ValueError:
            pass
        raise SystemExit(f"--source kafka:TOPIC:PARTITION:START-END, got {spec!r}")
    if kind == "warehouse":
        return "warehouse", {}
    raise SystemExit(
        f"--source must be jsonl:PATH, kafka:TOPIC:PARTITION:START-END or warehouse, got {spec!r}"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.beam.replay",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--source", required=True)
    parser.add_argument("--since", help="ISO time, inclusive (event timestamp)")
    parser.add_argument("--until", help="ISO time, exclusive")
    parser.add_argument(
        "--mode",
        choices=["insert", "replace"],
        help="insert: skip stored event_ids (default for jsonl/kafka); "
        "replace: write new versions (default for warehouse)",
    )
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--kafka-chunk", type=int, default=50_000, help="offsets per read task")
    parser.add_argument("--kafka-idle-s", type=float, default=5.0)
    return parser


def build_pipeline(pipeline: beam.Pipeline, args: argparse.Namespace, settings) -> None:
    kind, spec = parse_source(args.source)
    warehouse = records.WarehouseConfig.from_settings(settings)
    since, until = _time(args.since), _time(args.until)
    if kind == "jsonl":
        messages = pipeline | "ReadJsonl" >> ReadJsonl(spec["pattern"])
    elif kind == "kafka":
        messages = pipeline | "ReadKafka" >> ReadKafkaRange(
            settings.kafka_bootstrap,
            spec["topic"],
            spec["partition"],
            spec["start"],
            spec["end"],
            chunk=args.kafka_chunk,
            idle_s=args.kafka_idle_s,
        )
    else:
        messages = pipeline | "ReadWarehouse" >> ReadWarehouse(warehouse, since, until)
    replace = (args.mode or ("replace" if kind == "warehouse" else "insert")) == "replace"
    cleaned = messages | "ParseAndClean" >> ParseAndClean(since, until)
    batches = cleaned.events | "AssignPatterns" >> AssignPatterns(
        settings.lsh_threshold, args.batch_size, warehouse=warehouse
    )
    _ = (batches, cleaned.execution, cleaned.dead) | "Write" >> WriteToWarehouse(
        warehouse, replace=replace, batch_size=args.batch_size
    )


def run(argv: list[str] | None = None, settings=None) -> dict[str, int]:
    """Run a replay to completion; returns the pipeline's counters."""
    args, beam_args = build_parser().parse_known_args(argv)
    if settings is None:
        from errorhub.settings import get_settings

        settings = get_settings()
    options = PipelineOptions(beam_args)
    pipeline = beam.Pipeline(runner=make_runner(), options=options)
    build_pipeline(pipeline, args, settings)
    result = pipeline.run()
    result.wait_until_finish()
    counters = {c.key.metric.name: c.committed for c in result.metrics().query()["counters"]}
    return counters


def main() -> None:
    print(json.dumps(run(sys.argv[1:]), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
