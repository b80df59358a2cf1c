"""Metrics within sane ranges (Great Expectations, imported lazily); failing rows are counted."""

import dagster as dg

from assets.defs.metrics.assets import DAILY, metrics_daily, metrics_summary, pattern_counts, pattern_mttr
from assets.defs.resources import WarehouseResource


def _check(warehouse: WarehouseResource, sql: str, expectations: list) -> dg.AssetCheckResult:
    from assets.lib import quality

    with warehouse.client() as client:
        frame = client.query_df(sql)
    outcome = quality.validate(frame, expectations)
    return dg.AssetCheckResult(passed=outcome.passed, metadata=outcome.metadata())


def _q():
    from assets.lib import quality

    return quality


@dg.asset_check(asset=pattern_counts, description="1h ≤ 24h ≤ 7d counts; failure rate in [0, 1].")
def pattern_counts_sane(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    q = _q()
    return _check(
        warehouse,
        "SELECT events_1h, events_24h, events_7d, failure_rate_24h FROM pattern_counts FINAL",
        [
            q.ordered("events_24h", "events_1h"),
            q.ordered("events_7d", "events_24h"),
            q.between("failure_rate_24h", 0, 1),
        ],
    )


@dg.asset_check(asset=pattern_mttr, description="MTTR ≥ 0 and resolved after opened.")
def pattern_mttr_sane(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    q = _q()
    return _check(
        warehouse,
        "SELECT mttr_seconds, toUnixTimestamp64Milli(opened_at) AS opened_ms, "
        "toUnixTimestamp64Milli(resolved_at) AS resolved_ms FROM pattern_mttr FINAL",
        [q.between("mttr_seconds", 0), q.ordered("resolved_ms", "opened_ms")],
    )


@dg.asset_check(asset=metrics_summary, description="Rates in [0, 1], MTTR ≥ 0, open ≤ patterns.")
def metrics_summary_sane(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    q = _q()
    return _check(
        warehouse,
        "SELECT * FROM metrics_summary FINAL",
        [
            *(
                q.between(c, 0, 1)
                for c in ("reopen_rate", "recurrence_rate_7d", "recurrence_rate_30d", "failure_rate_24h")
            ),
            q.between("mttr_avg_seconds", 0),
            q.between("mttr_median_seconds", 0),
            q.ordered("patterns", "open_patterns"),
            q.ordered("resolved_patterns", "reopened_patterns"),
            q.ordered("recurrences_30d", "recurrences_7d"),
        ],
    )


@dg.asset_check(asset=metrics_daily, partitions_def=DAILY, description="One day's rollup within sane ranges.")
def metrics_daily_sane(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    q = _q()
    day = context.partition_key if context.has_partition_key else "1970-01-01"
    return _check(
        warehouse,
        f"SELECT * FROM metrics_daily FINAL WHERE day = toDate('{day}')",
        [
            *(
                q.between(c, 0, 1)
                for c in ("failure_rate", "reopen_rate", "recurrence_rate_7d", "recurrence_rate_30d")
            ),
            q.between("mttr_avg_seconds", 0),
            q.ordered("executions", "failed_executions"),
            q.ordered("recurrences_30d", "recurrences_7d"),
            ("ExpectColumnValuesToBeUnique", {"column": "project"}),
        ],
    )


checks = [pattern_counts_sane, pattern_mttr_sane, metrics_summary_sane, metrics_daily_sane]
