"""The client: capture functions, run tracking, excepthook integration, exit handling."""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import functools
import hashlib
import logging
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from execute_code._buffer import DiskBuffer
from execute_code._dsn import Target
from execute_code._events import exception_event, execution_record, message_event
from execute_code._transport import Transport

log = logging.getLogger("execute_code")

CAPTURED_ATTR = "_execute_code_event_id"

# The run an event belongs to, per thread / asyncio task.
current_execution: contextvars.ContextVar[str] = contextvars.ContextVar("execute_code_execution", default="")


def default_buffer_dir(target: Target) -> Path:
    digest = hashlib.sha1(f"{target.base_url}|{target.key}".encode()).hexdigest()[:12]
    root = os.environ.get("EXECUTE_CODE_BUFFER_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "execute_code"
    )
    path = Path(root) / digest
    try:
        path.mkdir(parents=True, exist_ok=True)
        return path
    except OSError:  # read-only home (sandboxes, judges): fall back to the temp folder
        return Path(tempfile.gettempdir()) / f"execute_code-{os.getuid()}" / digest


class Client:
    def __init__(
        self,
        target: Target,
        *,
        release: str = "",
        language: str = "python",
        user_id: str = "",
        code_hash: str = "",
        tags: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        buffer_dir: str | None = None,
        shutdown_timeout: float = 2.0,
        **transport_options: Any,
    ):
        self.target = target
        self.context: dict[str, Any] = {
            "release": release,
            "language": language,
            "user_id": user_id,
            "code_hash": code_hash,
            "tags": {str(k): str(v) for k, v in (tags or {}).items()},
            "env": {str(k): str(v) for k, v in (env or {}).items()},
        }
        self.shutdown_timeout = shutdown_timeout
        buffer = DiskBuffer(Path(buffer_dir) if buffer_dir else default_buffer_dir(target))
        self.transport = Transport(target, buffer, **transport_options)
        self._closed = False
        self._previous_hooks: dict[str, Any] = {}
        atexit.register(self.close)

    def _context(self, overrides: dict[str, Any]) -> dict[str, Any]:
        context = dict(self.context)
        context["execution_id"] = current_execution.get()
        context.update({k: v for k, v in overrides.items() if v is not None})
        return context

    def capture_exception(self, exc: BaseException, level: str = "error", **fields: Any) -> str:
        already = getattr(exc, CAPTURED_ATTR, None)
        if already:  # e.g. captured by `execution`, then seen again by the excepthook
            return already
        event = exception_event(exc, level, self._context(fields))
        self.transport.submit("events", event)
        with contextlib.suppress(AttributeError, TypeError):  # exceptions with __slots__
            setattr(exc, CAPTURED_ATTR, event["event_id"])
        return event["event_id"]

    def capture_message(self, message: str, level: str = "info", **fields: Any) -> str:
        event = message_event(message, level, self._context(fields))
        self.transport.submit("events", event)
        return event["event_id"]

    def record_execution(
        self, execution_id: str, status: str, duration_ms: int, exit_code: int = 0, **fields: Any
    ) -> str:
        record = execution_record(execution_id, status, duration_ms, exit_code, self._context(fields))
        self.transport.submit("executions", record)
        return record["record_id"]

    def flush(self, timeout: float = 5.0) -> bool:
        return self.transport.flush(timeout)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.uninstall_excepthook()
        self.transport.close(self.shutdown_timeout)

    # --- sys.excepthook / threading.excepthook ------------------------------------------------
    def install_excepthook(self) -> None:
        if self._previous_hooks:
            return
        self._previous_hooks = {"sys": sys.excepthook, "threading": threading.excepthook}
        sys.excepthook = self._sys_hook
        threading.excepthook = self._thread_hook

    def uninstall_excepthook(self) -> None:
        if not self._previous_hooks:
            return
        if sys.excepthook == self._sys_hook:
            sys.excepthook = self._previous_hooks["sys"]
        if threading.excepthook == self._thread_hook:
            threading.excepthook = self._previous_hooks["threading"]
        self._previous_hooks = {}

    def _sys_hook(self, exc_type, exc, tb) -> None:
        self._capture_uncaught(exc)
        self._previous_hooks.get("sys", sys.__excepthook__)(exc_type, exc, tb)

    def _thread_hook(self, args) -> None:
        if args.exc_value is not None:
            self._capture_uncaught(args.exc_value)
        self._previous_hooks.get("threading", threading.__excepthook__)(args)

    def _capture_uncaught(self, exc: BaseException) -> None:
        try:
            if not isinstance(exc, KeyboardInterrupt):
                self.capture_exception(exc, level="fatal")
                self.flush(self.shutdown_timeout)
        except Exception:
            log.debug("execute_code: excepthook capture failed", exc_info=True)


class execution:  # noqa: N801 - used as a context manager and a decorator, like contextlib's
    """Record one run's outcome (status, duration, exit code) and capture its exception.

    with execute_code.execution("run-42"): ...      or      @execute_code.execution()
    The user's own exception is re-raised unchanged; SDK failures never are.
    """

    def __init__(
        self,
        execution_id: str | None = None,
        client_getter: Callable[[], Any] | None = None,
        **fields: Any,
    ):
        self.execution_id = execution_id
        self.fields = fields
        self._client_getter = client_getter
        self._start = 0.0
        self._token: contextvars.Token | None = None

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with execution(self.execution_id, self._client_getter, **self.fields):
                return func(*args, **kwargs)

        return wrapper

    def __enter__(self) -> execution:
        self.execution_id = self.execution_id or str(uuid.uuid4())
        self._token = current_execution.set(self.execution_id)
        self._start = time.monotonic()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        duration_ms = int((time.monotonic() - self._start) * 1000)
        try:
            self._report(exc, duration_ms)
        except Exception:
            log.debug("execute_code: could not record the run", exc_info=True)
        finally:
            if self._token is not None:
                current_execution.reset(self._token)
        return False  # never swallow the user's exception

    def _report(self, exc: BaseException | None, duration_ms: int) -> None:
        client = self._client_getter() if self._client_getter else None
        if client is None:
            return
        status, exit_code, capture = outcome(exc)
        if capture and exc is not None:
            client.capture_exception(exc, **self.fields)
        client.record_execution(self.execution_id or "", status, duration_ms, exit_code, **self.fields)


def outcome(exc: BaseException | None):
    """(status, exit code, whether to capture an error event) for how a run ended."""
    if exc is None:
        return "success", 0, False
    if isinstance(exc, SystemExit):
        code = exc.code
        if code is None or code == 0:
            return "success", 0, False
        return "error", code if isinstance(code, int) else 1, False
    if isinstance(exc, KeyboardInterrupt):
        return "killed", 130, False
    if isinstance(exc, TimeoutError):
        return "timeout", 1, True
    if isinstance(exc, Exception):
        return "error", 1, True
    return "killed", 1, False
