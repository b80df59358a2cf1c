"""C/C++: compiler diagnostics (`file.c:3:5: error: msg`), sanitizer and gdb backtraces
(`#0 0x4005d6 in func file.c:12`), and runtime aborts (`Segmentation fault`)."""

from __future__ import annotations

import re

from pipelines.engine.adapters.base import Frame, ParsedTrace, file_stem

language = "c"

_DIAG = re.compile(
    r"^(?P<file>[^\s:]+\.(?:c|cc|cpp|cxx|h|hpp)):(?P<line>\d+):(?:\d+:)? "
    r"(?P<kind>fatal error|error|warning): (?P<msg>.*)$",
    re.M,
)
_FRAME = re.compile(
    r"^\s*#\d+\s+(?:0x[0-9a-f]+ in )?(?P<func>[^\s(]+)[^\n]*?"
    r"(?: (?:at )?(?P<file>[^\s:]+):(?P<line>\d+))?(?::\d+)?$",
    re.M,
)
_SANITIZER = re.compile(r"^==\d+==ERROR: (?P<tool>\w+Sanitizer): (?P<msg>[\w-]+(?: [\w-]+)*)", re.M)
_SIGNAL = re.compile(
    r"(?P<msg>Segmentation fault|Aborted|Floating point exception|Bus error|Illegal instruction)"
    r"(?: \(core dumped\))?"
)
_ASSERT = re.compile(r"Assertion `(?P<expr>.*)' failed\.")
_LIBRARY = re.compile(
    r"^(__libc|_start|__GI_|abort|raise|__interceptor|__asan|__sanitizer|std::|__cxa|__gnu_cxx)"
)


def detects(text: str) -> bool:
    return bool(
        _DIAG.search(text)
        or _SANITIZER.search(text)
        or _ASSERT.search(text)
        or (_FRAME.search(text) and "#0" in text)
        or _SIGNAL.search(text)
    )


def parse(text: str) -> ParsedTrace:
    diag = _DIAG.search(text)
    if diag:
        frame = Frame(
            function=diag["kind"], module=file_stem(diag["file"]), file=diag["file"], line=int(diag["line"])
        )
        return ParsedTrace(language, [frame], f"compiler {diag['kind']}", diag["msg"])
    frames = [
        Frame(
            function=m["func"],
            module=file_stem(m["file"] or ""),
            file=m["file"] or "",
            line=int(m["line"]) if m["line"] else None,
            in_app=not _LIBRARY.match(m["func"]) and "/usr/lib" not in (m["file"] or ""),
        )
        for m in _FRAME.finditer(text)
        if m["func"] not in ("in", "0x")
    ]
    if san := _SANITIZER.search(text):
        return ParsedTrace(language, frames, san["tool"], san["msg"])
    if assertion := _ASSERT.search(text):
        return ParsedTrace(language, frames, "assertion", f"Assertion `{assertion['expr']}' failed.")
    signal = _SIGNAL.search(text)
    return ParsedTrace(language, frames, "signal" if signal else "", signal["msg"] if signal else "")
