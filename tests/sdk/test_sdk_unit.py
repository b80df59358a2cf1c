"""execute_code building blocks, without a network."""

from __future__ import annotations

import traceback

import pytest

import execute_code
from execute_code._buffer import DiskBuffer
from execute_code._dsn import Target, parse_target
from execute_code._events import exception_event, execution_record, message_event
from schemas import ErrorEvent, ExecutionRecord


@pytest.mark.parametrize(
    ("given", "key", "project", "expected"),
    [
        ("http://abc@127.0.0.1:8000/1", None, None, Target("http://127.0.0.1:8000", "abc", "1")),
        (
            "https://abc@errors.example.com/prefix/7",
            None,
            None,
            Target("https://errors.example.com/prefix", "abc", "7"),
        ),
        ("http://127.0.0.1:9000/", "k", 3, Target("http://127.0.0.1:9000", "k", "3")),
        ("http://127.0.0.1:9000", "k", None, Target("http://127.0.0.1:9000", "k", "")),
    ],
)
def test_dsn_or_url(given, key, project, expected):
    assert parse_target(given, key, project) == expected


@pytest.mark.parametrize("bad", ["127.0.0.1:8000", "ftp://k@h/1", "http://127.0.0.1:8000"])
def test_unusable_targets_are_refused(bad):
    with pytest.raises(ValueError):
        parse_target(bad)


def failing() -> None:
    {}["missing"]


def test_exception_event_is_a_valid_error_event_with_the_native_traceback():
    try:
        failing()
    except KeyError as error:
        native = traceback.format_exc()
        event = exception_event(error, "error", {"execution_id": "run-1", "tags": {"a": "b"}})
    parsed = ErrorEvent.model_validate(event)
    assert parsed.error_type == "KeyError" and parsed.message == "'missing'"
    assert parsed.stack_trace == native
    assert parsed.file_path == __file__
    assert '{}["missing"]' in parsed.snippet
    assert (parsed.execution_id, parsed.tags, parsed.language) == ("run-1", {"a": "b"}, "python")


def test_non_builtin_error_types_carry_their_module():
    event = exception_event(ValueError("x"), "error", {})
    custom = exception_event(execute_code_error(), "error", {})
    assert event["error_type"] == "ValueError"
    assert custom["error_type"] == f"{__name__}.CustomError"


class CustomError(Exception):
    pass


def execute_code_error() -> CustomError:
    return CustomError("custom")


def test_message_and_execution_bodies_validate():
    ErrorEvent.model_validate(message_event("hello", "info", {}))
    record = ExecutionRecord.model_validate(execution_record("run-2", "timeout", 1500, 124, {}))
    assert (record.status, record.duration_ms, record.exit_code) == ("timeout", 1500, 124)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (None, ("success", 0, False)),
        (SystemExit(0), ("success", 0, False)),
        (SystemExit(3), ("error", 3, False)),
        (KeyboardInterrupt(), ("killed", 130, False)),
        (TimeoutError(), ("timeout", 1, True)),
        (ValueError(), ("error", 1, True)),
    ],
)
def test_run_outcome(raised, expected):
    assert execute_code.outcome(raised) == expected


def test_disk_buffer_keeps_order_and_claims_atomically(tmp_path):
    buffer = DiskBuffer(tmp_path)
    buffer.write("events", [{"n": 1}])
    buffer.write("executions", [{"n": 2}, {"n": 3}])
    assert buffer.count_items() == 3
    first, second = buffer.pending()
    claimed = buffer.claim(first)
    assert claimed is not None and claimed[1:] == ("events", [{"n": 1}])
    assert buffer.claim(first) is None  # already taken
    buffer.release(claimed[0])
    assert buffer.pending() == [first, second]
    again = buffer.claim(first)
    buffer.done(again[0])
    assert buffer.pending() == [second]


def test_without_init_nothing_raises_and_nothing_is_sent():
    execute_code.close()
    assert execute_code.capture_message("x") is None
    assert execute_code.capture_exception(ValueError("x")) is None
    assert execute_code.flush(0.1) is False
    with execute_code.execution("run-3"):
        pass


def test_a_bad_dsn_does_not_raise_into_user_code():
    assert execute_code.init("not a url") is None


def test_user_exceptions_pass_through_execution_unchanged():
    with pytest.raises(ZeroDivisionError), execute_code.execution("run-4"):
        _ = 1 / 0
