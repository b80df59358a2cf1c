"""V8 (Node.js, Chrome) stacks: `TypeError: msg` then `    at fn (file:line:col)`."""

from __future__ import annotations

import re

from pipelines.engine.adapters.base import Frame, ParsedTrace, file_stem

language = "javascript"

_FRAME = re.compile(
    r"^\s+at (?:(?:async )?(?P<func>[^\s(][^(]*?) \()?(?P<loc>[^()\s]+?)(?::(?P<line>\d+))?(?::\d+)?\)?$",
    re.M,
)
_EXC = re.compile(
    r"^(?:Uncaught )?(?P<type>[A-Z]\w*(?:Error|Exception))(?: \[[\w_]+\])?: ?(?P<msg>.*)$", re.M
)
_LIBRARY = re.compile(r"(node_modules|^node:|^internal[\\/]|<anonymous>)")

message_rules = [
    (re.compile(r"^[\w$.]+ is not defined$"), "<*> is not defined"),
    (re.compile(r"^[\w$.\[\]()]+ is not a function$"), "<*> is not a function"),
    (re.compile(r"^[\w$.\[\]()]+ is not iterable$"), "<*> is not iterable"),
    (
        re.compile(r"^Cannot access '[^']*' before initialization$"),
        "Cannot access '<*>' before initialization",
    ),
]


def detects(text: str) -> bool:
    return bool(_FRAME.search(text)) and " at " in text and ".java:" not in text


def parse(text: str) -> ParsedTrace:
    frames = []
    for m in _FRAME.finditer(text):
        loc = m["loc"]
        frames.append(
            Frame(
                function=(m["func"] or "<anonymous>").strip(),
                module=file_stem(loc.replace("file://", "")),
                file=loc,
                line=int(m["line"]) if m["line"] else None,
                in_app=not _LIBRARY.search(loc),
            )
        )
    exc = _EXC.search(text)
    return ParsedTrace(language, frames, exc["type"] if exc else "", exc["msg"] if exc else "")
