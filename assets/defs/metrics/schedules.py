import dagster as dg

metrics_job = dg.define_asset_job(
    "metrics_job",
    selection=dg.AssetSelection.assets("pattern_counts", "pattern_mttr", "metrics_summary"),
    description="Hourly metrics: pattern window counts, MTTR cycles, summary (with checks).",
)

metrics_daily_job = dg.define_asset_job(
    "metrics_daily_job",
    selection=dg.AssetSelection.assets("metrics_daily"),
    description="Daily rollup, one partition per UTC day.",
)

metrics_hourly = dg.ScheduleDefinition(
    name="metrics_hourly",
    job=metrics_job,
    cron_schedule="7 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

# Each day at 00:20 UTC, the partition of the day that just ended.
daily_rollup = dg.build_schedule_from_partitioned_job(
    metrics_daily_job,
    name="daily_rollup",
    hour_of_day=0,
    minute_of_hour=20,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
