"""Guards only skip work: masking and canonicalising give what the unguarded passes give."""

import json
import random
import re
from pathlib import Path

import pytest

from pipelines.engine import pii, text
from pipelines.engine.text import canonicalize, tokenize

ROOT = Path(__file__).parents[2]
FRAGMENTS = [
    "password=",
    "Password: ",
    "token ",
    "Bearer ",
    "api_key=",
    "secret:",
    "session_id=",
    "AKIA",
    "ghp_",
    "sk-",
    "xoxb-",
    "eyJ",
    ".eyJ",
    "@",
    "://",
    "user:pw@",
    "/home/",
    "/Users/",
    "C:\\Users\\",
    "c:\\\\users\\\\",
    "::",
    "::1",
    "fe80::",
    "std::io",
    ":",
    ".",
    "-",
    " ",
    "\t",
    "\n",
    "'",
    '"',
    "`",
    "(",
    ")",
    "[]",
    "()",
    "=",
    "+",
    "+82",
    "010",
    "02-",
    "(555)",
    "0x",
    "Jan",
    "Mon ",
    "2024-01-02",
    "12:34:56",
    "10.0.0.1",
    "255.255",
    "1.2.3.4:80",
    "abc",
    "A",
    "z",
    "_",
    "4111111111111111",
    "4111 1111 1111 1111",
    "3782 822463 10005",
    "900101-1234567",
    "key=",
    "AccountKey=",
    "sig=",
    "cookie:",
    "credentials ",
    "authorization:",
    "ſ",
    "İ",
    "K",
    "é",
    "٣",
    "²",
    "‘x’",
    "<user>",
    "<*>",
    "<token>",
    "~",
    "%",
    "$",
    "#",
    ",",
]


def _fuzz(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 12)):
            r = rng.random()
            if r < 0.5:
                parts.append(rng.choice(FRAGMENTS))
            elif r < 0.8:
                parts.append("".join(rng.choice("0123456789") for _ in range(rng.randint(1, 20))))
            else:
                word = (rng.choice("abcdefABCDEF0123456789xyz_-.") for _ in range(rng.randint(1, 24)))
                parts.append("".join(word))
        out.append("".join(parts))
    return out


def _corpus() -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "eval" / "pii_corpus.jsonl").open() if line.strip()]
    traces = [json.loads(line) for line in (ROOT / "eval" / "tracebacks" / "corpus.jsonl").open()]
    samples = [p.read_text() for p in (Path(__file__).with_name("samples")).glob("*.txt")]
    return [r["text"] for r in rows] + [t["stack_trace"] for t in traces] + samples + _fuzz(4000)


CORPUS = _corpus()


def _mask_unguarded(value: str) -> str:
    for name, _ in pii._KINDS:
        value = pii._REPLACE[name](value)
    return value


def _canonicalize_unguarded(value: str) -> str:
    for _, _, pattern, placeholder in text._RULES:
        value = pattern.sub(placeholder, value)
    return text._WORD.sub(lambda m: text._generalise_word(m.group(0)), value)


def _tokenize_by_split(canonical: str) -> list[str]:
    tokens: list[str] = []
    for part in re.split(r"([=:,;()\[\]{}\"'`|])", canonical):
        if part and re.fullmatch(r"[=:,;()\[\]{}\"'`|]", part):
            tokens.append(part)
        elif part:
            tokens.extend(part.split())
    return tokens


@pytest.mark.parametrize("chunk", range(4))
def test_mask_text_equals_every_pass_in_order(chunk):
    for value in CORPUS[chunk::4]:
        assert pii.mask_text(value) == _mask_unguarded(value), value


@pytest.mark.parametrize("chunk", range(4))
def test_canonicalize_equals_every_rule_in_order(chunk):
    for value in CORPUS[chunk::4]:
        masked = pii.mask_text(value)
        for message in (value, masked):
            assert canonicalize(message) == _canonicalize_unguarded(message), message
            assert tokenize(message) == _tokenize_by_split(message), message


def test_secret_key_shortcut_agrees_with_the_pattern():
    keys = [w for value in CORPUS for w in value.split()]
    keys += ["API_TOKEN", "db_password", "HOME", "Kelvin\u212aey"]
    for key in keys:
        assert pii.is_secret_key(key) == (pii.SECRET_KEY.match(key) is not None), key
