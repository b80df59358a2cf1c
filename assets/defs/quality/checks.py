"""Checks on the stream's clean events (an external asset): completeness, value sets, and a
PII sweep with the masking rules. They sweep the most recently ingested rows (a window)."""

import dagster as dg

from assets.defs.resources import WarehouseResource

WINDOW_HOURS = 24
MAX_ROWS = 50_000


@dg.asset_check(
    asset="events_clean",
    description=f"Required fields present, level/language in their value sets, event_id unique "
    f"(events ingested in the last {WINDOW_HOURS} h, at most {MAX_ROWS} rows).",
)
def events_clean_complete(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from assets.lib import quality

    with warehouse.client() as client:
        frame = quality.recent_clean_events(client, WINDOW_HOURS, MAX_ROWS)
    if frame.empty:
        return dg.AssetCheckResult(passed=True, metadata={"rows_checked": 0, "offending_rows": 0})
    outcome = quality.completeness(frame)
    return dg.AssetCheckResult(passed=outcome.passed, metadata=outcome.metadata())


@dg.asset_check(
    asset="events_clean",
    description="No unmasked PII left: the masking rules change nothing in message, stack_trace, "
    "snippet, file_path, user_id.",
)
def events_clean_no_pii(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from assets.lib import quality

    with warehouse.client() as client:
        frame = quality.recent_clean_events(client, WINDOW_HOURS, MAX_ROWS)
    if frame.empty:
        return dg.AssetCheckResult(passed=True, metadata={"rows_checked": 0, "offending_rows": 0})
    outcome, event_ids = quality.no_pii(frame)
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={**outcome.metadata(), "offending_event_ids": event_ids},
    )


checks = [events_clean_complete, events_clean_no_pii]

quality_job = dg.define_asset_job(
    "quality_job",
    selection=dg.AssetSelection.checks_for_assets("events_clean"),
    description="Great Expectations sweeps over recent clean events.",
)

quality_hourly = dg.ScheduleDefinition(
    name="quality_hourly",
    job=quality_job,
    cron_schedule="37 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
