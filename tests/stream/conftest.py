"""Helpers for the stream-environment tests (Flink job, Beam replay).

Imports only stdlib + pytest at module level: this file is collected by the main env too,
where every test module here skips itself (no pyflink / apache_beam).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def wait_for(
    predicate: Callable[[], object],
    timeout: float,
    what: str,
    interval: float = 0.5,
    on_timeout: Callable[[], str] | None = None,
):
    """Poll until predicate() is truthy; fail with `what` (and extra context) after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    extra = on_timeout() if on_timeout else ""
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})\n{extra}")


@dataclass
class StreamJob:
    """The stream job in its own process group, as `errorhub up` runs it."""

    settings: object
    home: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def status_path(self) -> Path:
        return self.home / "run" / "stream-status.json"

    @property
    def log_path(self) -> Path:
        return self.home / "log" / "stream.log"

    def status(self) -> dict:
        try:
            return json.loads(self.status_path.read_text())
        except (OSError, ValueError):
            return {}

    def env(self) -> dict[str, str]:
        from pipelines.flink.service import service_env

        env = {**os.environ, **service_env(self.settings), "ERRORHUB_FLINK_PYTHON": sys.executable}
        env.update(
            {
                "ERRORHUB_FLINK_CHECKPOINT_MS": "1000",
                "ERRORHUB_FLINK_FLUSH_MS": "200",
                "ERRORHUB_FLINK_RESTART_ATTEMPTS": "20",
                "ERRORHUB_FLINK_RESTART_DELAY_MS": "2000",
                "ERRORHUB_FLINK_GROUP_ID": f"stream-test-{uuid.uuid4().hex[:8]}",
            }
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 240.0) -> dict:
        if not self.extra_env.get("ERRORHUB_FLINK_GROUP_ID"):
            self.extra_env["ERRORHUB_FLINK_GROUP_ID"] = f"stream-test-{uuid.uuid4().hex[:8]}"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.status_path.unlink(missing_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pipelines.flink.job", "run"],
                cwd=REPO_ROOT,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

        def running():
            if self.process.poll() is not None:
                pytest.fail(f"stream job exited with {self.process.returncode}:\n{self.log_tail()}")
            status = self.status()
            return (
                status if status.get("state") == "RUNNING" and status.get("pid") == self.process.pid else None
            )

        return wait_for(running, timeout, "the stream job to be RUNNING", on_timeout=self.log_tail)

    def kill9(self) -> None:
        """SIGKILL the whole process group (runner, JVM, Python workers): a crash."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        # The Python workers are children of the JVM in the same group; make sure none lingers.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _group_alive(self.process.pid):
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                pass
        if _group_alive(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(30)

    def log_tail(self, size: int = 6000) -> str:
        parts = []
        for path in [self.log_path, *sorted((self.home / "log" / "flink").glob("*.log"))]:
            if path.exists():
                text = path.read_bytes()[-size:].decode(errors="replace")
                parts.append(f"--- {path.name}\n{text}")
        return "\n".join(parts)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Zombies of our own group count as gone.
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(stat[2]) == pgid and stat[0] != "Z":
            return True
    return False


@pytest.fixture
def stream_job_factory(tmp_path: Path) -> Iterator[Callable[..., StreamJob]]:
    """Make StreamJob objects; every job made is stopped (by its process group) at teardown."""
    made: list[StreamJob] = []

    def make(settings, **extra_env: str) -> StreamJob:
        job = StreamJob(settings=settings, home=Path(settings.home), extra_env=dict(extra_env))
        made.append(job)
        return job

    try:
        yield make
    finally:
        for job in made:
            job.stop()
