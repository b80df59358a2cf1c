import dagster as dg

from assets.defs.metrics.assets import metrics_daily, metrics_summary, pattern_counts, pattern_mttr
from assets.defs.metrics.checks import checks
from assets.defs.metrics.schedules import daily_rollup, metrics_daily_job, metrics_hourly, metrics_job

defs = dg.Definitions(
    assets=[pattern_counts, pattern_mttr, metrics_summary, metrics_daily],
    asset_checks=checks,
    jobs=[metrics_job, metrics_daily_job],
    schedules=[metrics_hourly, daily_rollup],
)
