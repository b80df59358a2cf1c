"""Start, check and stop the local services, each alone, by PID.

A `Service` says how to run one process and how to tell it is healthy. The `Supervisor`
keeps one pid file and one log file per service under the settings' home folder, so
`errorhub up` twice starts nothing twice and `errorhub down` stops exactly what it started.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class ServiceError(RuntimeError):
    """A service could not be started or stopped; the message names the service and the cause."""


@dataclass(frozen=True)
class Service:
    name: str
    command: list[str]
    url: str
    health: Callable[[], bool]
    port: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    start_timeout: float = 60.0
    stop_timeout: float = 30.0
    # Runs once the service is healthy (create topics, migrate, provision dashboards...).
    after_start: Callable[[], None] | None = None
    # Extra status detail (checkpoint age, consumer lag, spool depth...), shown by `status`.
    detail: Callable[[], str] | None = None


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    pid: int | None
    running: bool
    healthy: bool
    url: str
    detail: str = ""


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when GET url answers 2xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def port_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _not_zombie(pid)


def _not_zombie(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


class Supervisor:
    def __init__(self, run_dir: Path, log_dir: Path):
        self.run_dir = run_dir
        self.log_dir = log_dir

    def pid_file(self, service: Service) -> Path:
        return self.run_dir / f"{service.name}.pid"

    def log_file(self, service: Service) -> Path:
        return self.log_dir / f"{service.name}.log"

    def pid(self, service: Service) -> int | None:
        try:
            pid = int(self.pid_file(service).read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def status(self, service: Service) -> ServiceStatus:
        pid = self.pid(service)
        healthy = service.health()
        detail = _safe_detail(service) if healthy else ""
        return ServiceStatus(service.name, pid, pid is not None, healthy, service.url, detail)

    def start(self, service: Service) -> str:
        """Start the service unless it already runs; wait until healthy. Returns what happened."""
        if self.pid(service) is not None:
            if not self._wait_healthy(service, self.pid(service)):
                raise ServiceError(f"{service.name} runs but is not healthy; see {self.log_file(service)}")
            return "already running"
        if service.port is not None and port_open("127.0.0.1", service.port):
            raise ServiceError(f"port {service.port} for {service.name} is already taken by another process")
        process = self._spawn(service)
        if not self._wait_healthy(service, process.pid):
            self._terminate(process.pid, service.stop_timeout)
            raise ServiceError(
                f"{service.name} did not become healthy within {service.start_timeout:.0f}s; "
                f"last log lines:\n{self.tail_log(service)}"
            )
        if service.after_start is not None:
            service.after_start()
        return f"started (pid {process.pid})"

    def stop(self, service: Service) -> str:
        pid = self.pid(service)
        if pid is None:
            self.pid_file(service).unlink(missing_ok=True)
            return "not running"
        self._terminate(pid, service.stop_timeout)
        self.pid_file(service).unlink(missing_ok=True)
        return f"stopped (pid {pid})"

    def tail_log(self, service: Service, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file(service).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _spawn(self, service: Service) -> subprocess.Popen:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_file(service).open("ab")
        try:
            process = subprocess.Popen(
                service.command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=service.cwd,
                env={**os.environ, **service.env},
                start_new_session=True,  # own process group: stop takes its children too
            )
        except OSError as error:
            raise ServiceError(f"{service.name} could not be started: {error}") from error
        finally:
            log.close()
        self.pid_file(service).write_text(f"{process.pid}\n")
        return process

    def _wait_healthy(self, service: Service, pid: int) -> bool:
        deadline = time.monotonic() + service.start_timeout
        while time.monotonic() < deadline:
            if service.health():
                return True
            if not pid_alive(pid):
                return False
            time.sleep(0.25)
        return False

    @staticmethod
    def _terminate(pid: int, timeout: float) -> None:
        _signal_group(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.2)
        _signal_group(pid, signal.SIGKILL)


def _signal_group(pid: int, sig: int) -> None:
    """Signal the process group we created for pid (falls back to the pid alone)."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    except PermissionError:
        os.kill(pid, sig)


def _safe_detail(service: Service) -> str:
    if service.detail is None:
        return ""
    try:
        return service.detail()
    except Exception as error:  # detail is informative only; never break `status`
        return f"(detail unavailable: {error})"
