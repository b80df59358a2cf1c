"""Project keys and per-key rate limits.

A key arrives as `Authorization: Bearer KEY`, `X-Errorhub-Key: KEY`, Sentry's
`X-Sentry-Auth: Sentry sentry_key=KEY, ...` header or its `sentry_key=KEY` query parameter.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections.abc import Mapping

from ingest.config import Project


class AuthError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def parse_sentry_auth(header: str) -> dict[str, str]:
    """`Sentry sentry_key=abc, sentry_version=7` → {"sentry_key": "abc", "sentry_version": "7"}."""
    text = header.strip()
    if text.lower().startswith("sentry "):
        text = text[len("sentry ") :]
    pairs = (part.split("=", 1) for part in text.split(",") if "=" in part)
    return {name.strip(): value.strip() for name, value in pairs}


def key_from_request(headers: Mapping[str, str], query: Mapping[str, str]) -> str | None:
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[len("bearer ") :].strip()
    if headers.get("x-errorhub-key"):
        return headers["x-errorhub-key"].strip()
    if headers.get("x-sentry-auth"):
        return parse_sentry_auth(headers["x-sentry-auth"]).get("sentry_key")
    return query.get("sentry_key")


def authenticate(keys: Mapping[str, Project], key: str | None, project_id: str | None) -> Project:
    """The key's project; 401 without a known key, 403 when the key belongs to another project."""
    if not key:
        raise AuthError(401, "missing project key")
    project = _lookup(keys, key)
    if project is None:
        raise AuthError(401, "unknown project key")
    if project_id is not None and project_id.strip() != str(project.id):
        raise AuthError(403, f"key is not valid for project {project_id}")
    return project


def _lookup(keys: Mapping[str, Project], key: str) -> Project | None:
    # Constant-time comparison against every known key: no timing hint about key prefixes.
    found = None
    for known, project in keys.items():
        if hmac.compare_digest(known.encode(), key.encode()):
            found = project
    return found


class TokenBucket:
    """Refills `rate` tokens per second up to `burst`; a request of n records takes n tokens."""

    def __init__(self, rate: float, burst: float):
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def take(self, cost: float) -> float:
        """Take tokens; returns 0 when allowed, else the seconds to wait before retrying."""
        cost = min(cost, self.burst)  # a batch larger than the bucket waits for a full bucket
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= cost:
                self._tokens -= cost
                return 0.0
            return (cost - self._tokens) / self.rate


class RateLimiter:
    def __init__(self, rate: float, burst: float):
        self._rate = rate
        self._burst = burst
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str, cost: int) -> int:
        """0 when allowed; otherwise whole seconds for the Retry-After header (at least 1)."""
        with self._lock:
            bucket = self._buckets.setdefault(key, TokenBucket(self._rate, self._burst))
        wait = bucket.take(cost)
        return 0 if wait == 0 else max(1, math.ceil(wait))
