"""Data-quality sweeps with Great Expectations 1.x on frames read from the warehouse.

GX takes 7-8 s to import, so it is imported inside `validate` only (never at definitions
load); each validation uses an ephemeral context, nothing is written to disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from clickhouse_connect.driver.client import Client

from schemas.types import Language, Level

# (Expectation class name, keyword arguments); kept as data so GX loads lazily.
Expectation = tuple[str, dict[str, Any]]


@dataclass
class Outcome:
    passed: bool
    rows: int
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def offending_rows(self) -> int:
        return sum(f["unexpected_count"] for f in self.failures)

    def metadata(self) -> dict[str, Any]:
        return {
            "rows_checked": self.rows,
            "offending_rows": self.offending_rows,
            "failed_expectations": [
                f"{f['expectation']}({f['column']}): {f['unexpected_count']}" for f in self.failures
            ],
        }


def validate(frame: pd.DataFrame, expectations: list[Expectation]) -> Outcome:
    import great_expectations as gx
    import great_expectations.expectations as gxe

    context = gx.get_context(mode="ephemeral")
    try:  # no tqdm bars in the Dagster log
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context.variables.progress_bars = ProgressBarsConfig(globally=False)
    except Exception:  # noqa: BLE001 - cosmetic only
        pass
    batch = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset("frame")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    suite = gx.ExpectationSuite(name="sweep")
    for name, kwargs in expectations:
        suite.add_expectation(getattr(gxe, name)(**kwargs))
    result = batch.validate(suite)
    failures = []
    for r in result.results:
        if not r.success:
            config = r.expectation_config
            count = r.result.get("unexpected_count")
            failures.append(
                {
                    "expectation": config.type,
                    "column": config.kwargs.get("column") or config.kwargs.get("column_A", ""),
                    "unexpected_count": int(count) if count is not None else 1,
                }
            )
    return Outcome(bool(result.success), len(frame), failures)


# ------------------------------------------------------------------------- events_clean

REQUIRED = ("event_id", "project", "fingerprint", "canonical_msg", "message")  # logs may lack error_type
PII_COLUMNS = ("message", "stack_trace", "snippet", "file_path", "user_id")


def recent_clean_events(client: Client, hours: int, limit: int) -> pd.DataFrame:
    """The most recently ingested clean events (the sweep's window)."""
    return client.query_df(
        f"SELECT toString(event_id) AS event_id, project, toString(level) AS level, "
        f"toString(language) AS language, fingerprint, canonical_msg, message, "
        f"toString(error_type) AS error_type, "
        f"stack_trace, snippet, file_path, user_id, timestamp, length(signature) AS signature_len "
        f"FROM events_clean WHERE ingested_at > now64(3) - INTERVAL {int(hours)} HOUR "
        f"ORDER BY ingested_at DESC LIMIT {int(limit)}"
    )


def completeness(frame: pd.DataFrame) -> Outcome:
    frame = frame.copy()
    for col in REQUIRED:  # ClickHouse has no NULL here: an empty string is the missing value
        frame[col] = frame[col].astype(object).where(frame[col].astype(str) != "", None)
    expectations: list[Expectation] = [("ExpectColumnValuesToNotBeNull", {"column": col}) for col in REQUIRED]
    expectations += [
        ("ExpectColumnValuesToBeInSet", {"column": "level", "value_set": [v.value for v in Level]}),
        ("ExpectColumnValuesToBeInSet", {"column": "language", "value_set": [v.value for v in Language]}),
        ("ExpectColumnValuesToBeUnique", {"column": "event_id"}),
    ]
    return validate(frame, expectations)


def pii_flags(frame: pd.DataFrame) -> pd.Series:
    """True for rows where the masking rules would still change a text column."""
    from pipelines.engine import mask_text

    flags = pd.Series(False, index=frame.index)
    for col in PII_COLUMNS:
        if col in frame:
            flags |= frame[col].astype(str).map(lambda s: bool(s) and mask_text(s) != s)
    return flags


def no_pii(frame: pd.DataFrame) -> tuple[Outcome, list[str]]:
    """Outcome plus the event ids of offending rows (ids only: never echo the PII)."""
    flagged = frame.assign(pii_found=pii_flags(frame))
    outcome = validate(
        flagged[["event_id", "pii_found"]],
        [("ExpectColumnValuesToBeInSet", {"column": "pii_found", "value_set": [False]})],
    )
    return outcome, flagged.loc[flagged["pii_found"], "event_id"].head(20).tolist()


# ------------------------------------------------------------------------- mapping, metrics


def mapping_frame(client: Client) -> pd.DataFrame:
    """Per fingerprint seen in events: how many patterns its latest mapping rows name."""
    return client.query_df(
        """
        SELECT e.fingerprint AS fingerprint, ifNull(m.patterns, 0) AS patterns
        FROM (SELECT DISTINCT fingerprint FROM events_clean WHERE fingerprint != '') AS e
        LEFT JOIN
        (
            SELECT fingerprint, uniqExactIf(pattern_id, pattern_id != '') AS patterns
            FROM
            (
                SELECT fingerprint, pattern_id, assigned_at,
                       max(assigned_at) OVER (PARTITION BY fingerprint) AS latest
                FROM fingerprint_patterns
            )
            WHERE assigned_at = latest
            GROUP BY fingerprint
        ) AS m ON m.fingerprint = e.fingerprint
        SETTINGS join_use_nulls = 1
        """
    )


def one_pattern_per_fingerprint(frame: pd.DataFrame) -> Outcome:
    return validate(
        frame,
        [
            ("ExpectColumnValuesToBeUnique", {"column": "fingerprint"}),
            ("ExpectColumnValuesToBeBetween", {"column": "patterns", "min_value": 1, "max_value": 1}),
        ],
    )


def between(column: str, low: float | None = None, high: float | None = None) -> Expectation:
    return ("ExpectColumnValuesToBeBetween", {"column": column, "min_value": low, "max_value": high})


def ordered(a: str, b: str) -> Expectation:
    """a >= b on every row."""
    return ("ExpectColumnPairValuesAToBeGreaterThanB", {"column_A": a, "column_B": b, "or_equal": True})
