"""Static message normalisation: generalise values that are variable in any log or error text.

`canonicalize` turns one message into a template string on its own (no batch context);
`tokenize` splits a canonical message into the tokens the template miner aligns.
"""

from __future__ import annotations

import re

VAR = "<*>"

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"

# Order matters: wider shapes (URLs, timestamps, IPs) before the numbers they contain.
_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,15}://[^\s\"'<>()\[\]{},]+"), "<url>"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (
        re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
        "<uuid>",
    ),
    (
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?\b"
        ),
        "<time>",
    ),
    (re.compile(rf"\b{_WEEKDAY}\s+{_MONTH}\s+\d{{1,2}}\b"), "<date>"),
    (re.compile(r"\b\d{1,2}:\d{2}:\d{2}(?:[.,:]\d+)?\b"), "<time>"),
    (re.compile(r"(?<![\w.:])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w.])"), "<ip>"),
    (
        re.compile(
            r"(?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}(?![\w:])"
            r"|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4})*)?(?![\w:])"
        ),
        "<ip>",
    ),
    (re.compile(r"\b0[xX][0-9a-fA-F]+\b"), "<hex>"),
    (re.compile(r"\b(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b"), "<hex>"),
    # Paths with at least two segments, Unix or Windows.
    (
        re.compile(r"(?<![\w<>/.])(?:[A-Za-z]:)?(?:[\\/]+[\w.@$+~%<>-]+){2,}[\\/]?"),
        "<path>",
    ),
    # Quoted values: names, keys and data echoed into messages.
    (re.compile(r"(?<![\w\\])'[^'\n]{0,200}'(?!\w)"), "'<*>'"),
    (re.compile(r'(?<![\w\\])"[^"\n]{0,200}"(?!\w)'), '"<*>"'),
    (re.compile(r"(?<![\w\\])`[^`\n]{0,200}`(?!\w)"), "`<*>`"),
    (re.compile(r"‘[^’\n]{0,200}’"), "‘<*>’"),  # GCC's typographic quotes
    # An empty value is still a value: `key= ` and a detached `()` / `[]` hold a variable.
    (re.compile(r"(?<=\w)=(?=\s|$)"), "=<*>"),
    (re.compile(r"(?<!\S)\(\)"), "(<*>)"),
    (re.compile(r"(?<!\S)\[\]"), "[<*>]"),
]

# Digit runs, with a sign when it starts the token or follows an underscore (blk_-123).
_DIGITS = re.compile(r"(?:(?<=[_\s=:(\[{,])-|(?<![\w-])-)?\d+(?:\.\d+)*")
# A short digit run inside a word (ssh2, jk2_init, md5, utf8) is part of a name.
_NAME_WITH_DIGIT = re.compile(r"^[A-Za-z_]+\d{1,2}(?:[A-Za-z_]+\w*)?$")
_WORD = re.compile(r"[^\s]+")
_DELIMS = re.compile(r"([=:,;()\[\]{}\"'`|])")
_VAR_RUNS = re.compile(r"(?:<\*>)+")


def _generalise_word(word: str) -> str:
    if not any(c.isdigit() for c in word) or _NAME_WITH_DIGIT.match(word):
        return word
    return _VAR_RUNS.sub(VAR, _DIGITS.sub(VAR, word))


def canonicalize(message: str) -> str:
    """Template of one message: typed placeholders for shaped values, <*> for numbers."""
    text = message
    for pattern, placeholder in _RULES:
        text = pattern.sub(placeholder, text)
    return _WORD.sub(lambda m: _generalise_word(m.group(0)), text)


def tokenize(canonical: str) -> list[str]:
    """Whitespace tokens, with structural punctuation split off as tokens of its own."""
    tokens: list[str] = []
    for part in _DELIMS.split(canonical):
        if not part:
            continue
        if _DELIMS.fullmatch(part):
            tokens.append(part)
        else:
            tokens.extend(part.split())
    return tokens


_TYPED = re.compile(r"<[a-z]+>")


def grouping_form(canonical: str) -> str:
    """The template with typed placeholders (`<ip>`, `<card>`) folded into `<*>`: a value's
    type must not split a group (an id that happens to pass the Luhn check is still an id)."""
    return _TYPED.sub(VAR, canonical)


_PLACEHOLDER = re.compile(r"<(?:\*|[a-z]+)>")


def is_variable(token: str) -> bool:
    """A token that is wholly a placeholder (`<*>`, `<ip>`, ...)."""
    return _PLACEHOLDER.fullmatch(token) is not None
