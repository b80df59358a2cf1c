"""Build the JSON bodies the ingest API accepts (`ErrorEvent`, `ExecutionRecord`), stdlib only."""

from __future__ import annotations

import linecache
import platform
import traceback
import uuid
from datetime import datetime, timezone
from typing import Any

MAX_TEXT = 65_536
MAX_SHORT = 1_024
SNIPPET_LINES = 5


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def runtime_env() -> dict[str, str]:
    return {
        "runtime": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}".strip(),
    }


def error_type_name(exc: BaseException) -> str:
    """As the traceback's last line prints it: builtins bare, others with their module."""
    cls = type(exc)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", "__main__") else f"{module}.{cls.__qualname__}"


def exception_event(exc: BaseException, level: str, context: dict[str, Any]) -> dict[str, Any]:
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    frame = _last_frame(exc)
    event = _base_event(context, level)
    event.update(
        error_type=error_type_name(exc)[:512],
        message=(str(exc) or error_type_name(exc))[:MAX_TEXT],
        stack_trace=_keep_tail(trace, MAX_TEXT),
        file_path=(frame.filename if frame else "")[:MAX_SHORT],
        snippet=_snippet(frame.filename, frame.lineno) if frame and frame.lineno else "",
    )
    return event


def message_event(message: str, level: str, context: dict[str, Any]) -> dict[str, Any]:
    event = _base_event(context, level)
    event["message"] = (str(message) or "<empty message>")[:MAX_TEXT]
    return event


def execution_record(
    execution_id: str, status: str, duration_ms: int, exit_code: int, context: dict[str, Any]
) -> dict[str, Any]:
    return {
        "record_id": str(uuid.uuid4()),
        "execution_id": execution_id[:MAX_SHORT],
        "timestamp": now_iso(),
        "release": context.get("release", "")[:256],
        "user_id": context.get("user_id", "")[:MAX_SHORT],
        "language": context.get("language", "python"),
        "status": status,
        "duration_ms": max(0, int(duration_ms)),
        "exit_code": int(exit_code),
        "code_hash": context.get("code_hash", ""),
    }


def _base_event(context: dict[str, Any], level: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "timestamp": now_iso(),
        "release": context.get("release", "")[:256],
        "execution_id": context.get("execution_id", "")[:MAX_SHORT],
        "user_id": context.get("user_id", "")[:MAX_SHORT],
        "language": context.get("language", "python"),
        "level": level if level in ("fatal", "error", "warning", "info") else "error",
        "code_hash": context.get("code_hash", "")[:MAX_SHORT],
        "env": {**runtime_env(), **context.get("env", {})},
        "tags": dict(context.get("tags", {})),
    }


def _last_frame(exc: BaseException) -> traceback.FrameSummary | None:
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    return frames[-1] if frames else None


def _snippet(filename: str, lineno: int) -> str:
    start = max(1, lineno - SNIPPET_LINES)
    lines = [linecache.getline(filename, n) for n in range(start, lineno + SNIPPET_LINES + 1)]
    return "".join(lines)[:MAX_TEXT]


def _keep_tail(text: str, limit: int) -> str:
    """A long traceback keeps its end: the raising frames and the exception line."""
    return text if len(text) <= limit else text[-limit:]
