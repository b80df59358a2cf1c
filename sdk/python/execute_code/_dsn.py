"""Where to send: a DSN `http://KEY@host:port/PROJECT_ID` or a base URL plus key and project."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit


class Target(NamedTuple):
    base_url: str  # scheme://host:port, no trailing slash
    key: str
    project: str  # project id; empty when unknown


def parse_target(dsn_or_url: str, key: str | None = None, project: str | None = None) -> Target:
    parts = urlsplit(dsn_or_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"expected http(s)://KEY@host:port/PROJECT or http(s)://host:port, got {dsn_or_url!r}"
        )
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port:
        netloc += f":{parts.port}"
    path = parts.path.strip("/")
    dsn_key = parts.username or ""
    # A DSN's path is the project id; a plain base URL may carry a path prefix instead.
    dsn_project = path.rsplit("/", 1)[-1] if dsn_key and path else ""
    prefix = path.rsplit("/", 1)[0] if dsn_key and "/" in path else ("" if dsn_key else path)
    base = f"{parts.scheme}://{netloc}" + (f"/{prefix}" if prefix else "")
    final_key = key or dsn_key
    if not final_key:
        raise ValueError("no project key: pass key=... or use a DSN with the key before '@'")
    return Target(base, final_key, str(project if project is not None else dsn_project))
