"""JSON Schema of the models SDK authors send or read, exported by `errorhub export-schemas`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from schemas.event import CleanEvent, ErrorEvent
from schemas.execution import ExecutionRecord
from schemas.pattern import Feedback, PatternReport

PUBLIC_MODELS: tuple[type[BaseModel], ...] = (
    ErrorEvent,
    ExecutionRecord,
    CleanEvent,
    PatternReport,
    Feedback,
)


def json_schemas() -> dict[str, dict[str, Any]]:
    """Model name → its JSON Schema (validation mode: what a sender must provide)."""
    return {model.__name__: model.model_json_schema(mode="validation") for model in PUBLIC_MODELS}
