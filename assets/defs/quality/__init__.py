import dagster as dg

from assets.defs.quality.checks import checks, quality_hourly, quality_job

defs = dg.Definitions(asset_checks=checks, jobs=[quality_job], schedules=[quality_hourly])
