import dagster as dg

from assets.defs.patterns.assets import pattern_clusters, patterns
from assets.defs.patterns.checks import checks
from assets.defs.patterns.jobs import patterns_job, reopen_job
from assets.defs.patterns.schedules import patterns_every_5_minutes
from assets.defs.patterns.sensors import new_fingerprints_sensor, regression_sensor

defs = dg.Definitions(
    assets=[pattern_clusters, patterns],
    asset_checks=checks,
    jobs=[patterns_job, reopen_job],
    schedules=[patterns_every_5_minutes],
    sensors=[new_fingerprints_sensor, regression_sensor],
)
