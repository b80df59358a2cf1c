"""Sentry compatibility: parse envelopes and map Sentry events onto `ErrorEvent`.

Envelope: a JSON header line, then items, each a JSON item header line followed by a
payload of `length` bytes (or up to the next newline when `length` is absent).
Only `event` items become events; sessions, client reports, transactions, attachments and
every other item type are accepted and ignored.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from ingest.frames import frames_of, qualified_type, render_stack_trace
from schemas import ErrorEvent

MAX_TEXT = 65_536
MAX_SHORT = 1_024
MAX_LABEL = 256

PLATFORM_LANGUAGE = {
    "python": "python",
    "javascript": "javascript",
    "node": "javascript",
    "java": "java",
    "go": "go",
    "rust": "rust",
    "c": "c",
    "native": "c",
    "cpp": "cpp",
}
LEVELS = {"fatal": "fatal", "critical": "fatal", "error": "error", "warning": "warning", "warn": "warning"}


class EnvelopeError(ValueError):
    pass


def parse_envelope(body: bytes) -> tuple[dict, list[tuple[dict, bytes]]]:
    """(envelope header, [(item header, payload bytes)])."""
    header_line, _, rest = body.partition(b"\n")
    try:
        header = json.loads(header_line or b"{}")
    except ValueError as error:
        raise EnvelopeError(f"invalid envelope header: {error}") from None
    items = []
    position = 0
    while position < len(rest):
        end = rest.find(b"\n", position)
        line = rest[position : len(rest) if end < 0 else end].strip()
        position = len(rest) if end < 0 else end + 1
        if not line:
            continue
        try:
            item_header = json.loads(line)
        except ValueError as error:
            raise EnvelopeError(f"invalid item header: {error}") from None
        length = item_header.get("length")
        if isinstance(length, int):
            payload = rest[position : position + length]
            if len(payload) < length:
                raise EnvelopeError("item payload shorter than its length")
            position += length
            if rest[position : position + 1] == b"\n":
                position += 1
        else:
            end = rest.find(b"\n", position)
            payload = rest[position : len(rest) if end < 0 else end]
            position = len(rest) if end < 0 else end + 1
        items.append((item_header, payload))
    return header, items


def event_payloads(body: bytes) -> tuple[dict, list[dict]]:
    """The envelope header and the JSON of every `event` item."""
    header, items = parse_envelope(body)
    events = []
    for item_header, payload in items:
        if item_header.get("type") != "event":
            continue
        try:
            event = json.loads(payload)
        except ValueError as error:
            raise EnvelopeError(f"invalid event payload: {error}") from None
        if isinstance(event, dict):
            events.append(event)
    return header, events


# --- mapping ---------------------------------------------------------------------------------
def to_error_event(event: dict[str, Any], project: str) -> ErrorEvent:
    """A Sentry event as our `ErrorEvent`. Never fails on odd input: fields degrade to defaults."""
    language = PLATFORM_LANGUAGE.get(str(event.get("platform") or "").lower(), "other")
    values = _exception_values(event)
    raised = values[-1] if values else {}
    tags = _tags(event)
    message = _message(event, raised, language)
    top = _top_frame(values) or _top_frame(_thread_stacks(event))
    return ErrorEvent(
        event_id=_uuid(event.get("event_id")),
        timestamp=_timestamp(event.get("timestamp")),
        project=project,
        release=_cut(event.get("release"), MAX_LABEL),
        execution_id=_cut(tags.get("execution_id", ""), MAX_SHORT),
        user_id=_cut(_user_id(event.get("user")), MAX_SHORT),
        language=language,
        level=LEVELS.get(str(event.get("level") or "error").lower(), "info"),
        file_path=_cut((top or {}).get("abs_path") or (top or {}).get("filename") or "", MAX_SHORT),
        code_hash=_cut(tags.get("code_hash", ""), MAX_SHORT),
        error_type=_cut(qualified_type(raised, language) if raised else "", 512),
        message=_cut(message, MAX_TEXT) or "<unlabeled event>",
        stack_trace=_cut_head(render_stack_trace(values or _thread_stacks(event), language), MAX_TEXT),
        snippet=_cut(_snippet(top), MAX_TEXT),
        env=_env(event),
        tags=tags,
        fingerprint=_cut(_fingerprint(event.get("fingerprint")), MAX_SHORT),
    )


def _exception_values(event: dict) -> list[dict]:
    exception = event.get("exception")
    values = exception.get("values") if isinstance(exception, dict) else exception
    return [v for v in values or [] if isinstance(v, dict)] if isinstance(values, list) else []


def _thread_stacks(event: dict) -> list[dict]:
    """capture_message with attach_stacktrace puts the stack on a thread, not an exception."""
    threads = event.get("threads")
    values = threads.get("values") if isinstance(threads, dict) else None
    stacks = [t for t in values or [] if isinstance(t, dict) and t.get("stacktrace")]
    message = _message(event, {}, "")
    return [{"type": "Message", "value": message, "stacktrace": t["stacktrace"]} for t in stacks[:1]]


def _message(event: dict, raised: dict, language: str) -> str:
    if raised:
        return str(raised.get("value") or qualified_type(raised, language))
    logentry = event.get("logentry") or event.get("sentry.interfaces.Message")
    if isinstance(logentry, dict):
        text = logentry.get("formatted") or logentry.get("message") or ""
        params = logentry.get("params")
        if not logentry.get("formatted") and params:
            text = _format_params(text, params)
        if text:
            return str(text)
    message = event.get("message")
    if isinstance(message, dict):
        return str(message.get("formatted") or message.get("message") or "")
    return str(message or "")


def _format_params(template: str, params: Any) -> str:
    try:
        return template % (tuple(params) if isinstance(params, list) else params)
    except (TypeError, ValueError, KeyError):
        return template


def _top_frame(values: list[dict]) -> dict | None:
    """The raising frame, preferring in-app code (library frames are rarely the user's fault)."""
    frames = frames_of(values[-1]) if values else []
    in_app = [f for f in frames if f.get("in_app")]
    chosen = in_app or frames
    return chosen[-1] if chosen else None


def _snippet(frame: dict | None) -> str:
    if not frame:
        return ""
    lines = [*(frame.get("pre_context") or []), frame.get("context_line"), *(frame.get("post_context") or [])]
    return "\n".join(str(line) for line in lines if line is not None)


def _tags(event: dict) -> dict[str, str]:
    raw = event.get("tags") or {}
    if isinstance(raw, dict):
        pairs = raw.items()
    else:
        pairs = (p for p in raw if isinstance(p, list | tuple) and len(p) == 2)
    return {_cut(k, MAX_LABEL): _cut(v, MAX_SHORT) for k, v in pairs}


def _env(event: dict) -> dict[str, str]:
    env: dict[str, str] = {}
    for field in ("environment", "server_name", "platform", "dist"):
        if event.get(field):
            env[field] = _cut(event[field], MAX_SHORT)
    contexts = event.get("contexts") if isinstance(event.get("contexts"), dict) else {}
    for name, context in contexts.items():
        if name == "trace" or not isinstance(context, dict):
            continue
        text = " ".join(str(context[k]) for k in ("name", "version") if context.get(k))
        if text:
            env[_cut(name, MAX_LABEL)] = _cut(text, MAX_SHORT)
    sdk = event.get("sdk")
    if isinstance(sdk, dict) and sdk.get("name"):
        env["sdk"] = _cut(f"{sdk['name']} {sdk.get('version', '')}".strip(), MAX_SHORT)
    return env


def _user_id(user: Any) -> str:
    if not isinstance(user, dict):
        return ""
    return str(user.get("id") or user.get("username") or user.get("email") or "")


def _fingerprint(value: Any) -> str:
    if not isinstance(value, list) or value in ([], ["{{ default }}"]):
        return ""
    return "|".join(str(part) for part in value)


def _uuid(value: Any) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        return uuid4()


def _timestamp(value: Any) -> datetime:
    try:
        if isinstance(value, int | float) and value < 4_102_444_800:  # before 2100
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            return parsed if parsed.year <= 2100 else datetime.now(UTC)
    except (ValueError, OverflowError, OSError):
        pass
    return datetime.now(UTC)


def _cut(value: Any, limit: int) -> str:
    text = "" if value is None else str(value)
    return text[:limit]


def _cut_head(text: str, limit: int) -> str:
    """Keep the end of a long trace: the raising frames and the exception line are there."""
    return text if len(text) <= limit else text[-limit:]
