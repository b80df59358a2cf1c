"""execute_code against the real API and broker: nothing is lost while the API is away."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import execute_code
from execute_code._buffer import DiskBuffer
from tests.fixtures.broker import free_port
from tests.ingest.helpers import written

pytestmark = pytest.mark.integration


@pytest.fixture
def sdk():
    yield execute_code
    execute_code.close()


def capture_runs(count: int) -> tuple[set[str], set[str]]:
    """`count` runs, every third one failing. Returns (event ids, execution ids)."""
    event_ids, runs = set(), set()
    for n in range(count):
        run = f"run-{n}"
        runs.add(run)
        try:
            with execute_code.execution(run):
                execute_code.capture_message(f"step {n}")  # also an event, attached to the run
                if n % 3 == 0:
                    raise ValueError(f"bad input {n}")
        except ValueError as error:
            event_ids.add(execute_code.capture_exception(error))  # already captured: same id
    return event_ids, runs


def on_topic(broker, topic: str) -> tuple[list[dict], list[dict]]:
    messages = written(broker, topic)
    return [m.value for m in messages if m.kind == "event"], [
        m.value for m in messages if m.kind == "execution"
    ]


def test_api_down_then_up_loses_nothing(sdk, broker, start_ingest, tmp_path):
    port = free_port()  # reserved for the API, which is not running yet
    buffer_dir = tmp_path / "buffer"
    sdk.init(
        f"http://test-ingest-key@127.0.0.1:{port}/1", buffer_dir=str(buffer_dir), max_retries=1, timeout=2
    )

    failed_ids, runs = capture_runs(30)
    assert sdk.flush(5) is False  # API unreachable
    buffered = DiskBuffer(buffer_dir).count_items()
    assert buffered == 30 + 10 + 30  # messages, exceptions, run records

    api = start_ingest(broker.isolated_settings(), port=port)
    assert sdk.flush(60) is True
    assert DiskBuffer(buffer_dir).pending() == []

    events, records = on_topic(broker, api.topic)
    assert len(events) == 40 and len(records) == 30  # every one, once
    assert failed_ids <= {e["event_id"] for e in events}
    assert {r["execution_id"] for r in records} == runs
    assert sum(r["status"] == "error" for r in records) == 10
    assert all(e["execution_id"].startswith("run-") for e in events)


PROGRAM_EXITING_WHILE_API_DOWN = textwrap.dedent(
    """
    import json, sys
    import execute_code

    execute_code.init(sys.argv[1], buffer_dir=sys.argv[2], max_retries=0, timeout=1, shutdown_timeout=1)
    ids = [execute_code.capture_message(f"before exit {n}") for n in range(10)]
    print(json.dumps(ids))
    # no flush: the atexit handler must put everything into the disk buffer
    """
)


def test_buffer_left_at_exit_is_sent_by_the_next_process(sdk, broker, start_ingest, tmp_path):
    port = free_port()
    dsn = f"http://test-ingest-key@127.0.0.1:{port}/1"
    buffer_dir = tmp_path / "buffer"
    child = run_program(tmp_path, PROGRAM_EXITING_WHILE_API_DOWN, dsn, str(buffer_dir))
    ids = set(json.loads(child.stdout))
    assert DiskBuffer(buffer_dir).count_items() == 10

    api = start_ingest(broker.isolated_settings(), port=port)
    sdk.init(dsn, buffer_dir=str(buffer_dir))  # the next run with the same buffer sends the backlog
    assert sdk.flush(60) is True

    events, _ = on_topic(broker, api.topic)
    assert {e["event_id"] for e in events} == ids and len(events) == 10


PROGRAM_WITH_EXCEPTHOOK = textwrap.dedent(
    """
    import sys, threading
    import execute_code

    execute_code.init(sys.argv[1], excepthook=True, release="v9")

    @execute_code.execution("run-ok")
    def ok():
        return 1

    @execute_code.execution("run-crash")
    def crash():
        return {}["missing"]

    def worker():
        raise RuntimeError("thread died")

    ok()
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    crash()  # uncaught: the process exits with status 1
    """
)


def test_excepthook_decorator_and_thread_errors(sdk, broker, ingest_api, tmp_path):
    child = run_program(tmp_path, PROGRAM_WITH_EXCEPTHOOK, ingest_api.dsn, check=False)
    assert child.returncode == 1
    assert "KeyError: 'missing'" in child.stderr  # the previous hook still prints the traceback

    events, records = on_topic(broker, ingest_api.topic)
    by_type = {e["error_type"]: e for e in events}
    assert sorted(by_type) == ["KeyError", "RuntimeError"] and len(events) == 2  # no duplicate
    assert (by_type["KeyError"]["execution_id"], by_type["KeyError"]["level"]) == ("run-crash", "error")
    assert (by_type["RuntimeError"]["level"], by_type["RuntimeError"]["release"]) == ("fatal", "v9")
    outcomes = {r["execution_id"]: (r["status"], r["exit_code"]) for r in records}
    assert outcomes == {"run-ok": ("success", 0), "run-crash": ("error", 1)}


def run_program(folder: Path, source: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    program = folder / "program.py"
    program.write_text(source)
    result = subprocess.run([sys.executable, str(program), *args], capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result
