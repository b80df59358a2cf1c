"""JVM stack traces (Java, Kotlin, Scala): `pkg.Type: msg` then `\tat pkg.Class.method(File.java:N)`."""

from __future__ import annotations

import re

from pipelines.engine.adapters.base import Frame, ParsedTrace

language = "java"

_FRAME = re.compile(r"^\s*at (?:[\w.]+/)?(?P<qual>[\w$.<>]+)\.(?P<method>[\w$<>]+)\((?P<src>[^)]*)\)", re.M)
_EXC = re.compile(
    r"^(?:Exception in thread \"[^\"]*\" |Caused by: )?"
    r"(?P<type>(?:[a-z_$][\w$]*\.)+[A-Z][\w$]*)(?:: (?P<msg>.*))?$",
    re.M,
)
_LIBRARY = re.compile(r"^(java|javax|jdk|sun|com\.sun|kotlin|scala|org\.junit|org\.springframework)\.")


def detects(text: str) -> bool:
    return bool(_FRAME.search(text)) and ("Exception" in text or "Error" in text)


def parse(text: str) -> ParsedTrace:
    frames = []
    for m in _FRAME.finditer(text):
        src = m["src"]
        line = src.rsplit(":", 1)[1] if ":" in src else ""
        frames.append(
            Frame(
                function=m["method"],
                module=m["qual"],
                file=src.split(":")[0],
                line=int(line) if line.isdigit() else None,
                in_app=not _LIBRARY.match(m["qual"]),
            )
        )
    exc = _EXC.search(text)
    return ParsedTrace(language, frames, exc["type"] if exc else "", (exc["msg"] or "") if exc else "")
