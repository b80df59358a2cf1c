"""execute_code: send errors and run outcomes from code-execution environments to errorhub.

    import execute_code
    execute_code.init("http://KEY@127.0.0.1:8000/1")        # the DSN printed by `errorhub dsn`
    with execute_code.execution("run-42"):
        run_user_code()

Standard library only. No function here ever raises into the caller's code.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from typing import Any, Callable, TypeVar

from execute_code._client import Client, current_execution, outcome
from execute_code._client import execution as _execution
from execute_code._dsn import Target, parse_target

__all__ = [
    "Client",
    "Target",
    "capture_exception",
    "capture_message",
    "close",
    "current_execution",
    "execution",
    "flush",
    "get_client",
    "init",
    "outcome",
    "record_execution",
]
__version__ = "0.1.0"

log = logging.getLogger("execute_code")
_client: Client | None = None
F = TypeVar("F", bound=Callable[..., Any])


def _never_raises(default: Any = None) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception:
                log.warning("execute_code.%s failed", func.__name__, exc_info=True)
                return default

        return wrapper  # type: ignore[return-value]

    return decorate


@_never_raises()
def init(
    dsn_or_url: str | None = None,
    key: str | None = None,
    project: str | None = None,
    *,
    release: str = "",
    language: str = "python",
    user_id: str = "",
    code_hash: str = "",
    tags: dict | None = None,
    env: dict | None = None,
    excepthook: bool = False,
    buffer_dir: str | None = None,
    batch_size: int = 100,
    flush_interval: float = 1.0,
    max_queue: int = 10_000,
    timeout: float = 5.0,
    max_retries: int = 3,
    shutdown_timeout: float = 2.0,
    debug: bool = False,
) -> Client | None:
    """Configure the global client. `dsn_or_url` defaults to $EXECUTE_CODE_DSN.

    A DSN carries key and project (`http://KEY@host:port/PROJECT_ID`); with a plain base URL
    pass `key` (and `project`, the project id, which the API checks against the key).
    """
    global _client
    if debug:
        logging.basicConfig()
        log.setLevel(logging.DEBUG)
    dsn_or_url = dsn_or_url or os.environ.get("EXECUTE_CODE_DSN")
    if not dsn_or_url:
        log.warning("execute_code.init: no DSN given and $EXECUTE_CODE_DSN unset; nothing will be sent")
        return None
    if _client is not None:
        _client.close()
    _client = Client(
        parse_target(dsn_or_url, key, project),
        release=release,
        language=language,
        user_id=user_id,
        code_hash=code_hash,
        tags=tags,
        env=env,
        buffer_dir=buffer_dir,
        shutdown_timeout=shutdown_timeout,
        batch_size=batch_size,
        flush_interval=flush_interval,
        max_queue=max_queue,
        timeout=timeout,
        max_retries=max_retries,
    )
    if excepthook:
        _client.install_excepthook()
    return _client


def get_client() -> Client | None:
    return _client


@_never_raises()
def capture_exception(exc: BaseException | None = None, level: str = "error", **fields: Any) -> str | None:
    """Send an exception (default: the one being handled). Returns its event id."""
    exc = exc if exc is not None else sys.exc_info()[1]
    if _client is None or exc is None:
        return None
    return _client.capture_exception(exc, level=level, **fields)


@_never_raises()
def capture_message(message: str, level: str = "info", **fields: Any) -> str | None:
    """Send a message as an event. Returns its event id."""
    return None if _client is None else _client.capture_message(message, level=level, **fields)


@_never_raises()
def record_execution(
    execution_id: str, status: str, duration_ms: int, exit_code: int = 0, **fields: Any
) -> str | None:
    """Send a run outcome yourself (status: success, error, timeout, killed). Returns its record id."""
    if _client is None:
        return None
    return _client.record_execution(execution_id, status, duration_ms, exit_code, **fields)


def execution(execution_id: str | None = None, **fields: Any) -> _execution:
    """Context manager and decorator recording a run's outcome and capturing its exception."""
    return _execution(execution_id, get_client, **fields)


@_never_raises(default=False)
def flush(timeout: float = 5.0) -> bool:
    """Wait up to `timeout` seconds for everything captured to be sent. True when all was sent."""
    return False if _client is None else _client.flush(timeout)


@_never_raises()
def close() -> None:
    """Flush briefly, buffer the rest to disk, stop the sender (also runs at exit)."""
    global _client
    if _client is not None:
        _client.close()
        _client = None
