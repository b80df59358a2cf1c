"""Pydantic models defined once; ClickHouse DDL, API validation and JSON Schema derive from them."""

from schemas.event import CleanEvent, DeadLetter, ErrorEvent
from schemas.execution import ExecutionRecord
from schemas.pattern import (
    AlertLogEntry,
    AlertRule,
    Feedback,
    FingerprintPattern,
    PatternReport,
    PatternStatusChange,
    Solution,
)
from schemas.types import Language, Level, RunStatus, Severity, Status

__all__ = [
    "AlertLogEntry",
    "AlertRule",
    "CleanEvent",
    "DeadLetter",
    "ErrorEvent",
    "ExecutionRecord",
    "Feedback",
    "FingerprintPattern",
    "Language",
    "Level",
    "PatternReport",
    "PatternStatusChange",
    "RunStatus",
    "Severity",
    "Solution",
    "Status",
]
