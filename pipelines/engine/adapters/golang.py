"""Go panics: `panic: msg` / `goroutine N [running]:` then `pkg.fn(...)` + `\t/path/file.go:N +0x..`."""

from __future__ import annotations

import re

from pipelines.engine.adapters.base import Frame, ParsedTrace, file_stem

language = "go"

_PANIC = re.compile(r"^(?:panic|fatal error): (?P<msg>.*?)(?: \[recovered\])?$", re.M)
_RUNTIME_ERROR = re.compile(r"^runtime error: ")
_FRAME = re.compile(r"^(?P<func>[\w./*()\[\]-]+)\([^\n]*\)\n\t(?P<file>\S+\.go):(?P<line>\d+)", re.M)
_LIBRARY = re.compile(r"^(runtime|reflect|sync|syscall|internal/|net/|os|fmt|testing)[./]")


def detects(text: str) -> bool:
    return "goroutine " in text and bool(_FRAME.search(text)) or bool(_PANIC.search(text))


def parse(text: str) -> ParsedTrace:
    frames = [
        Frame(
            function=m["func"],
            module=file_stem(m["file"]),
            file=m["file"],
            line=int(m["line"]),
            in_app=not _LIBRARY.match(m["func"]) and "/go/src/" not in m["file"],
        )
        for m in _FRAME.finditer(text)
    ]
    panic = _PANIC.search(text)
    message = panic["msg"] if panic else ""
    error_type = "runtime.Error" if _RUNTIME_ERROR.match(message) else "panic"
    return ParsedTrace(language, frames, error_type, message)
