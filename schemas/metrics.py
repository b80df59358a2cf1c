"""Row models of the metric tables Dagster recomputes; `warehouse/migrations/0003_metrics.py`
derives their ClickHouse columns from these (one definition per table)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from schemas.types import CH

When = Annotated[datetime, CH("DateTime64(3, 'UTC')")]
Day = Annotated[date, CH("Date")]
Label = Annotated[str, CH("LowCardinality(String)")]
Count = Annotated[int, Field(ge=0), CH("UInt64")]
Rate = Annotated[float, Field(ge=0.0, le=1.0), CH("Float64")]
Seconds = Annotated[float, Field(ge=0.0), CH("Float64")]

# The `project` value of rows that aggregate every project.
ALL_PROJECTS = "(all)"


class PatternCounts(BaseModel):
    """Table `pattern_counts`: sliding-window counts per pattern and project, as of `computed_at`."""

    project: Label
    pattern_id: str
    events_1h: Count = 0
    events_24h: Count = 0
    events_7d: Count = 0
    users_24h: Count = 0
    executions_24h: Count = Field(0, description="Distinct executions that hit the pattern in 24 h.")
    project_executions_24h: Count = Field(0, description="All executions of the project in 24 h.")
    failure_rate_24h: Rate = Field(0.0, description="executions_24h / project_executions_24h (0 if none).")
    computed_at: When


class PatternResolution(BaseModel):
    """Table `pattern_mttr`: one row per resolution cycle of a pattern (per project it occurs in).

    Cycle 1 opens at the pattern's first_seen; a later cycle opens when the pattern regressed.
    `mttr_seconds` = resolved_at - opened_at; `reopened` when a Regressed followed this resolution.
    """

    project: Label
    pattern_id: str
    cycle: Annotated[int, Field(ge=1), CH("UInt32")]
    opened_at: When
    resolved_at: When
    mttr_seconds: Seconds
    reopened: Annotated[bool, CH("Bool")] = False
    reopened_at: Annotated[datetime | None, CH("Nullable(DateTime64(3, 'UTC'))")] = None
    computed_at: When


class MetricsSummary(BaseModel):
    """Table `metrics_summary`: the current figures per project, plus one `(all)` row."""

    project: Label
    patterns: Count = 0
    open_patterns: Count = Field(0, description="Current status Open or Regressed.")
    resolved_patterns: Count = Field(0, description="Patterns resolved at least once.")
    reopened_patterns: Count = Field(0, description="Resolved patterns that regressed afterwards.")
    reopen_rate: Rate = 0.0
    resolutions: Count = 0
    mttr_avg_seconds: Seconds = 0.0
    mttr_median_seconds: Seconds = 0.0
    recurrences_7d: Count = Field(0, description="Patterns that regressed in the last 7 days.")
    recurrences_30d: Count = 0
    recurrence_rate_7d: Rate = Field(0.0, description="recurrences_7d / patterns resolved before.")
    recurrence_rate_30d: Rate = 0.0
    events_24h: Count = 0
    executions_24h: Count = 0
    failed_executions_24h: Count = 0
    failure_rate_24h: Rate = 0.0
    computed_at: When


class MetricsDaily(BaseModel):
    """Table `metrics_daily`: one row per day and project (plus `(all)`); a daily partition."""

    day: Day
    project: Label
    events: Count = 0
    users: Count = 0
    executions: Count = 0
    failed_executions: Count = 0
    failure_rate: Rate = 0.0
    active_patterns: Count = 0
    new_patterns: Count = 0
    resolutions: Count = Field(0, description="Patterns moved to Resolved that day.")
    regressions: Count = Field(0, description="Patterns moved to Regressed that day.")
    mttr_avg_seconds: Seconds = Field(0.0, description="Mean MTTR of the cycles resolved that day.")
    reopen_rate: Rate = Field(0.0, description="As of the end of the day.")
    recurrences_7d: Count = 0
    recurrences_30d: Count = 0
    recurrence_rate_7d: Rate = 0.0
    recurrence_rate_30d: Rate = 0.0
    computed_at: When
