"""PII and secret masking with typed placeholders, applied before anything is stored.

One regex per kind, applied in a fixed order, each only when its guard says the text may
hold that kind. A guard is a necessary condition for its pattern to match, fast to test
(guards.py), so skipping a pass never changes the result; most strings hold no PII and
skip most passes. Some kinds are validated before masking (Luhn for cards, key names for
secrets). Error types, function names and library module names never match
these shapes.

No cache: masking runs on raw text, and a cache keyed on raw text would keep PII in
memory; the guards make it fast enough without one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pipelines.engine.guards import found, ipv6_candidates

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
    # Home folders, one pass per form: each starts with a literal, which `re` finds fast, and
    # the Unix ones get a constant replacement. Their matches cannot overlap (no '/' or ':' in
    # a user name), so three passes give what one alternation would.
    ("home", r"/home/(?!<user>)[^\s/\\\\:\"']+"),
    ("users", r"/Users/(?!<user>)[^\s/\\\\:\"']+"),
    ("winhome", r"(?P<home_pre>[A-Za-z]:\\\\?Users\\\\?)(?!<user>)[^\s/\\\\:\"']+"),
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
_PATTERN = {name: re.compile(pattern) for name, pattern in _KINDS}
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


def _prefixed(group: str, placeholder: str) -> Callable[[re.Match[str]], str]:
    return lambda m: m[group] + placeholder


def _sub_at(
    pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str], text: str, starts: list[int]
) -> str:
    """`pattern.sub(replace, text)`, given (ascending) every position where a match could
    start: the pattern is tried there only, not at every position of the text."""
    parts, done = [], 0
    for start in starts:
        if start >= done and (m := pattern.match(text, start)) is not None:
            parts += (text[done:start], replace(m))
            done = m.end()
    return "".join(parts) + text[done:] if parts else text


# kind -> replace(text). A constant placeholder is cheaper for `re.sub` than a function.
_REPLACE: dict[str, Callable[[str], str]] = {
    name: (lambda text, sub=_PATTERN[name].sub, r=replacement: sub(r, text))
    for name, replacement in {
        "urlcred": _prefixed("urlcred_pre", "<user>:<secret>@"),
        "jwt": "<token>",
        "bearer": _prefixed("bearer_pre", "<token>"),
        "apikey": "<token>",
        "azure": _prefixed("azure_pre", "<token>"),
        "email": "<email>",
        "home": "/home/<user>",
        "users": "/Users/<user>",
        "winhome": _prefixed("home_pre", "<user>"),
        "rrn": "<rrn>",
        "card": _card,
        "phone": "<phone>",
        "ipv4": "<ip>",
        "ipv6": "<ip>",
    }.items()
} | {"keyvalue": lambda text: _PATTERN["keyvalue"].sub(_keyvalue, text)}

# Guards (see guards.py): each is a necessary condition for its kind's pattern to match.
# API keys by the character their prefix holds: AKIA/ASIA/AIza; gh?_, github_pat_, sk_live_,
# rk_live_ ('_'); glpat-, xox?-, sk- ('-'); ya29. ('.'). The '_' and '-' forms are found from
# that literal, their prefix checked behind it.
_has_aws_or_google_key = found(r"A(?:KIA|SIA|Iza)")
_has_underscore_key = found(r"_(?:(?<=gh[pousr]_)|(?<=github_)pat_|(?<=[sr]k_)live_)")
_has_dash_key = found(r"-(?:(?<=glpat-)|(?<=xox[abposr]-)|(?<=sk-))")


def _may_be_apikey(t: str) -> bool:
    return (
        ("A" in t and _has_aws_or_google_key(t))
        or ("_" in t and _has_underscore_key(t))
        or ("-" in t and _has_dash_key(t))
        or ("." in t and "ya29." in t)
    )


# Where a bearer token or a key-value secret can start, found in the lowercased ASCII text.
_BEARER_WORDS = (re.compile(r"bearer\s"), re.compile(r"token\s"))
# A key-value secret starts with `<secret word>s?["']?[ \t]*[=:]`. Reversed, that starts with
# the literal `=` or `:`, which is found fast; a match ending at i there starts at len - i. (No
# secret word ends with another, so each `=` or `:` has at most one start.)
_SECRET_WORDS = (
    "passwd",
    "password",
    "pwd",
    "secret",
    "token",
    "api_key",
    "api-key",
    "apikey",
    "access_key",
    "access-key",
    "accesskey",
    "private_key",
    "private-key",
    "privatekey",
    "credential",
    "authorization",
    "session_id",
    "session-id",
    "sessionid",
    "cookie",
)
_REVERSED_WORDS = "|".join(re.escape(word[::-1]) for word in _SECRET_WORDS)
# (The lookahead for the words' last letters rejects most separators before the word list.)
_LAST_LETTERS = "".join(sorted({word[-1] for word in _SECRET_WORDS}))
_REVERSED_KEYS = tuple(
    (sep, re.compile(rf"{sep}[ \t]*[\"']?s?(?=[{_LAST_LETTERS}])(?:{_REVERSED_WORDS})")) for sep in ("=", ":")
)
_may_be_rrn = found(r"-[1-8]\d{6}")
# Cards: 13 digits in a row, or two groups "dddd dddd" / "dddd-dddd". For ASCII text, once
# bytes.translate (a table lookup per byte) has turned every digit into '0', these are
# substring tests, several times faster than regex scans for \d.
_ZERO_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_may_be_card_unicode = found(r"\d{13}|\d{4}[ -]\d{4}")
# Phones: the '+' form, the 01x mobile form, or a form ending in "-dddd".
_may_be_phone = found(
    r"\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,3}",
    r"01[016789][ .-]?\d{3,4}[ .-]?\d{4}",
    r"-\d{4}",
)
_may_be_ipv4 = found(r"\.\d{1,3}\.\d{1,3}\.\d")
_may_be_ipv6 = ipv6_candidates(r"[^\w.]")


def _bearer_starts(low: str) -> list[int]:
    return sorted(m.start() for word in _BEARER_WORDS for m in word.finditer(low))


def _keyvalue_starts(low: str) -> list[int]:
    reversed_low = low[::-1]
    keys = [key for sep, key in _REVERSED_KEYS if sep in low]
    if not any(key.search(reversed_low) for key in keys):  # the usual case: cheaper
        return []
    return sorted(len(low) - m.end() for key in keys for m in key.finditer(reversed_low))


def _may_be_card(text: str) -> bool:
    if not text.isascii():
        return _may_be_card_unicode(text)
    zeroed = text.encode("ascii").translate(_ZERO_DIGITS)
    return b"0000000000000" in zeroed or b"0000 0000" in zeroed or b"0000-0000" in zeroed


def mask_text(text: str) -> str:
    """The text with every recognised PII value or secret replaced by a typed placeholder."""
    if not text:
        return text
    # The kinds in their fixed order; a pass runs only when its guard holds for the text as
    # the passes before left it. Guards start with one-character `in` tests (a memchr, several
    # times faster than a longer substring test or a regex call) wherever a kind allows one.
    t = text
    if "@" in t and "://" in t:
        t = _REPLACE["urlcred"](t)
    if "J" in t and "eyJ" in t:
        t = _REPLACE["jwt"](t)
    t = _mask_case_insensitive_kinds(t) if t.isascii() else _mask_case_insensitive_unicode(t)
    if "@" in t:
        t = _REPLACE["email"](t)
    if "/home/" in t:
        t = _REPLACE["home"](t)
    if "/Users/" in t:
        t = _REPLACE["users"](t)
    if "\\" in t and "Users\\" in t:
        t = _REPLACE["winhome"](t)
    if len(t) >= 14 and "-" in t and _may_be_rrn(t):
        t = _REPLACE["rrn"](t)
    if len(t) >= 13 and _may_be_card(t):
        t = _REPLACE["card"](t)
    if ("-" in t or "+" in t or "01" in t) and _may_be_phone(t):
        t = _REPLACE["phone"](t)
    if "." in t and _may_be_ipv4(t):
        t = _REPLACE["ipv4"](t)
    if ("::" in t or t.count(":") >= 7) and (_may_be_ipv6(t) or "::1" in t):
        t = _REPLACE["ipv6"](t)
    return t


def _mask_case_insensitive_kinds(t: str) -> str:
    """The bearer, apikey, azure and keyvalue passes on ASCII text: their guards look at one
    lowercased text, where bearer and keyvalue also find their candidate starts."""
    low = t.lower()
    if ("bearer" in low or "token" in low) and (starts := _bearer_starts(low)):
        t = _sub_at(_PATTERN["bearer"], _prefixed("bearer_pre", "<token>"), t, starts)
        low = t.lower()
    if _may_be_apikey(t):
        t = _REPLACE["apikey"](t)
        low = t.lower()
    if "=" in low and ("key=" in low or "sig=" in low):
        t = _REPLACE["azure"](t)
        low = t.lower()
    if ("=" in low or ":" in low) and (starts := _keyvalue_starts(low)):
        t = _sub_at(_PATTERN["keyvalue"], _keyvalue, t, starts)
    return t


def _mask_case_insensitive_unicode(t: str) -> str:
    """The same passes on other text, unguarded: Unicode case folding matches more than
    lower() maps (`ſ` matches `s` under re.IGNORECASE), and lower() may move positions."""
    for kind in ("bearer", "apikey", "azure", "keyvalue"):
        t = _REPLACE[kind](t)
    return t


# Part of every secret word, in a lowercased key.
_KEY_WORD = re.compile("pass|pwd|secret|token|key|credential|authorization|session|cookie")


def is_secret_key(key: str) -> bool:
    """SECRET_KEY.match(key), after a quick test that an ASCII key holds part of a secret word."""
    if key.isascii() and _KEY_WORD.search(key.lower()) is None:
        return False
    return SECRET_KEY.match(key) is not None


def mask_mapping(values: Mapping[str, str]) -> dict[str, str]:
    """Mask values; a value whose key names a secret (API_TOKEN, db_password) is hidden whole."""
    return {
        key: "<secret>" if value and is_secret_key(key) else mask_text(value) for key, value in values.items()
    }


# Fields whose values are free text written by users or programs.
TEXT_FIELDS = ("message", "stack_trace", "snippet", "file_path", "user_id", "execution_id")
MAPPING_FIELDS = ("env", "tags")


def mask_fields(event: Any) -> dict[str, Any]:
    """The fields of a validated ErrorEvent as a new dict, every string masked. Its types are
    known (str fields, dict[str, str] mappings), so nothing is checked or converted."""
    fields = event.__dict__.copy()
    for name in TEXT_FIELDS:
        if value := fields[name]:
            fields[name] = mask_text(value)
    for name in MAPPING_FIELDS:
        fields[name] = mask_mapping(fields[name])
    return fields


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
