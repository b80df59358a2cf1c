"""ClickHouse-style errors: codes, names, HTTP status mapping, response bodies."""

from __future__ import annotations

import re

SERVER_VERSION = "26.9.2.1"

# The codes this server raises itself, plus those whose HTTP status differs from 500.
CODE_NAMES: dict[int, str] = {
    33: "CANNOT_READ_ALL_DATA",
    36: "BAD_ARGUMENTS",
    47: "UNKNOWN_IDENTIFIER",
    46: "UNKNOWN_FUNCTION",
    48: "NOT_IMPLEMENTED",
    50: "UNKNOWN_TYPE",
    53: "TYPE_MISMATCH",
    60: "UNKNOWN_TABLE",
    62: "SYNTAX_ERROR",
    73: "UNKNOWN_FORMAT",
    81: "UNKNOWN_DATABASE",
    115: "UNKNOWN_SETTING",
    117: "INCORRECT_DATA",
    164: "READONLY",
    194: "REQUIRED_PASSWORD",
    202: "TOO_MANY_SIMULTANEOUS_QUERIES",
    209: "SOCKET_TIMEOUT",
    271: "CANNOT_DECOMPRESS",
    372: "SESSION_NOT_FOUND",
    373: "SESSION_IS_LOCKED",
    381: "HTTP_LENGTH_REQUIRED",
    394: "QUERY_WAS_CANCELLED",
    497: "ACCESS_DENIED",
    516: "AUTHENTICATION_FAILED",
    1000: "POCO_EXCEPTION",
    1001: "STD_EXCEPTION",
}

_BAD_REQUEST = {
    6,
    15,
    25,
    26,
    27,
    36,
    38,
    41,
    44,
    53,
    62,
    72,
    117,
    167,
    168,
    169,
    427,
    # Not 400 in ClickHouse (500 there), but a malformed request body is the client's fault.
    33,
    271,
    1000,
}
_NOT_FOUND = {46, 47, 50, 56, 60, 63, 73, 81, 115, 336, 511}
_STATUS_BY_CODE = {
    194: 401,
    192: 403,
    193: 403,
    516: 403,
    512: 403,
    497: 403,
    202: 503,
    209: 503,
    76: 503,
    439: 503,
    381: 411,
    159: 408,
    48: 501,
    415: 415,
    307: 413,
}

_CODE_RE = re.compile(r"Code: (\d+)\.")
_NAME_RE = re.compile(r"\(([A-Z][A-Z0-9_]+)\)(?: \(version [^)]*\))?\s*$")


class ClickHouseError(Exception):
    """An error reported to the client the way ClickHouse reports it."""

    def __init__(self, code: int, message: str, http_status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status or http_status_for(code)

    def body(self) -> bytes:
        return format_exception_body(self.code, self.message).encode()


def http_status_for(code: int) -> int:
    if code in _STATUS_BY_CODE:
        return _STATUS_BY_CODE[code]
    if code in _BAD_REQUEST:
        return 400
    if code in _NOT_FOUND:
        return 404
    return 500


def format_exception_body(code: int, message: str) -> str:
    """`Code: N. DB::Exception: message. (NAME) (version X)` plus a newline."""
    message = message.rstrip()
    name = CODE_NAMES.get(code)
    if name and not _NAME_RE.search(message):
        message = f"{message}. ({name})" if not message.endswith(".") else f"{message} ({name})"
    if "(version " not in message:
        message = f"{message} (version {SERVER_VERSION})"
    return f"Code: {code}. DB::Exception: {message}\n"


def from_engine_message(text: str) -> ClickHouseError:
    """Turn a chDB exception text (`... Code: 60. DB::Exception: ...`) into a ClickHouseError."""
    start = text.find("Code: ")
    text = text[start:] if start >= 0 else text
    match = _CODE_RE.match(text)
    if not match:
        return ClickHouseError(1001, text.strip() or "Unknown engine error")
    code = int(match.group(1))
    message = text[match.end() :].strip()
    message = message.removeprefix("DB::Exception:").strip()
    # chDB sometimes chains two exceptions: keep the last, most specific one.
    tail = message.rfind("Code: ")
    if tail > 0 and _CODE_RE.match(message[tail:]):
        return from_engine_message(message[tail:])
    return ClickHouseError(code, message)


def authentication_failed(user: str) -> ClickHouseError:
    return ClickHouseError(
        516,
        f"{user}: Authentication failed: password is incorrect, or there is no user with such name",
    )


def readonly_refused(user: str, reason: str = "") -> ClickHouseError:
    return ClickHouseError(164, f"{user}: Cannot execute query in readonly mode{reason}")


def bad_request(message: str, code: int = 1000) -> ClickHouseError:
    return ClickHouseError(code, message, http_status=400)
