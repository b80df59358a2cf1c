"""Rust panics: `thread 'main' panicked at src/main.rs:5:9:\nmsg` and RUST_BACKTRACE frames."""

from __future__ import annotations

import re

from pipelines.engine.adapters.base import Frame, ParsedTrace, file_stem

language = "rust"

# Rust >= 1.73 puts the message on the next line; older versions quote it inline.
_PANIC_NEW = re.compile(
    r"^thread '[^']*'(?: \(\d+\))? panicked at (?P<loc>\S+?):(?P<line>\d+):\d+:\n(?P<msg>.*)$", re.M
)
_PANIC_OLD = re.compile(
    r"^thread '[^']*'(?: \(\d+\))? panicked at '(?P<msg>.*)', (?P<loc>\S+?):(?P<line>\d+):\d+$", re.M
)
_FRAME = re.compile(r"^\s*\d+: (?P<func>\S+)(?:\n\s+at (?P<file>\S+?):(?P<line>\d+)(?::\d+)?)?", re.M)
_LIBRARY = re.compile(r"^(std|core|alloc|rust_begin_unwind|__rust|_start|__libc|backtrace)")


def detects(text: str) -> bool:
    return "panicked at" in text


def parse(text: str) -> ParsedTrace:
    frames = [
        Frame(
            function=m["func"],
            module=file_stem(m["file"] or ""),
            file=m["file"] or "",
            line=int(m["line"]) if m["line"] else None,
            in_app=not _LIBRARY.match(m["func"]) and "/rustc/" not in (m["file"] or ""),
        )
        for m in _FRAME.finditer(text)
    ]
    panic = _PANIC_NEW.search(text) or _PANIC_OLD.search(text)
    if panic and not frames:
        frames = [
            Frame(
                function="<panic>", module=file_stem(panic["loc"]), file=panic["loc"], line=int(panic["line"])
            )
        ]
    return ParsedTrace(language, frames, "panic", panic["msg"] if panic else "")
