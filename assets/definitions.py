"""The Dagster code location: a thin entry point over `assets/defs/`, one module per domain.

stream    external tables written by Flink/Beam/ingest + the Beam replay job
patterns  pattern_clusters → patterns, 5-minute schedule, new-fingerprint and regression sensors
metrics   pattern_counts, pattern_mttr, metrics_summary (hourly), metrics_daily (daily partitions)
quality   Great Expectations sweeps over clean events
report    daily_report at 09:00 UTC by SMTP
"""

import dagster as dg

from assets.defs import metrics, patterns, quality, report, stream
from assets.defs.resources import resources

defs = dg.Definitions.merge(
    stream.defs,
    patterns.defs,
    metrics.defs,
    quality.defs,
    report.defs,
    # One process per run, steps in it: on 2 cores the multiprocess executor's per-step
    # interpreter start costs more than the steps (STACK.md: CLI materialize 33 s vs 11 s).
    dg.Definitions(resources=resources(), executor=dg.in_process_executor),
)
