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
    dg.Definitions(resources=resources()),
)
