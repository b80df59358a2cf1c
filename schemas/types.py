"""Shared field types and the ClickHouse column hint every model field may carry.

`CH("...")` attached with `Annotated` overrides the ClickHouse type that `warehouse.ddl`
derives from the Python type, so a model stays the single definition of a table's columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum


@dataclass(frozen=True)
class CH:
    """ClickHouse column type for a field (e.g. `LowCardinality(String)`)."""

    type: str


def utcnow() -> datetime:
    return datetime.now(UTC)


class Language(StrEnum):
    python = "python"
    javascript = "javascript"
    java = "java"
    go = "go"
    rust = "rust"
    c = "c"
    cpp = "cpp"
    log = "log"
    other = "other"


class Level(StrEnum):
    fatal = "fatal"
    error = "error"
    warning = "warning"
    info = "info"


class Severity(StrEnum):
    high = "High"
    med = "Med"
    low = "Low"


class Status(StrEnum):
    open = "Open"
    resolved = "Resolved"
    ignored = "Ignored"
    regressed = "Regressed"


class RunStatus(StrEnum):
    success = "success"
    error = "error"
    timeout = "timeout"
    killed = "killed"
