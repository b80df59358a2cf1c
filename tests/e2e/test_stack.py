"""The README's main job, end to end: `errorhub up` starts the whole stack in a fresh home on
free ports, the official Sentry SDK reports exceptions, and they reach the warehouse masked and
grouped; `up` twice starts nothing twice; `down` stops every process it started."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from errorhub.settings import REPO_ROOT, Settings
from errorhub.supervisor import pid_alive

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.e2e]

ERRORHUB = str(Path(sys.executable).with_name("errorhub"))
UP_TIMEOUT_S = 900


def free_port_block(size: int) -> int:
    """A port p such that p..p+size-1 and p+10000..p+10000+size-1 are free (SeaweedFS uses both)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + 10_000 + size < 65_535 and all(_free(p) for p in _block(base, size)):
            return base
    raise RuntimeError("no free block of ports")


def _block(base: int, size: int) -> list[int]:
    return [*range(base, base + size), *range(base + 10_000, base + 10_000 + size)]


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def stack_env(tmp_path_factory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("stack")
    env = {
        **os.environ,
        "ERRORHUB_HOME": str(home),
        "ERRORHUB_S3_PORT": str(free_port_block(4)),
        "ERRORHUB_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
        "ERRORHUB_WAREHOUSE_URL": f"http://127.0.0.1:{free_port()}",
        "ERRORHUB_WAREHOUSE_PASSWORD": "e2e-warehouse",
        "ERRORHUB_WAREHOUSE_READONLY_PASSWORD": "e2e-analyst",
        "ERRORHUB_INGEST_PORT": str(free_port()),
        "ERRORHUB_INGEST_KEY": "e2e-ingest-key",
        "ERRORHUB_DAGSTER_PORT": str(free_port()),
        "ERRORHUB_SUPERSET_PORT": str(free_port()),
        "ERRORHUB_SUPERSET_ADMIN_PASSWORD": "e2e-admin",
        "ERRORHUB_SUPERSET_SECRET_KEY": "e2e-secret-key-not-for-production",
    }
    yield env
    subprocess.run([ERRORHUB, "down"], env=env, cwd=REPO_ROOT, timeout=300, check=False)


def errorhub(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ERRORHUB, *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout
    )


def stack_settings(env: dict[str, str]) -> Settings:
    overrides = {k: v for k, v in env.items() if k.startswith("ERRORHUB_")}
    old = {k: os.environ.get(k) for k in overrides}
    os.environ.update(overrides)
    try:
        return Settings()
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


SENTRY_PROGRAM = textwrap.dedent(
    """
    import sys, sentry_sdk
    sentry_sdk.init(dsn=sys.argv[1], traces_sample_rate=0)

    def load_table(path):
        return open(path).read()

    for user in ("ada@example.com", "grace@example.org"):
        sentry_sdk.set_user({"id": user, "email": user})
        try:
            load_table(f"/home/{user.split('@')[0]}/notebooks/run_{len(user)}.csv")
        except OSError as error:
            sentry_sdk.capture_exception(error)
    sentry_sdk.flush(timeout=10)
    """
)


def test_up_sends_stores_groups_and_down(stack_env):
    started = time.monotonic()
    up = errorhub(stack_env, "up", timeout=UP_TIMEOUT_S)
    assert up.returncode == 0, up.stdout + up.stderr
    up_seconds = time.monotonic() - started
    print(f"errorhub up: {up_seconds:.0f} s")

    status = errorhub(stack_env, "status")
    assert status.returncode == 0, status.stdout
    names = [line.split()[0] for line in status.stdout.splitlines()]
    assert names == ["broker-storage", "broker", "warehouse", "ingest", "stream", "dagster", "superset"]

    dsn = errorhub(stack_env, "dsn").stdout.strip()
    sent = subprocess.run(
        [sys.executable, "-c", SENTRY_PROGRAM, dsn], capture_output=True, text=True, timeout=60
    )
    assert sent.returncode == 0, sent.stderr

    rows = _wait_for_events(stack_settings(stack_env), expected=2, timeout=90)
    messages = {r[1] for r in rows}
    assert all("ada" not in m and "grace" not in m for m in messages), messages
    assert {r[2] for r in rows} <= {"<email>"}, "user ids are e-mail addresses: masked"
    assert len({r[3] for r in rows}) == 1 and rows[0][3], "one bug, one pattern"

    again = errorhub(stack_env, "up", timeout=UP_TIMEOUT_S)
    assert again.returncode == 0 and again.stdout.count("already running") == 7, again.stdout

    pids = [int(p.read_text()) for p in (Path(stack_env["ERRORHUB_HOME"]) / "run").glob("*.pid")]
    assert len(pids) == 7
    down = errorhub(stack_env, "down", timeout=300)
    assert down.returncode == 0, down.stdout + down.stderr
    assert not [pid for pid in pids if pid_alive(pid)]


def _wait_for_events(settings: Settings, expected: int, timeout: float) -> list[tuple]:
    from warehouse.client import get_client

    deadline = time.monotonic() + timeout
    rows: list[tuple] = []
    with get_client(settings) as client:
        while time.monotonic() < deadline:
            rows = client.query(
                "SELECT error_type, message, user_id, pattern_id FROM error_events "
                "WHERE error_type = 'FileNotFoundError'"
            ).result_rows
            if len(rows) >= expected:
                return rows
            time.sleep(1)
    pytest.fail(f"{len(rows)} of {expected} events reached the warehouse within {timeout:.0f}s")
