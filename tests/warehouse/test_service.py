"""The service as a process: concurrency, /ping during long queries, durability across
graceful stops and kill -9, the data-folder lock, refusing to start without passwords."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

from tests.fixtures.warehouse import REPO_ROOT, RunningWarehouse, free_port

pytestmark = pytest.mark.integration


def _ping(wh: RunningWarehouse) -> bytes:
    with urllib.request.urlopen(f"{wh.url}/ping", timeout=10) as resp:
        return resp.read()


def test_sixteen_concurrent_clients_mixing_inserts_and_reads(warehouse, warehouse_db) -> None:
    table = f"{warehouse_db}.conc"
    warehouse.client().command(
        f"CREATE TABLE {table} (worker UInt8, batch UInt16, v UInt64) "
        "ENGINE = MergeTree ORDER BY (worker, batch)"
    )
    failures: list[str] = []
    barrier = threading.Barrier(16)

    def worker(w: int) -> None:
        try:
            client = warehouse.client(compress=["lz4", "zstd", False][w % 3])
            barrier.wait()
            for batch in range(15):
                client.insert(
                    table, [[w, batch, i] for i in range(500)], column_names=["worker", "batch", "v"]
                )
                got = client.query(f"SELECT count(), sum(v) FROM {table} WHERE worker = {w}").result_rows[0]
                expected = ((batch + 1) * 500, (batch + 1) * 124750)
                if got != expected:
                    failures.append(f"worker {w} batch {batch}: {got} != {expected}")
                groups = client.query(f"SELECT worker, count() FROM {table} GROUP BY worker").result_rows
                if not any(g[0] == w for g in groups):
                    failures.append(f"worker {w} missing from the group-by")
        except Exception as ex:  # collected and asserted below
            failures.append(f"worker {w}: {ex!r}")

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(240)
    assert not failures
    assert warehouse.client().query(f"SELECT count(), uniqExact(worker) FROM {table}").result_rows == [
        (16 * 15 * 500, 16)
    ]


def test_ping_answers_while_a_long_query_runs(warehouse) -> None:
    done = threading.Event()
    result: list = []

    def long_query() -> None:
        client = warehouse.client(send_receive_timeout=120)
        result.append(
            client.query(
                "SELECT sum(sleepEachRow(0.5)) FROM numbers(12) SETTINGS max_block_size = 1"
            ).result_rows
        )
        done.set()

    thread = threading.Thread(target=long_query)
    thread.start()
    watcher = warehouse.client()
    while not watcher.query(
        "SELECT count() FROM system.processes "
        "WHERE query LIKE '%sleepEachRow(0.5)%' AND query NOT LIKE '%processes%'"
    ).result_rows[0][0]:
        assert not done.is_set(), "the long query ended before it was seen running"
    pings = [_ping(warehouse) for _ in range(5)]
    still_running = not done.is_set()
    thread.join(120)
    assert pings == [b"Ok.\n"] * 5
    assert still_running, "the long query finished before the pings: the test proved nothing"
    assert result == [[(0,)]]


def test_acknowledged_inserts_survive_kill_9(fresh_warehouse) -> None:
    client = fresh_warehouse.client()
    client.command("CREATE DATABASE d")
    client.command("CREATE TABLE d.t (a UInt64, s String) ENGINE = MergeTree ORDER BY a")
    for batch in range(5):
        summary = client.insert(
            "d.t", [[batch * 1000 + i, "x" * 50] for i in range(1000)], column_names=["a", "s"]
        )
        assert summary.written_rows == 1000
    fresh_warehouse.kill()
    fresh_warehouse.start()
    client = fresh_warehouse.client()
    assert client.query("SELECT count(), sum(a) FROM d.t").result_rows == [(5000, sum(range(5000)))]


def test_graceful_stop_on_sigterm_keeps_data(fresh_warehouse) -> None:
    client = fresh_warehouse.client()
    client.command("CREATE TABLE default.g (a UInt32) ENGINE = MergeTree ORDER BY a")
    client.insert("default.g", [[i] for i in range(777)], column_names=["a"])
    assert fresh_warehouse.stop() == 0
    assert "warehouse stopped" in fresh_warehouse.log_tail()
    fresh_warehouse.start()
    assert fresh_warehouse.client().query("SELECT count() FROM default.g").result_rows == [(777,)]


def test_second_server_on_the_same_folder_fails_clearly(fresh_warehouse) -> None:
    other = RunningWarehouse(data_dir=fresh_warehouse.data_dir, port=free_port())
    proc = subprocess.run(other.command(), cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "in use by another process" in proc.stderr and str(fresh_warehouse.data_dir) in proc.stderr
    assert _ping(fresh_warehouse) == b"Ok.\n"


def test_refuses_to_start_without_a_password(tmp_path) -> None:
    env = {**os.environ, "ERRORHUB_WAREHOUSE_PASSWORD": "", "ERRORHUB_HOME": str(tmp_path)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "warehouse.server",
            "--port",
            str(free_port()),
            "--data-dir",
            str(tmp_path / "d"),
            "--readonly-password",
            "x",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0 and "ERRORHUB_WAREHOUSE_PASSWORD" in proc.stderr
    assert not (tmp_path / "d").exists()


def test_a_busy_session_refuses_a_second_concurrent_query(warehouse) -> None:
    session = f"busy-{os.getpid()}"
    slow = warehouse.client(session_id=session, send_receive_timeout=120)
    thread = threading.Thread(
        target=lambda: slow.query("SELECT sum(sleepEachRow(0.5)) FROM numbers(8) SETTINGS max_block_size = 1")
    )
    thread.start()
    watcher = warehouse.client(autogenerate_session_id=False)
    while not watcher.query(
        "SELECT count() FROM system.processes WHERE query LIKE '%sleepEachRow(0.5)) FROM numbers(8)%' "
        "AND query NOT LIKE '%processes%'"
    ).result_rows[0][0]:
        assert thread.is_alive(), "the slow query ended before it was seen running"
    request = urllib.request.Request(
        f"{warehouse.url}/?session_id={session}&query=SELECT%201",
        headers={"X-ClickHouse-User": warehouse.user, "X-ClickHouse-Key": warehouse.password},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=30)
    busy = thread.is_alive()
    thread.join(120)
    assert info.value.headers["X-ClickHouse-Exception-Code"] == "373"
    assert busy, "the slow query had finished: the refusal proved nothing"
