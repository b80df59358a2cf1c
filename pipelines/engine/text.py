"""Static message normalisation: generalise values that are variable in any log or error text.

`canonicalize` turns one message into a template string on its own (no batch context);
`tokenize` splits a canonical message into the tokens the template miner aligns.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pipelines.engine.guards import found, ipv6_candidates

VAR = "<*>"

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"

# Guards: a one-character `in` test (a memchr) first, then a literal-first regex.
_has_uuid_middle = found(r"-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-")
_has_date_middle = found(r"-\d{2}-\d{2}")
_has_clock_end = found(r":\d{2}:\d{2}")
_has_dotted_quad = found(r"\.\d{1,3}\.\d{1,3}\.\d")
_may_be_ipv6 = ipv6_candidates(r"[^\w]")
_has_two_segments = found(r"/[\w.@$+~%<>-]+[\\/]", r"\\[\w.@$+~%<>-]+[\\/]")

# Order matters: wider shapes (URLs, timestamps, IPs) before the numbers they contain.
# Each rule has a guard, a fast necessary condition for it to match (see guards.py): most
# messages hold few of these shapes, and a rule whose guard fails is skipped. A guard is a
# substring every match holds (tested in the loop: no call; "" when there is none) and
# optionally a finer test.
_RULES: list[tuple[str, Callable[[str], bool] | None, re.Pattern[str], str]] = [
    (
        "://",
        None,
        re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,15}://[^\s\"'<>()\[\]{},]+"),
        "<url>",
    ),
    ("@", None, re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (
        "-",
        _has_uuid_middle,
        re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
        "<uuid>",
    ),
    (
        "-",
        _has_date_middle,
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
        ),
        "<time>",
    ),
    (
        "",
        found(rf"{_WEEKDAY}\s+{_MONTH}"),
        re.compile(rf"\b{_WEEKDAY}\s+{_MONTH}\s+\d{{1,2}}\b"),
        "<date>",
    ),
    (":", _has_clock_end, re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:[.,:]\d+)?\b"), "<time>"),
    (
        ".",
        _has_dotted_quad,
        re.compile(r"(?<![\w.:])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w.])"),
        "<ip>",
    ),
    (
        ":",
        _may_be_ipv6,
        re.compile(
            r"(?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}(?![\w:])"
            r"|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?(?![\w:])"
        ),
        "<ip>",
    ),
    ("0", lambda t: "0x" in t or "0X" in t, re.compile(r"\b0[xX][0-9a-fA-F]+\b"), "<hex>"),
    (
        "",
        found(r"[0-9a-fA-F][0-9a-fA-F]{7}"),
        re.compile(r"\b(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b"),
        "<hex>",
    ),
    # Paths with at least two segments, Unix or Windows.
    (
        "",
        lambda t: ("/" in t or "\\" in t) and _has_two_segments(t),
        re.compile(r"(?<![\w<>/.])(?:[A-Za-z]:)?(?:[\\/]+[\w.@$+~%<>-]+){2,}[\\/]?"),
        "<path>",
    ),
    # Quoted values: names, keys and data echoed into messages.
    ("'", None, re.compile(r"(?<![\w\\])'[^'\n]{0,200}'(?!\w)"), "'<*>'"),
    ('"', None, re.compile(r'(?<![\w\\])"[^"\n]{0,200}"(?!\w)'), '"<*>"'),
    ("`", None, re.compile(r"(?<![\w\\])`[^`\n]{0,200}`(?!\w)"), "`<*>`"),
    ("‘", None, re.compile(r"‘[^’\n]{0,200}’"), "‘<*>’"),  # GCC's typographic quotes
    # An empty value is still a value: `key= ` and a detached `()` / `[]` hold a variable.
    ("=", None, re.compile(r"(?<=\w)=(?=\s|$)"), "=<*>"),
    ("()", None, re.compile(r"(?<!\S)\(\)"), "(<*>)"),
    ("[]", None, re.compile(r"(?<!\S)\[\]"), "[<*>]"),
]

# Digit runs, with a sign when it starts the token or follows an underscore (blk_-123).
_DIGITS = re.compile(r"(?:(?<=[_\s=:(\[{,])-|(?<![\w-])-)?\d+(?:\.\d+)*")
# A short digit run inside a word (ssh2, jk2_init, md5, utf8) is part of a name.
_NAME_WITH_DIGIT = re.compile(r"^[A-Za-z_]+\d{1,2}(?:[A-Za-z_]+\w*)?$")
_WORD = re.compile(r"[^\s]+")
# A whitespace-separated word holding a digit. For ASCII text \d is exactly str.isdigit(), so
# only these words need generalising (one regex call, not one Python call per word); a word
# that is just a number becomes <*> without a Python call at all.
_NUMBER_WORD = re.compile(r"(?<!\S)-?\d+(?:\.\d+)*(?!\S)")
_DIGIT_WORD = re.compile(r"(?<!\S)[^\s\d]*\d\S*")
_VAR_RUNS = re.compile(r"(?:<\*>)+")
_DELIMS = "=:,;()\\[\\]{}\"'`|"
# Structural punctuation as tokens of their own, and whitespace-separated runs of the rest
# (\s is what str.split() splits on).
_TOKEN = re.compile(rf"[{_DELIMS}]|[^\s{_DELIMS}]+")


def _generalise_word(word: str) -> str:
    if not any(c.isdigit() for c in word) or _NAME_WITH_DIGIT.match(word):
        return word
    return _VAR_RUNS.sub(VAR, _DIGITS.sub(VAR, word))


def _generalise_digit_word(m: re.Match[str]) -> str:
    word = m.group(0)
    return word if _NAME_WITH_DIGIT.match(word) else _VAR_RUNS.sub(VAR, _DIGITS.sub(VAR, word))


def canonicalize(message: str) -> str:
    """Template of one message: typed placeholders for shaped values, <*> for numbers."""
    text = message
    for substring, may_match, pattern, placeholder in _RULES:
        if substring in text and (may_match is None or may_match(text)):
            text = pattern.sub(placeholder, text)
    if text.isascii():
        return _DIGIT_WORD.sub(_generalise_digit_word, _NUMBER_WORD.sub(VAR, text))
    return _WORD.sub(lambda m: _generalise_word(m.group(0)), text)


def tokenize(canonical: str) -> list[str]:
    """Whitespace tokens, with structural punctuation split off as tokens of its own."""
    return _TOKEN.findall(canonical)


_TYPED = re.compile(r"<[a-z]+>")


def grouping_form(canonical: str) -> str:
    """The template with typed placeholders (`<ip>`, `<card>`) folded into `<*>`: a value's
    type must not split a group (an id that happens to pass the Luhn check is still an id)."""
    return _TYPED.sub(VAR, canonical)


_PLACEHOLDER = re.compile(r"<(?:\*|[a-z]+)>")


def is_variable(token: str) -> bool:
    """A token that is wholly a placeholder (`<*>`, `<ip>`, ...)."""
    return _PLACEHOLDER.fullmatch(token) is not None
