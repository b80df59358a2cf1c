"""Plain log lines and anything no other adapter recognises: no frames, the text is the message."""

from __future__ import annotations

import re

from pipelines.engine.adapters.base import ParsedTrace

language = "log"

_LEVEL_PREFIX = re.compile(
    r"^\s*(?:\[?(?:TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|FATAL|CRITICAL)\]?[:\s]+)", re.I
)


def detects(text: str) -> bool:
    return True


def parse(text: str) -> ParsedTrace:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return ParsedTrace(language, [], "", _LEVEL_PREFIX.sub("", first))
