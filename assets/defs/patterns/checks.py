"""Checks next to the pattern assets (Great Expectations, imported lazily)."""

import dagster as dg

from assets.defs.patterns.assets import pattern_clusters, patterns
from assets.defs.resources import WarehouseResource


def _result(outcome, description: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=description,
        metadata=outcome.metadata(),
    )


@dg.asset_check(
    asset=pattern_clusters, description="Every fingerprint seen in events maps to exactly one pattern."
)
def every_fingerprint_one_pattern(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from assets.lib import quality

    with warehouse.client() as client:
        outcome = quality.one_pattern_per_fingerprint(quality.mapping_frame(client))
    return _result(
        outcome, "fingerprints unmapped or mapped to several patterns are counted in offending_rows"
    )


@dg.asset_check(
    asset=patterns, description="Pattern rows are sane: counts, severity values, time order, rank."
)
def patterns_sane(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from assets.lib import quality

    with warehouse.client() as client:
        frame = client.query_df(
            "SELECT pattern_id, toString(severity) AS severity, occurrences, distinct_users, rank, "
            "toUnixTimestamp64Milli(first_seen) AS first_ms, toUnixTimestamp64Milli(last_seen) AS last_ms "
            "FROM patterns FINAL"
        )
    outcome = quality.validate(
        frame,
        [
            quality.between("occurrences", 1),
            quality.between("distinct_users", 0),
            quality.between("rank", 0),
            ("ExpectColumnValuesToBeInSet", {"column": "severity", "value_set": ["High", "Med", "Low"]}),
            quality.ordered("last_ms", "first_ms"),
        ],
    )
    return _result(outcome, "pattern rows out of range")


checks = [every_fingerprint_one_pattern, patterns_sane]
