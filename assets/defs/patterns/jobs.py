import dagster as dg
from pydantic import Field

from assets.defs.resources import WarehouseResource

patterns_job = dg.define_asset_job(
    "patterns_job",
    selection=dg.AssetSelection.assets("pattern_clusters", "patterns"),
    description="Merge fingerprints into patterns and recompute the patterns table (with checks).",
    tags={"errorhub/serial": "patterns"},
)


class ReopenConfig(dg.Config):
    """Regressions found by `regression_sensor`: pattern id and the resolution they follow."""

    pattern_ids: list[str] = Field(description="Patterns to move from Resolved to Regressed.")


@dg.op
def reopen_regressed(
    context: dg.OpExecutionContext, config: ReopenConfig, warehouse: WarehouseResource
) -> int:
    from assets.lib.status import SYSTEM_ACTOR, find_regressions, reopen

    wanted = set(config.pattern_ids)
    reopened = 0
    with warehouse.client() as client:
        for regression in find_regressions(client):
            if regression.pattern_id not in wanted:
                continue
            change = reopen(client, regression, actor=SYSTEM_ACTOR)
            if change is None:
                context.log.info(f"{regression.pattern_id}: status changed meanwhile, left alone")
            else:
                reopened += 1
                context.log.info(f"{regression.pattern_id}: Resolved → Regressed ({regression.reason})")
    context.add_output_metadata({"reopened": reopened, "requested": len(wanted)})
    return reopened


@dg.job(description="Move resolved patterns that received new events to Regressed (status log).")
def reopen_job() -> None:
    reopen_regressed()
