"""Metric tables recomputed by Dagster (`assets/`): pattern window counts, resolution cycles
(MTTR), the current summary and the daily rollup. Columns derive from `schemas.metrics`."""

from schemas.metrics import MetricsDaily, MetricsSummary, PatternCounts, PatternResolution
from warehouse.ddl import create_table

STATEMENTS = [
    # Snapshot per pattern; each run inserts a new computed_at and deletes older rows.
    create_table(
        "pattern_counts",
        PatternCounts,
        engine="ReplacingMergeTree(computed_at)",
        order_by="(project, pattern_id)",
    ),
    create_table(
        "pattern_mttr",
        PatternResolution,
        engine="ReplacingMergeTree(computed_at)",
        order_by="(project, pattern_id, cycle)",
    ),
    create_table(
        "metrics_summary",
        MetricsSummary,
        engine="ReplacingMergeTree(computed_at)",
        order_by="project",
    ),
    # Daily rollup: a partition run deletes its day, then inserts it again.
    create_table(
        "metrics_daily",
        MetricsDaily,
        engine="ReplacingMergeTree(computed_at)",
        partition_by="toYYYYMM(day)",
        order_by="(day, project)",
    ),
]
