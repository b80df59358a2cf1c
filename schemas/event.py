"""The error event, as SDKs send it (`ErrorEvent`) and as the pattern engine stores it (`CleanEvent`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from schemas.types import CH, Language, Level, utcnow

Text = Annotated[str, Field(max_length=65_536)]
ShortText = Annotated[str, Field(max_length=1_024)]
Label = Annotated[str, Field(max_length=256), CH("LowCardinality(String)")]


class ErrorEvent(BaseModel):
    """One exception or error log line from a code run, as an SDK or the ingest API sends it."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True, validate_default=True)

    event_id: UUID = Field(default_factory=uuid4, description="Unique per event; retries reuse it.")
    timestamp: Annotated[AwareDatetime, CH("DateTime64(3, 'UTC')")] = Field(default_factory=utcnow)
    project: Label = "default"
    release: Label = ""
    execution_id: ShortText = Field("", description="The code run this error came from.")
    user_id: ShortText = ""
    language: Annotated[Language, CH("LowCardinality(String)")] = Language.other
    level: Annotated[Level, CH("LowCardinality(String)")] = Level.error
    file_path: ShortText = ""
    code_hash: ShortText = ""
    error_type: Annotated[str, Field(max_length=512)] = ""
    message: Text = Field(min_length=1)
    stack_trace: Text = ""
    snippet: Text = ""
    env: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    fingerprint: ShortText = Field("", description="Client-side grouping override; usually empty.")
    pattern_id: ShortText = ""

    @field_validator("timestamp")
    @classmethod
    def _not_in_far_future(cls, value: datetime) -> datetime:
        if value.year > 2100:
            raise ValueError("timestamp is after year 2100")
        return value


class CleanEvent(BaseModel):
    """An event after normalize → mask → fingerprint → pattern assignment; every string is masked."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True, validate_default=True)

    event_id: UUID
    timestamp: Annotated[AwareDatetime, CH("DateTime64(3, 'UTC')")]
    project: Label = "default"
    release: Label = ""
    execution_id: str = ""
    user_id: str = ""
    language: Annotated[Language, CH("LowCardinality(String)")] = Language.other
    level: Annotated[Level, CH("LowCardinality(String)")] = Level.error
    file_path: str = ""
    code_hash: str = ""
    error_type: Annotated[str, CH("LowCardinality(String)")] = ""
    message: str
    stack_trace: str = ""
    snippet: str = ""
    env: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    canonical_msg: str = Field(description="Message template: paths, numbers, names generalised.")
    frames: list[str] = Field(default_factory=list, description="Normalised top in-app frames.")
    fingerprint: str = Field(description="Exact grouping hash: type + template + top in-app frames.")
    signature: Annotated[list[int], CH("Array(UInt32)")] = Field(
        default_factory=list, description="128-permutation MinHash over 3-gram shingles."
    )
    pattern_id: str = ""
    ingested_at: Annotated[AwareDatetime, CH("DateTime64(3, 'UTC')")] = Field(default_factory=utcnow)


class DeadLetter(BaseModel):
    """A message the pipeline could not accept, kept with the reason instead of being dropped."""

    payload: str
    reason: str
    source: Annotated[str, CH("LowCardinality(String)")] = ""
    source_offset: int = -1
    received_at: Annotated[AwareDatetime, CH("DateTime64(3, 'UTC')")] = Field(default_factory=utcnow)
