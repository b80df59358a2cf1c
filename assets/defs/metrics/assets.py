"""Metrics: window counts per pattern, MTTR per resolution, the current summary (hourly)
and the daily rollup (one partition per UTC day; a re-run deletes the day, then inserts)."""

from datetime import date

import dagster as dg

from assets.defs.resources import WarehouseResource

GROUP = "metrics"
DAILY = dg.DailyPartitionsDefinition(start_date="2025-01-01", timezone="UTC", end_offset=0)


def _now():
    from assets.lib.sql import utcnow

    return utcnow()


@dg.asset(
    group_name=GROUP,
    deps=["patterns", "events_clean", "executions"],
    kinds={"clickhouse"},
    description="Table `pattern_counts`: events 1h/24h/7d, users and executions 24h and failure "
    "rate (share of the project's executions hit) per (project, pattern).",
)
def pattern_counts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from assets.lib.metrics import refresh_pattern_counts

    now = _now()
    with warehouse.client() as client:
        rows = refresh_pattern_counts(client, now)
    return dg.MaterializeResult(metadata={"rows": rows, "computed_at": now.isoformat()})


@dg.asset(
    group_name=GROUP,
    deps=["patterns", "pattern_status_log"],
    kinds={"clickhouse", "python"},
    description="Table `pattern_mttr`: one row per resolution cycle (opened_at → resolved_at, "
    "mttr_seconds, reopened).",
)
def pattern_mttr(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from assets.lib.metrics import refresh_pattern_mttr

    now = _now()
    with warehouse.client() as client:
        rows = refresh_pattern_mttr(client, now)
    return dg.MaterializeResult(metadata={"resolution_cycles": rows, "computed_at": now.isoformat()})


@dg.asset(
    group_name=GROUP,
    deps=["patterns", "pattern_status_log", "events_clean", "executions"],
    kinds={"clickhouse", "python"},
    description="Table `metrics_summary`: per project and `(all)`: MTTR mean/median, reopen rate, "
    "recurrences and recurrence rates 7d/30d, open patterns, failure rate 24h.",
)
def metrics_summary(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from assets.lib.metrics import refresh_summary
    from schemas.metrics import ALL_PROJECTS

    now = _now()
    with warehouse.client() as client:
        rows = refresh_summary(client, now)
    overall = next(r for r in rows if r.project == ALL_PROJECTS)
    return dg.MaterializeResult(
        metadata={
            "projects": len(rows) - 1,
            "mttr_avg_hours": round(overall.mttr_avg_seconds / 3600, 3),
            "reopen_rate": overall.reopen_rate,
            "recurrences_7d": overall.recurrences_7d,
            "recurrences_30d": overall.recurrences_30d,
            "open_patterns": overall.open_patterns,
            "computed_at": now.isoformat(),
        }
    )


@dg.asset(
    group_name=GROUP,
    partitions_def=DAILY,
    deps=["patterns", "pattern_status_log", "events_clean", "executions"],
    kinds={"clickhouse", "python"},
    description="Table `metrics_daily`: per UTC day and project (plus `(all)`): events, users, "
    "executions, failure rate, active/new patterns, resolutions, regressions, MTTR, reopen rate, "
    "recurrence 7d/30d (the trend). Backfill any range from the UI.",
)
def metrics_daily(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from assets.lib.metrics import refresh_daily
    from schemas.metrics import ALL_PROJECTS

    the_day = date.fromisoformat(context.partition_key)
    with warehouse.client() as client:
        rows = refresh_daily(client, the_day, _now())
    overall = next(r for r in rows if r.project == ALL_PROJECTS)
    return dg.MaterializeResult(
        metadata={
            "day": the_day.isoformat(),
            "rows": len(rows),
            "events": overall.events,
            "failure_rate": overall.failure_rate,
            "resolutions": overall.resolutions,
            "regressions": overall.regressions,
        }
    )
