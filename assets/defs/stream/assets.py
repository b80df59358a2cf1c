"""Tables written outside Dagster (Flink job, Beam replays, ingest API, CLI): external assets,
so lineage shows where the patterns and metrics come from."""

import dagster as dg

GROUP = "stream"


def _table(key: str, description: str, deps: list[str] | None = None, kinds: set[str] | None = None):
    return dg.AssetSpec(
        key,
        deps=deps or [],
        description=description,
        group_name=GROUP,
        kinds={"clickhouse", *(kinds or set())},
        metadata={"table": key},
    )


events_raw = _table("events_raw", "Masked events as received (ingest API → Kafka → Flink).", kinds={"kafka"})
events_clean = _table(
    "events_clean",
    "Events after normalize → mask → fingerprint → pattern (Flink; Beam replays rewrite windows).",
    deps=["events_raw"],
    kinds={"flink"},
)
dead_letters = _table("dead_letters", "Messages the pipeline rejected, with the reason.", deps=["events_raw"])
fingerprint_patterns = _table(
    "fingerprint_patterns",
    "fingerprint → pattern mapping: written online by the stream, merges written by pattern_clusters.",
    deps=["events_clean"],
    kinds={"flink"},
)
executions = _table("executions", "Every code run's outcome (ingest API), for failure rates.")
pattern_status_log = _table(
    "pattern_status_log",
    "Status changes: Open/Resolved/Ignored by people (`errorhub pattern status`), "
    "Regressed by regression_sensor.",
)
solutions = _table("solutions", "Recommended fixes per pattern (rules, similar resolved patterns, LLM).")

external_tables = [
    events_raw,
    events_clean,
    dead_letters,
    fingerprint_patterns,
    executions,
    pattern_status_log,
    solutions,
]
