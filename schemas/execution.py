"""Every code run, failed or not, so that failure rates are real."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from schemas.types import CH, Language, RunStatus, utcnow


class ExecutionRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True, validate_default=True)

    execution_id: Annotated[str, Field(min_length=1, max_length=1_024)]
    timestamp: Annotated[AwareDatetime, CH("DateTime64(3, 'UTC')")] = Field(default_factory=utcnow)
    project: Annotated[str, Field(max_length=256), CH("LowCardinality(String)")] = "default"
    release: Annotated[str, Field(max_length=256), CH("LowCardinality(String)")] = ""
    user_id: Annotated[str, Field(max_length=1_024)] = ""
    language: Annotated[Language, CH("LowCardinality(String)")] = Language.other
    status: Annotated[RunStatus, CH("LowCardinality(String)")]
    duration_ms: Annotated[int, Field(ge=0), CH("UInt32")] = 0
    exit_code: Annotated[int, CH("Int32")] = 0
    code_hash: str = ""
    record_id: UUID = Field(default_factory=uuid4, description="Deduplicates retried submissions.")
