"""Error patterns and what hangs off them: status history, fixes, feedback, alerts."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.types import CH, Severity, Status, utcnow

When = Annotated[AwareDatetime, CH("DateTime64(3, 'UTC')")]
Label = Annotated[str, CH("LowCardinality(String)")]


class PatternReport(BaseModel):
    """One row of the pattern report analysts and dashboards read."""

    model_config = ConfigDict(use_enum_values=True, validate_default=True)

    pattern_id: str
    project: Label = "default"
    error_type: Label = ""
    canonical_msg: str = ""
    first_seen: When
    last_seen: When
    occurrences: Annotated[int, Field(ge=0), CH("UInt64")] = 0
    distinct_users: Annotated[int, Field(ge=0), CH("UInt64")] = 0
    sample_trace: str = ""
    suggested_fix_id: str = ""
    severity: Annotated[Severity, CH("LowCardinality(String)")] = Severity.low
    status: Annotated[Status, CH("LowCardinality(String)")] = Status.open
    rank: Annotated[float, CH("Float64")] = 0.0


class PatternStatusChange(BaseModel):
    """Audit log entry: who moved a pattern from one status to another, when and why."""

    model_config = ConfigDict(use_enum_values=True, validate_default=True)

    pattern_id: str
    changed_at: When = Field(default_factory=utcnow)
    actor: Label = "system"
    from_status: Annotated[Status, CH("LowCardinality(String)")]
    to_status: Annotated[Status, CH("LowCardinality(String)")]
    reason: str = ""


class Solution(BaseModel):
    """A recommended fix, from a rule, from similar resolved messages, or from an LLM."""

    model_config = ConfigDict(use_enum_values=True, validate_default=True)

    solution_id: UUID = Field(default_factory=uuid4)
    pattern_id: str
    source: Annotated[Literal["rule", "similar", "llm"], CH("LowCardinality(String)")]
    title: str
    body: str = ""
    score: Annotated[float, CH("Float64")] = 0.0
    created_at: When = Field(default_factory=utcnow)


class Feedback(BaseModel):
    """A 👍/👎 on a recommended fix."""

    feedback_id: UUID = Field(default_factory=uuid4)
    solution_id: UUID
    pattern_id: str
    user_id: str = ""
    vote: Annotated[Literal[1, -1], CH("Int8")]
    comment: str = ""
    created_at: When = Field(default_factory=utcnow)


Channel = Literal["slack", "email", "pagerduty"]


class AlertRule(BaseModel):
    """When to alert and where."""

    model_config = ConfigDict(use_enum_values=True, validate_default=True)

    rule_id: UUID = Field(default_factory=uuid4)
    name: str
    project: Label = ""
    condition: Annotated[
        Literal["new_pattern", "regressed", "rate_over", "severity_at_least"],
        CH("LowCardinality(String)"),
    ]
    threshold: Annotated[float, CH("Float64")] = 0.0
    window_minutes: Annotated[int, Field(ge=1), CH("UInt32")] = 60
    min_severity: Annotated[Severity, CH("LowCardinality(String)")] = Severity.low
    channels: Annotated[list[Channel], CH("Array(LowCardinality(String))")] = Field(min_length=1)
    targets: dict[str, str] = Field(default_factory=dict, description="channel → webhook/address/routing key")
    enabled: Annotated[bool, CH("Bool")] = True
    updated_at: When = Field(default_factory=utcnow)


class AlertLogEntry(BaseModel):
    """One alert delivery attempt."""

    alert_id: UUID = Field(default_factory=uuid4)
    rule_id: UUID
    pattern_id: str
    channel: Label
    fired_at: When = Field(default_factory=utcnow)
    delivered: Annotated[bool, CH("Bool")] = False
    error: str = ""


class FingerprintPattern(BaseModel):
    """The fingerprint→pattern mapping: many fingerprints belong to one pattern; merges are kept."""

    fingerprint: str
    pattern_id: str
    signature: Annotated[list[int], CH("Array(UInt32)")] = Field(default_factory=list)
    assigned_at: When = Field(default_factory=utcnow)
    assigned_by: Label = "stream"
