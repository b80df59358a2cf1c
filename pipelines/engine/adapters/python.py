"""CPython tracebacks: `Traceback (most recent call last):` + `File "...", line N, in f`."""

from __future__ import annotations

import re

from pipelines.engine.adapters.base import Frame, ParsedTrace, file_stem

language = "python"

_HEADER = re.compile(r"^Traceback \(most recent call last\):", re.M)
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)', re.M)
# The exception line: the last `Type: message` (or bare `Type`) flush left after the frames.
_EXC = re.compile(
    r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Iteration|"
    r"Error\[\w+\])?)(?::[ ]?(?P<msg>.*))?$",
    re.M,
)
_LIBRARY = re.compile(r"(site-packages|dist-packages|[\\/]lib[\\/]python\d|^<frozen |^<string>)")

message_rules = [
    # A type name in "'NoneType' object ..." is part of the bug, not echoed data: unquote it
    # so the generic quoted-value rule keeps it.
    (re.compile(r"'(\w+)' object"), r"\1 object"),
    (re.compile(r"for (\S+): '(\w+)' and '(\w+)'"), r"for \1: \2 and \3"),
    # "did you mean" hints echo a user's names.
    (re.compile(r"\. Did you mean: '[^']*'\?"), ""),
]


def detects(text: str) -> bool:
    return bool(_HEADER.search(text)) or bool(_FRAME.search(text))


def parse(text: str) -> ParsedTrace:
    frames = [
        Frame(
            function=m["func"],
            module=file_stem(m["file"]),
            file=m["file"],
            line=int(m["line"]),
            in_app=not _LIBRARY.search(m["file"]),
        )
        for m in _FRAME.finditer(text)
    ]
    frames.reverse()  # CPython prints the crash site last
    tail = text[_FRAME.search(text).end() :] if _FRAME.search(text) else text
    error_type, message = "", ""
    for line in tail.splitlines():
        if line and not line[0].isspace():
            m = _EXC.match(line)
            if m and not line.startswith(("Traceback", "During handling", "The above")):
                error_type, message = m["type"], (m["msg"] or "")
    return ParsedTrace(language, frames, error_type, message)
