"""Just enough SQL lexing to shape a request: where an INSERT's data starts, which
output format a query asks for, and whether a statement only reads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUOTES = {"'", '"', "`"}

READ_ONLY_KEYWORDS = frozenset(
    {"SELECT", "WITH", "SHOW", "DESC", "DESCRIBE", "EXPLAIN", "EXISTS", "SET", "USE", "("}
)
RESULT_KEYWORDS = frozenset({"SELECT", "WITH", "SHOW", "DESC", "DESCRIBE", "EXPLAIN", "EXISTS", "CHECK", "("})

# Table functions that reach outside the warehouse (files, network, programs).
EXTERNAL_TABLE_FUNCTIONS = re.compile(
    r"\b(file|url|urlCluster|s3|s3Cluster|gcs|azureBlobStorage|azureBlobStorageCluster|hdfs|hdfsCluster|"
    r"remote|remoteSecure|cluster|clusterAllReplicas|mysql|postgresql|sqlite|mongodb|redis|jdbc|odbc|"
    r"executable|iceberg\w*|deltaLake\w*|hudi\w*|paimon\w*|arrowFlight|ytsaurus|fileCluster|python)\s*\(",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Token:
    text: str  # a word, or a single punctuation character
    start: int
    end: int


def tokens(sql: str) -> Iterator[Token]:
    """Words and punctuation at top level; skips quoted text and comments."""
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch.isspace():
            i += 1
        elif ch in _QUOTES:
            i = _skip_quoted(sql, i)
        elif sql.startswith("--", i) or (ch == "#" and sql.startswith(("# ", "#!"), i)):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            match = _WORD.match(sql, i)
            end = match.end() if match else i + 1
            yield Token(sql[i:end], i, end)
            i = end


def _skip_quoted(sql: str, i: int) -> int:
    quote, j, n = sql[i], i + 1, len(sql)
    while j < n:
        ch = sql[j]
        if ch == "\\":
            j += 2
        elif ch == quote:
            if j + 1 < n and sql[j + 1] == quote:
                j += 2
            else:
                return j + 1
        else:
            j += 1
    return n


def first_keyword(sql: str) -> str:
    for tok in tokens(sql):
        return tok.text.upper()
    return ""


@dataclass(frozen=True)
class InsertShape:
    statement: str  # "INSERT INTO t (a, b) [SETTINGS ...]" without FORMAT
    fmt: str
    data_start: int  # offset in the text where the data begins


def insert_with_format(text: str) -> InsertShape | None:
    """For `INSERT ... FORMAT Name<data>`, the statement, the format and where data starts.

    As in ClickHouse, the data starts after the first newline following the format
    name, or at the first non-blank character if there is no newline."""
    toks = tokens(text)
    first = next(toks, None)
    if first is None or first.text.upper() != "INSERT":
        return None
    previous = None
    for tok in toks:
        if previous is not None and previous.text.upper() == "FORMAT" and _WORD.fullmatch(tok.text):
            return InsertShape(text[: previous.start].rstrip(), tok.text, _data_start(text, tok.end))
        if tok.text.upper() in ("SELECT", "VALUES", "WITH"):
            return None
        previous = tok
    return None


def _data_start(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in " \t\r":
        pos += 1
    if pos < n and text[pos] == "\n":
        return pos + 1
    while pos < n and text[pos].isspace():
        pos += 1
    return pos


def output_format(sql: str) -> str | None:
    """The name after the last top-level FORMAT keyword, if any."""
    found = None
    previous = None
    for tok in tokens(sql):
        if previous is not None and previous.text.upper() == "FORMAT" and _WORD.fullmatch(tok.text):
            found = tok.text
        previous = tok
    return found


def is_read_only(sql: str) -> bool:
    return first_keyword(sql) in READ_ONLY_KEYWORDS


def produces_result(sql: str) -> bool:
    return first_keyword(sql) in RESULT_KEYWORDS


def external_table_function(sql: str) -> str | None:
    """Name of a file/network/program table function used by the statement, if any."""
    code = "".join(sql[t.start : t.end] + " " for t in tokens(sql))
    match = EXTERNAL_TABLE_FUNCTIONS.search(code)
    return match.group(1) if match else None
