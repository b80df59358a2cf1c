import dagster as dg

from assets.defs.patterns.jobs import patterns_job

patterns_every_5_minutes = dg.ScheduleDefinition(
    name="patterns_every_5_minutes",
    job=patterns_job,
    cron_schedule="*/5 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
