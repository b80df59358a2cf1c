"""Render Sentry exception values (type, value, frames) as the language's own stack trace text,
so the pattern engine parses a Sentry-sourced event exactly like a native one.

Sentry orders `exception.values` oldest first (the raised exception last) and each
stacktrace's frames caller first (the raising frame last), as Python tracebacks do.
"""

from __future__ import annotations

from collections.abc import Callable

PY_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
PY_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"
PY_BUILTIN_MODULES = {"", "builtins", "exceptions", "__builtin__", "None"}


def frames_of(value: dict) -> list[dict]:
    stacktrace = value.get("stacktrace") or {}
    return [f for f in stacktrace.get("frames") or [] if isinstance(f, dict)]


def qualified_type(value: dict, platform: str) -> str:
    exc_type = str(value.get("type") or "Error")
    module = str(value.get("module") or "")
    if platform == "python" and module not in PY_BUILTIN_MODULES:
        return f"{module}.{exc_type}"
    if platform == "java" and module and "." not in exc_type:
        return f"{module}.{exc_type}"
    return exc_type


def headline(value: dict, platform: str) -> str:
    exc_type = qualified_type(value, platform)
    message = str(value.get("value") or "")
    return f"{exc_type}: {message}" if message else exc_type


def _where(frame: dict) -> str:
    return str(frame.get("abs_path") or frame.get("filename") or frame.get("module") or "<unknown>")


def _python(values: list[dict]) -> str:
    parts = []
    for index, value in enumerate(values):
        if index:
            # sentry-python only names the link for exception groups; implicit chaining is
            # Python's default, so an unnamed link renders as "During handling...".
            source = ((values[index - 1].get("mechanism") or {}).get("source")) or "__context__"
            parts.append(PY_CAUSE if source == "__cause__" else PY_CONTEXT)
        lines = []
        frames = frames_of(value)
        if frames:
            lines.append("Traceback (most recent call last):")
        for frame in frames:
            function = frame.get("function") or "<module>"
            lines.append(f'  File "{_where(frame)}", line {frame.get("lineno") or 0}, in {function}')
            if frame.get("context_line"):
                lines.append(f"    {str(frame['context_line']).strip()}")
        lines.append(headline(value, "python"))
        parts.append("\n".join(lines) + "\n")
    return "".join(parts)


def _javascript(values: list[dict]) -> str:
    blocks = []
    for value in reversed(values):  # newest first, like `error.stack`
        lines = [headline(value, "javascript")]
        for frame in reversed(frames_of(value)):
            place = f"{_where(frame)}:{frame.get('lineno') or 0}:{frame.get('colno') or 0}"
            function = frame.get("function")
            lines.append(f"    at {function} ({place})" if function else f"    at {place}")
        blocks.append("\n".join(lines))
    return "\nCaused by: ".join(blocks) + "\n"


def _java(values: list[dict]) -> str:
    blocks = []
    for value in reversed(values):
        lines = [headline(value, "java")]
        for frame in reversed(frames_of(value)):
            owner = frame.get("module") or ""
            method = f"{owner}.{frame.get('function')}" if owner else str(frame.get("function") or "?")
            source = frame.get("filename") or "Unknown Source"
            lines.append(f"\tat {method}({source}:{frame.get('lineno') or 0})")
        blocks.append("\n".join(lines))
    return "\nCaused by: ".join(blocks) + "\n"


def _go(values: list[dict]) -> str:
    value = values[-1]
    lines = [f"panic: {headline(value, 'go')}", "", "goroutine 1 [running]:"]
    for frame in reversed(frames_of(value)):
        function = frame.get("function") or "?"
        module = frame.get("module") or frame.get("package") or ""
        lines.append(f"{module}.{function}()" if module else f"{function}()")
        lines.append(f"\t{_where(frame)}:{frame.get('lineno') or 0}")
    return "\n".join(lines) + "\n"


def _native(values: list[dict]) -> str:
    """Rust, C, C++ and anything else: a backtrace numbered from the innermost frame."""
    blocks = []
    for value in reversed(values):
        lines = [headline(value, "native")]
        for number, frame in enumerate(reversed(frames_of(value))):
            function = frame.get("function") or frame.get("symbol") or "??"
            lines.append(f"#{number} {function} at {_where(frame)}:{frame.get('lineno') or 0}")
        blocks.append("\n".join(lines))
    return "\nCaused by: ".join(blocks) + "\n"


RENDERERS: dict[str, Callable[[list[dict]], str]] = {
    "python": _python,
    "javascript": _javascript,
    "java": _java,
    "go": _go,
}


def render_stack_trace(values: list[dict], language: str) -> str:
    if not values:
        return ""
    return RENDERERS.get(language, _native)(values)
