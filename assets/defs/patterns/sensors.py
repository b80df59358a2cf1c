"""Sensors: re-cluster when new fingerprints appear; reopen resolved patterns that recur."""

import hashlib
import json

import dagster as dg

from assets.defs.patterns.jobs import patterns_job, reopen_job
from assets.defs.resources import WarehouseResource

_NEW_FINGERPRINTS_SQL = """
SELECT
    (SELECT count() FROM fingerprint_patterns FINAL
     WHERE assigned_by != 'dagster' AND assigned_at > {assigned:DateTime64(3, 'UTC')}) AS stream_new,
    (SELECT max(assigned_at) FROM fingerprint_patterns WHERE assigned_by != 'dagster') AS stream_latest,
    (SELECT uniqExact(fingerprint) FROM events_clean
     WHERE ingested_at > {ingested:DateTime64(3, 'UTC')} AND fingerprint != ''
       AND fingerprint NOT IN (SELECT fingerprint FROM fingerprint_patterns)) AS unmapped,
    (SELECT max(ingested_at) FROM events_clean) AS ingested_latest
"""


@dg.sensor(
    job=patterns_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Runs patterns_job when the stream mapped new fingerprints or events carry unmapped ones.",
)
def new_fingerprints_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    cursor = json.loads(context.cursor) if context.cursor else {}
    since_assigned = cursor.get("assigned", "1970-01-01 00:00:00.000")
    since_ingested = cursor.get("ingested", "1970-01-01 00:00:00.000")
    with warehouse.client() as client:
        stream_new, stream_latest, unmapped, ingested_latest = client.query(
            _NEW_FINGERPRINTS_SQL,
            parameters={"assigned": since_assigned, "ingested": since_ingested},
        ).result_rows[0]
    new_cursor = json.dumps(
        {
            "assigned": stream_latest.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if stream_new else since_assigned,
            "ingested": ingested_latest.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if unmapped else since_ingested,
        }
    )
    if not stream_new and not unmapped:
        return dg.SkipReason("no new fingerprints")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=f"fingerprints-{new_cursor}",
                tags={"errorhub/new_fingerprints": str(stream_new + unmapped)},
            )
        ],
        cursor=new_cursor,
    )


@dg.sensor(
    job=reopen_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="A resolved pattern that receives a new event is reopened (Regressed) via reopen_job.",
)
def regression_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    from assets.lib.status import find_regressions

    with warehouse.client() as client:
        regressions = find_regressions(client)
    if not regressions:
        return dg.SkipReason("no resolved pattern received new events")
    ids = sorted(r.pattern_id for r in regressions)
    key = ",".join(f"{r.pattern_id}@{r.resolved_at.isoformat()}" for r in regressions)
    return dg.RunRequest(
        # One run per (pattern, resolution): the same regression never triggers twice.
        run_key="regressions-" + hashlib.sha1(key.encode()).hexdigest(),
        run_config={"ops": {"reopen_regressed": {"config": {"pattern_ids": ids}}}},
        tags={"errorhub/regressions": str(len(ids))},
    )
