"""Splitting a request's URL parameters into transport options, engine settings and
query parameters, the way ClickHouse's HTTP interface reads them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from warehouse.http.errors import ClickHouseError

# Parameters the HTTP layer consumes itself; never forwarded to the engine as settings.
TRANSPORT_PARAMS = frozenset(
    {
        "query",
        "database",
        "default_format",
        "user",
        "password",
        "quota_key",
        "session_id",
        "session_timeout",
        "session_check",
        "query_id",
        "compress",
        "decompress",
        "enable_http_compression",
        "http_zlib_compression_level",
        "wait_end_of_query",
        "client_protocol_version",
        "buffer_size",
        "role",
        "send_progress_in_http_headers",
        "http_headers_progress_interval_ms",
        "http_response_buffer_size",
        "http_wait_end_of_query",
        "stacktrace",
        "cancel_http_readonly_queries_on_client_close",
        "http_write_exception_in_output_format",
        "http_native_compression_disable_checksumming_on_decompress",
        "add_http_cors_header",
        "max_query_size_http",
    }
)

_SETTING_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DEFAULT_SESSION_TIMEOUT = 60
MAX_SESSION_TIMEOUT = 3600


@dataclass
class RequestParams:
    query: str = ""
    database: str | None = None
    default_format: str = "TabSeparated"
    query_id: str | None = None
    session_id: str | None = None
    session_timeout: int = DEFAULT_SESSION_TIMEOUT
    session_check: bool = False
    compress: bool = False  # response in ClickHouse compressed blocks
    decompress: bool = False  # request body in ClickHouse compressed blocks
    http_compression: bool = False  # enable_http_compression: honour Accept-Encoding
    wait_end_of_query: bool = False  # buffer the whole result before answering
    settings: dict[str, str] = field(default_factory=dict)
    query_params: dict[str, str] = field(default_factory=dict)


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def parse_params(pairs: Iterable[tuple[str, str]]) -> RequestParams:
    """Build RequestParams from decoded (name, value) pairs; later values win."""
    req = RequestParams()
    for name, value in pairs:
        if name.startswith("param_"):
            req.query_params[name[6:]] = value
        elif name in TRANSPORT_PARAMS:
            _apply_transport(req, name, value)
        elif _SETTING_NAME.match(name):
            req.settings[name] = value
        else:
            raise ClickHouseError(115, f"Unknown setting '{name}'")
    return req


def _apply_transport(req: RequestParams, name: str, value: str) -> None:
    if name == "query":
        req.query = value
    elif name == "database":
        req.database = value or None
    elif name == "default_format":
        req.default_format = value or "TabSeparated"
    elif name == "query_id":
        req.query_id = value or None
    elif name == "session_id":
        req.session_id = value or None
    elif name == "session_timeout":
        req.session_timeout = _session_timeout(value)
    elif name == "session_check":
        req.session_check = _flag(value)
    elif name == "compress":
        req.compress = _flag(value)
    elif name == "decompress":
        req.decompress = _flag(value)
    elif name == "enable_http_compression":
        req.http_compression = _flag(value)
    elif name == "wait_end_of_query":
        req.wait_end_of_query = _flag(value)


def _session_timeout(value: str) -> int:
    try:
        seconds = int(value)
    except ValueError as ex:
        raise ClickHouseError(72, f"Cannot parse session_timeout '{value}'") from ex
    if seconds < 0 or seconds > MAX_SESSION_TIMEOUT:
        raise ClickHouseError(
            36, f"Session timeout '{seconds}' is larger than max_session_timeout: {MAX_SESSION_TIMEOUT}"
        )
    return seconds


def quote_setting_value(value: str) -> str:
    """Settings ride as quoted literals; ClickHouse converts them to the setting's type."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def set_statement(settings: dict[str, str]) -> str | None:
    """One `SET a = 'x', b = 'y'` statement for all settings, or None."""
    if not settings:
        return None
    return "SET " + ", ".join(f"{k} = {quote_setting_value(v)}" for k, v in settings.items())
