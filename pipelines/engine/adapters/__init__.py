"""Language adapters, registered in one place.

Each adapter module has `language`, `detects(text) -> bool`, `parse(text) -> ParsedTrace`
and optionally `message_rules` (regex, replacement) for names that its runtime echoes
into messages unquoted. Detection order matters: the most specific formats first, the
plain-log fallback last.
"""

from __future__ import annotations

import re
from types import ModuleType

from pipelines.engine.adapters import golang, javascript, jvm, native, plainlog, python, rust
from pipelines.engine.adapters.base import Frame, ParsedTrace

REGISTRY: tuple[ModuleType, ...] = (python, jvm, golang, rust, javascript, native, plainlog)
_BY_LANGUAGE = {a.language: a for a in REGISTRY} | {"cpp": native, "kotlin": jvm, "node": javascript}

__all__ = ["REGISTRY", "Frame", "ParsedTrace", "adapter_for", "parse_trace", "apply_message_rules"]


def adapter_for(text: str, language: str = "") -> ModuleType:
    """The adapter named by `language` if it recognises the text, else the first that does."""
    hinted = _BY_LANGUAGE.get(language)
    if hinted is not None and hinted.detects(text):
        return hinted
    return next(a for a in REGISTRY if a.detects(text))


def parse_trace(text: str, language: str = "") -> ParsedTrace:
    return adapter_for(text, language).parse(text) if text.strip() else ParsedTrace(language or "log")


def apply_message_rules(message: str, language: str) -> str:
    adapter = _BY_LANGUAGE.get(language)
    rules: list[tuple[re.Pattern[str], str]] = getattr(adapter, "message_rules", [])
    for pattern, replacement in rules:
        message = pattern.sub(replacement, message)
    return message
