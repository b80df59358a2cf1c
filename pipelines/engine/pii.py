"""PII and secret masking with typed placeholders, applied before anything is stored.

One regex per kind, applied in a fixed order, each only when a cheap substring guard
says the text may hold that kind (most strings hold none, and the guards keep masking
fast). Some kinds are validated before masking (Luhn for cards, key names for secrets).
Error types, function names and library module names never match these shapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

_SECRET_WORD = (
    r"(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|credentials?|authorization|session[_-]?id|cookie)"
)
_SECRET_KEY = rf"[\w.-]*{_SECRET_WORD}[\w.-]*"
SECRET_KEY = re.compile(rf"(?i)^{_SECRET_KEY}$")

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_KINDS: list[tuple[str, str]] = [
    # Credentials inside URLs: scheme://user:password@host
    ("urlcred", r"(?P<urlcred_pre>\b[a-zA-Z][\w+.-]*://)[^\s:/@]+:[^\s/@]+@"),
    ("jwt", r"\beyJ[\w-]{5,}\.eyJ[\w-]{5,}\.[\w-]{5,}"),
    ("bearer", r"(?P<bearer_pre>\b(?i:bearer|token)\s+)[\w\-.~+/]{16,}=*"),
    (
        "apikey",
        r"\b(?:(?:AKIA|ASIA)[0-9A-Z]{16}|AIza[\w-]{35}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{22,}"
        r"|glpat-[\w-]{20,}|xox[abposr]-[\w-]{10,}|sk-ant-[\w-]{20,}|sk-(?:proj-)?[A-Za-z0-9_-]{20,}"
        r"|(?:sk|rk)_live_[A-Za-z0-9]{20,}|ya29\.[\w-]{20,})",
    ),
    ("azure", r"(?P<azure_pre>\b(?i:AccountKey|SharedAccessKey|sig)=)[\w%+/]{16,}=*"),
    # Anchored on the secret word itself (a leading [\w]* would be tried at every position);
    # the key must end with it, so `get_password_hash: ...` (a function) is not a key.
    (
        "keyvalue",
        rf"(?P<keyvalue_pre>(?i:{_SECRET_WORD})s?\b[\"']?[ \t]*[=:][ \t]*(?:(?i:bearer|basic|token)[ \t]+)?)"
        r"(?P<keyvalue_val>\"[^\"\n]+\"|'[^'\n]+'|[^\s,;&}\"')]+)",
    ),
    ("email", r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b"),
    ("home", r"(?P<home_pre>(?:/home/|/Users/|[A-Za-z]:\\\\?Users\\\\?))(?!<user>)[^\s/\\\\:\"']+"),
    ("rrn", r"(?<![\d-])\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])-[1-8]\d{6}(?![\d-])"),
    # Contiguous, or in the groups printed on cards (4-4-4-4(-3), Amex 4-6-5). Payment cards
    # start with 2-6 (ISO/IEC 7812), which keeps epoch-millisecond timestamps out.
    (
        "card",
        r"(?<![\w.-])(?=[2-6])(?:\d{13,19}"
        r"|\d{4}(?P<cardsep>[ -])\d{4}(?P=cardsep)\d{4}(?P=cardsep)\d{4}(?:(?P=cardsep)\d{3})?"
        r"|\d{4}[ -]\d{6}[ -]\d{5})(?![\w.-])",
    ),
    (
        "phone",
        r"(?<![\w+.-])(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,3}"
        r"|01[016789][ .-]?\d{3,4}[ .-]?\d{4}|0\d{1,2}-\d{3,4}-\d{4}|\(\d{3}\)[ ]?\d{3}-\d{4})(?![\w.-])",
    ),
    ("ipv4", rf"(?<![\w.])(?:{_OCTET}\.){{3}}{_OCTET}(?![\w]|\.\d)"),
    (
        "ipv6",
        r"(?<![\w:.])(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}"
        r"|(?=[0-9a-fA-F:]*[a-fA-F][0-9a-fA-F:]*)(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?"
        r"|::1)(?![\w:])",
    ),
]
_COMPILED = [(name, re.compile(pattern)) for name, pattern in _KINDS]
_DIGITS3 = re.compile(r"\d{3}")
_SECRET_WORDS = ("pass", "pwd", "secret", "token", "key", "credential", "authorization", "session",
                 "cookie")
_VENDOR_PREFIXES = ("AKIA", "ASIA", "AIza", "gh", "github_pat_", "glpat-", "xox", "sk-", "sk_",
                    "rk_", "ya29.")

# Cheap tests on (text, lowercased text): False means the kind cannot occur.
_IPV4_HINT = re.compile(r"\d\.\d{1,3}\.\d")
_GUARDS: dict[str, Callable[[str, str], bool]] = {
    "urlcred": lambda t, low: "://" in t and "@" in t,
    "jwt": lambda t, low: "eyJ" in t,
    "bearer": lambda t, low: "bearer" in low or "token" in low,
    "apikey": lambda t, low: any(p in t for p in _VENDOR_PREFIXES),
    "azure": lambda t, low: "key=" in low or "sig=" in low,
    "keyvalue": lambda t, low: ("=" in t or ":" in t) and any(w in low for w in _SECRET_WORDS),
    "email": lambda t, low: "@" in t,
    "home": lambda t, low: "/home/" in t or "/Users/" in t or "users\\" in low,
    "rrn": lambda t, low: "-" in t and _DIGITS3.search(t) is not None,
    "card": lambda t, low: _DIGITS3.search(t) is not None,
    "phone": lambda t, low: _DIGITS3.search(t) is not None,
    "ipv4": lambda t, low: _IPV4_HINT.search(t) is not None,
    "ipv6": lambda t, low: "::" in t or t.count(":") >= 7,
}
_NOT_SECRET_KEYS = re.compile(r"(?i)(error|exception|warning|expired|invalid|_count|_len)$")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return "<card>" if 13 <= len(digits) <= 19 and luhn_ok(digits) else m.group(0)


def _keyvalue(m: re.Match[str]) -> str:
    pre, value = m["keyvalue_pre"], m["keyvalue_val"]
    key = re.split(r"[\"'\s=:]", pre, maxsplit=1)[0]
    if _NOT_SECRET_KEYS.search(key) or value.strip("\"'").startswith("<"):
        return m.group(0)
    quote = value[0] if value[0] in "\"'" else ""
    kind = "<token>" if re.search(r"(?i)(bearer|basic|token)\s+$", pre) else "<secret>"
    return f"{pre}{quote}{kind}{quote}"


_PLACEHOLDER: dict[str, Callable[[re.Match[str]], str]] = {
    "urlcred": lambda m: f"{m['urlcred_pre']}<user>:<secret>@",
    "jwt": lambda m: "<token>",
    "bearer": lambda m: f"{m['bearer_pre']}<token>",
    "apikey": lambda m: "<token>",
    "azure": lambda m: f"{m['azure_pre']}<token>",
    "keyvalue": _keyvalue,
    "email": lambda m: "<email>",
    "home": lambda m: f"{m['home_pre']}<user>",
    "rrn": lambda m: "<rrn>",
    "card": _card,
    "phone": lambda m: "<phone>",
    "ipv4": lambda m: "<ip>",
    "ipv6": lambda m: "<ip>",
}


def mask_text(text: str) -> str:
    """The text with every recognised PII value or secret replaced by a typed placeholder."""
    if not text:
        return text
    return _mask_cached(text) if len(text) > 32 else _mask(text)


# The same stack trace arrives again and again (one bug, many runs): masking is pure, so
# repeated texts are served from a bounded in-process cache.
@lru_cache(maxsize=16_384)
def _mask_cached(text: str) -> str:
    return _mask(text)


def _mask(text: str) -> str:
    lower = text.lower()
    for name, pattern in _COMPILED:
        if _GUARDS[name](text, lower):
            text = pattern.sub(_PLACEHOLDER[name], text)
    return text


def mask_mapping(values: Mapping[str, str]) -> dict[str, str]:
    """Mask values; a value whose key names a secret (API_TOKEN, db_password) is hidden whole."""
    return {
        key: "<secret>" if SECRET_KEY.match(key) and value else mask_text(value)
        for key, value in values.items()
    }


# Fields whose values are free text written by users or programs.
TEXT_FIELDS = ("message", "stack_trace", "snippet", "file_path", "user_id", "execution_id")
MAPPING_FIELDS = ("env", "tags")


def mask_event(event: Any) -> Any:
    """A masked copy of an event (pydantic model or dict); other fields are left as they are."""
    if isinstance(event, Mapping):
        out = dict(event)
        for name in TEXT_FIELDS:
            if isinstance(out.get(name), str):
                out[name] = mask_text(out[name])
        for name in MAPPING_FIELDS:
            if isinstance(out.get(name), Mapping):
                out[name] = mask_mapping({str(k): str(v) for k, v in out[name].items()})
        return out
    updates = {name: mask_text(getattr(event, name)) for name in TEXT_FIELDS if hasattr(event, name)}
    updates |= {name: mask_mapping(getattr(event, name)) for name in MAPPING_FIELDS if hasattr(event, name)}
    return event.model_copy(update=updates)
