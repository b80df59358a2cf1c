"""The supervisor against real processes: a stdlib HTTP server stands in for any service."""

from __future__ import annotations

import socket
import sys

import pytest

from errorhub.supervisor import Service, ServiceError, Supervisor, http_ok, pid_alive

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_service(port: int, name: str = "web") -> Service:
    url = f"http://127.0.0.1:{port}/"
    return Service(
        name=name,
        command=[sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        url=url,
        health=lambda: http_ok(url),
        port=port,
        start_timeout=20,
        stop_timeout=5,
    )


@pytest.fixture
def supervisor(tmp_path):
    return Supervisor(tmp_path / "run", tmp_path / "log")


def test_start_twice_starts_once_and_stop_ends_the_process(supervisor):
    service = http_service(free_port())
    assert supervisor.start(service).startswith("started")
    pid = supervisor.pid(service)
    assert supervisor.start(service) == "already running"
    assert supervisor.pid(service) == pid
    assert supervisor.status(service).healthy
    assert supervisor.stop(service) == f"stopped (pid {pid})"
    assert not pid_alive(pid)
    assert not supervisor.status(service).running


def test_port_taken_by_another_process_is_reported_by_name(supervisor):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(ServiceError, match=f"port {port} for web is already taken"):
            supervisor.start(http_service(port))


def test_a_service_that_dies_reports_its_log(supervisor):
    service = Service(
        name="broken",
        command=[sys.executable, "-c", "import sys; print('config error: ERRORHUB_X missing'); sys.exit(3)"],
        url="-",
        health=lambda: False,
        start_timeout=10,
    )
    with pytest.raises(ServiceError, match="ERRORHUB_X missing"):
        supervisor.start(service)
