"""Patterns across the whole history: merge near-duplicate fingerprints, then recompute
every pattern's statistics, severity and rank into `patterns`."""

import dagster as dg
from pydantic import Field

from assets.defs.resources import WarehouseResource, lsh_threshold

GROUP = "patterns"


class ClusterConfig(dg.Config):
    force: bool = Field(False, description="Re-cluster even when no fingerprint or mapping changed.")


@dg.asset(
    group_name=GROUP,
    deps=["events_clean", "fingerprint_patterns"],
    kinds={"clickhouse", "python"},
    description="fingerprint → pattern mapping merged across all history (LSH over fingerprints); "
    "writes merges to fingerprint_patterns (assigned_by='dagster'). Never splits a pattern.",
    tags={"errorhub/serial": "patterns"},
)
def pattern_clusters(
    context: dg.AssetExecutionContext, config: ClusterConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    from assets.lib.patterns import recluster, state_token
    from assets.lib.sql import utcnow

    threshold = lsh_threshold()
    last = context.instance.get_latest_materialization_event(context.asset_key)
    last_meta = last.asset_materialization.metadata if last and last.asset_materialization else {}
    previous = last_meta.get("state_token")
    with warehouse.client() as client:
        token = state_token(client)
        if not config.force and previous is not None and previous.value == token:
            context.log.info(f"no new fingerprints or mapping changes since the last run ({token})")
            return dg.MaterializeResult(metadata={"state_token": token, "skipped": True})
        result, written = recluster(client, threshold, utcnow())
        token = state_token(client)
    context.log.info(
        f"{len(result.mapping)} fingerprints in {result.patterns} patterns; "
        f"{written} mapping rows written, {len(result.merges)} patterns merged away"
    )
    return dg.MaterializeResult(
        metadata={
            "fingerprints": len(result.mapping),
            "patterns": result.patterns,
            "mapping_rows_written": written,
            "patterns_merged": len(result.merges),
            "lsh_threshold": threshold,
            "state_token": token,
            "skipped": False,
        }
    )


@dg.asset(
    group_name=GROUP,
    deps=[pattern_clusters, "solutions"],
    kinds={"clickhouse"},
    description="One row per (project, pattern): error_type, canonical_msg, first/last seen, "
    "occurrences, distinct users, sample trace, severity (High/Med/Low, see assets/lib/severity.py) "
    "and priority rank. Table `patterns`; read through the view `pattern_report`.",
    tags={"errorhub/serial": "patterns"},
)
def patterns(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from assets.lib.patterns import refresh_patterns
    from assets.lib.sql import utcnow

    now = utcnow()
    with warehouse.client() as client:
        stats = refresh_patterns(client, now)
    context.log.info(
        f"{stats.patterns} pattern rows as of {now:%Y-%m-%d %H:%M:%S}; {stats.removed} stale removed"
    )
    return dg.MaterializeResult(
        metadata={
            "rows": stats.patterns,
            "stale_rows_removed": stats.removed,
            "computed_at": now.isoformat(),
            **{f"severity_{k}": v for k, v in sorted(stats.by_severity.items())},
        }
    )
