"""Per-event normalisation: pick the adapter, parse frames, build the message template."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from pipelines.engine.adapters import apply_message_rules, parse_trace
from pipelines.engine.text import canonicalize

MAX_CANONICAL_CHARS = 2048


class Normalized(NamedTuple):
    language: str
    error_type: str
    canonical_msg: str
    frames: tuple[str, ...]


def _get(event: Any, name: str, default: str = "") -> str:
    value = event.get(name, default) if isinstance(event, dict) else getattr(event, name, default)
    return value if isinstance(value, str) else default


def _top_frames(trace_frames: list, top: int) -> tuple[str, ...]:
    in_app = [f for f in trace_frames if f.in_app] or trace_frames
    return tuple(f.normalized() for f in in_app[:top])


def normalize(event: Any, top_frames: int = 3) -> Normalized:
    """Template and frames of an already-masked event (dict or model)."""
    args = (
        _get(event, "language", "other"),
        _get(event, "message"),
        _get(event, "stack_trace"),
        _get(event, "error_type"),
        top_frames,
    )
    if args[2] or "\n" in args[1].strip():
        return _normalize_trace(*args)
    return _normalize(*args)


# Pure in its arguments, and the masked stack of one bug repeats across runs and users, while
# it is the costliest to parse: bounded cache for events with a stack. Single log lines mostly
# carry fresh values and would only flush it. Keys are masked text only.
@lru_cache(maxsize=16_384)
def _normalize_trace(language: str, message: str, stack: str, given_type: str, top_frames: int) -> Normalized:
    return _normalize(language, message, stack, given_type, top_frames)


def _normalize(language: str, message: str, stack: str, given_type: str, top_frames: int) -> Normalized:
    # SDKs without a stack field often send the whole traceback as the message.
    trace_text = stack or (message if "\n" in message.strip() else "")
    if not trace_text:  # a log line: nothing to parse
        return Normalized(language, given_type, _template(message, given_type, language), ())
    trace = parse_trace(trace_text, language)
    if trace.language != "log" or language in ("", "other"):
        language = trace.language if trace_text else language
    if not stack and trace_text and trace.message:
        message = trace.message
    error_type = given_type or trace.error_type
    template = _template(message, error_type, language)
    return Normalized(language, error_type, template, _top_frames(trace.frames, top_frames))


def _template(message: str, error_type: str, language: str) -> str:
    if error_type and message.startswith(error_type + ":"):
        message = message[len(error_type) + 1 :]
    message = apply_message_rules(message.strip(), language)
    return canonicalize(message)[:MAX_CANONICAL_CHARS]
