"""Background delivery: batches, retries with exponential backoff, and the disk buffer.

Captures are queued and return at once; one daemon thread posts them in batches. A batch
that still fails after its retries goes to the disk buffer, and while the API is
unreachable new batches go straight there; buffered batches are re-sent, oldest first,
once a send succeeds again. Delivery is at-least-once: ids let the platform deduplicate.
"""

from __future__ import annotations

import gzip
import json
import logging
import queue
import random
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from execute_code._buffer import DiskBuffer
from execute_code._dsn import Target

log = logging.getLogger("execute_code")

ENDPOINTS = {"events": "/v1/events", "executions": "/v1/executions"}
GZIP_ABOVE = 1024
MAX_BACKOFF_S = 30.0
PROBE_INTERVAL_MAX_S = 60.0
USER_AGENT = "execute_code/0.1.0"

Item = tuple[str, dict[str, Any]]


class PermanentError(Exception):
    """The API refused the batch for good (auth, validation); retrying cannot help."""


class TransientError(Exception):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Transport:
    def __init__(
        self,
        target: Target,
        buffer: DiskBuffer,
        batch_size: int = 100,
        flush_interval: float = 1.0,
        max_queue: int = 10_000,
        timeout: float = 5.0,
        max_retries: int = 3,
        backoff: float = 0.5,
    ):
        self.target = target
        self.buffer = buffer
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self._queue: queue.Queue[Item] = queue.Queue(maxsize=max_queue)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._unsent = 0  # queued + being sent
        self._inflight: list[Item] = []
        self._inflight_taken = False  # close() took the batch being sent and buffers it itself
        self._closed = False
        self._api_down_until = 0.0
        self._probe_interval = 1.0
        self._flush_buffer = threading.Event()
        self._flush_buffer.set()  # send what a previous run left behind
        self._thread = threading.Thread(target=self._run, name="execute_code-sender", daemon=True)
        self._thread.start()

    # --- called from user threads -----------------------------------------------------------
    def submit(self, kind: str, item: dict[str, Any]) -> None:
        if self._closed:
            self.buffer.write(kind, [item])
            return
        with self._lock:
            self._unsent += 1
        try:
            self._queue.put_nowait((kind, item))
        except queue.Full:  # never block user code and never drop: spill this one to disk
            self.buffer.write(kind, [item])
            self._mark_sent(1)

    def flush(self, timeout: float) -> bool:
        """Wait until everything captured so far was sent or buffered; True when all was sent."""
        self._flush_buffer.set()
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._unsent > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(min(remaining, 0.1))
        return not self.buffer.pending() or self._send_buffered(deadline)

    def close(self, timeout: float) -> None:
        """Flush for up to `timeout`; whatever is still unsent is written to the disk buffer."""
        self.flush(timeout)
        self._closed = True
        # Let a batch being collected or sent settle, so no item is held only by the sender
        # thread when the interpreter exits (the thread is a daemon).
        self._thread.join(self.flush_interval + self.timeout + 0.5)
        with self._lock:
            leftovers = list(self._inflight)  # a send under way may still succeed: at-least-once
            self._inflight = []
            self._inflight_taken = True
        while True:
            try:
                leftovers.append(self._queue.get_nowait())
            except queue.Empty:
                break
        for kind in ENDPOINTS:
            self.buffer.write(kind, [item for k, item in leftovers if k == kind])

    # --- the sender thread ------------------------------------------------------------------
    def _run(self) -> None:
        while not self._closed:
            try:
                batch = self._collect()
                if batch:
                    self._deliver(batch)
                elif self._flush_buffer.is_set() and time.monotonic() >= self._api_down_until:
                    self._flush_buffer.clear()
                    self._send_buffered(time.monotonic() + 10 * self.timeout)
            except Exception:  # the sender must survive anything
                log.exception("execute_code sender error")
                time.sleep(0.5)

    def _collect(self) -> list[Item]:
        try:
            first = self._queue.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.flush_interval
        while len(batch) < self.batch_size:
            remaining = deadline - time.monotonic()
            try:
                batch.append(
                    self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
                )
            except queue.Empty:
                break
        with self._lock:
            self._inflight = list(batch)
            self._inflight_taken = False
        return batch

    def _deliver(self, batch: list[Item]) -> None:
        for kind in ENDPOINTS:
            items = [item for k, item in batch if k == kind]
            if not items:
                continue
            sent = self._try_send(kind, items)
            if not sent:
                self._flush_buffer.set()
            self._settle(kind, items, sent)
        with self._lock:
            taken_by_close = self._inflight_taken
            self._inflight = []
        if not taken_by_close:
            self._mark_sent(len(batch))

    def _try_send(self, kind: str, items: list[dict[str, Any]]) -> bool:
        if time.monotonic() < self._api_down_until:
            return False
        try:
            self._send_with_retries(kind, items)
        except TransientError as error:
            log.warning("execute_code: API unreachable (%s); %d items buffered to disk", error, len(items))
            self._api_down_until = time.monotonic() + self._probe_interval
            self._probe_interval = min(self._probe_interval * 2, PROBE_INTERVAL_MAX_S)
            return False
        self._api_up()
        return True

    def _settle(self, kind: str, items: list[dict[str, Any]], sent: bool) -> None:
        """Buffer unsent items and drop them from the in-flight batch, unless close() took it.

        Under the lock, so an item is written to disk by exactly one of the sender and close().
        """
        with self._lock:
            if self._inflight_taken:
                return
            if not sent:
                self.buffer.write(kind, items)
            settled = {id(item) for item in items}
            self._inflight = [(k, item) for k, item in self._inflight if id(item) not in settled]

    def _send_buffered(self, deadline: float) -> bool:
        """Re-send buffered batches oldest first; stops at the first failure. True when all went."""
        for path in self.buffer.pending():
            if time.monotonic() > deadline:
                return False
            claimed = self.buffer.claim(path)
            if claimed is None:
                continue
            claimed_path, kind, items = claimed
            try:
                self._send_split(kind, items)
            except TransientError:
                self.buffer.release(claimed_path)
                self._api_down_until = time.monotonic() + self._probe_interval
                self._probe_interval = min(self._probe_interval * 2, PROBE_INTERVAL_MAX_S)
                return False
            self.buffer.done(claimed_path)
            self._api_up()
        return True

    def _api_up(self) -> None:
        self._api_down_until = 0.0
        self._probe_interval = 1.0

    def _mark_sent(self, count: int) -> None:
        with self._idle:
            self._unsent = max(0, self._unsent - count)
            self._idle.notify_all()

    # --- HTTP -------------------------------------------------------------------------------
    def _send_with_retries(self, kind: str, items: list[dict[str, Any]]) -> None:
        for attempt in range(self.max_retries + 1):
            try:
                self._send_split(kind, items)
                return
            except TransientError as error:
                if attempt == self.max_retries or self._closed:
                    raise
                time.sleep(_backoff_delay(self.backoff, attempt, error.retry_after))

    def _send_split(self, kind: str, items: list[dict[str, Any]]) -> None:
        """Post items; on 413 or 422 send halves, so one bad item cannot sink a whole batch."""
        try:
            self._post(kind, items)
        except PermanentError as error:
            if len(items) == 1 or getattr(error, "status", 0) not in (413, 422):
                log.error("execute_code: %d %s dropped: %s", len(items), kind, error)
                return
            middle = len(items) // 2
            self._send_split(kind, items[:middle])
            self._send_split(kind, items[middle:])

    def _post(self, kind: str, items: list[dict[str, Any]]) -> None:
        body = json.dumps(items, separators=(",", ":")).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.target.key}",
            "User-Agent": USER_AGENT,
        }
        if self.target.project:
            headers["X-Errorhub-Project"] = self.target.project
        if len(body) > GZIP_ABOVE:
            body = gzip.compress(body, compresslevel=5)
            headers["Content-Encoding"] = "gzip"
        request = urllib.request.Request(self.target.base_url + ENDPOINTS[kind], body, headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise _classify(error) from None
        except (urllib.error.URLError, OSError) as error:  # refused, reset, timeout, DNS
            raise TransientError(str(error)) from None


def _classify(error: urllib.error.HTTPError) -> Exception:
    detail = error.read()[:500].decode("utf-8", "replace")
    if error.code == 429 or error.code >= 500:
        retry_after = error.headers.get("Retry-After", "")
        return TransientError(f"HTTP {error.code}", float(retry_after) if retry_after.isdigit() else None)
    permanent = PermanentError(f"HTTP {error.code}: {detail}")
    permanent.status = error.code  # type: ignore[attr-defined]
    return permanent


def _backoff_delay(base: float, attempt: int, retry_after: float | None) -> float:
    """Exponential backoff with full jitter, or the server's Retry-After when it gave one."""
    if retry_after is not None:
        return min(retry_after, MAX_BACKOFF_S)
    return random.uniform(0, min(MAX_BACKOFF_S, base * (2**attempt)))
