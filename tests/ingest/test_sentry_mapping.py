"""Sentry envelopes and events → ErrorEvent, with stack traces rendered in each language's format."""

from __future__ import annotations

import json

import pytest

from ingest.sentry import EnvelopeError, event_payloads, parse_envelope, to_error_event

PY_EVENT = {
    "event_id": "9ec79c33ec9942ab8353589fcb2e04dc",
    "timestamp": 1764080000.5,
    "platform": "python",
    "level": "error",
    "release": "judge@1.2.3",
    "environment": "prod",
    "tags": {"execution_id": "run-7", "code_hash": "abc123", "queue": "fast"},
    "user": {"id": "u-42", "email": "someone@example.com"},
    "contexts": {"runtime": {"name": "CPython", "version": "3.11.7"}, "trace": {"trace_id": "x"}},
    "exception": {
        "values": [
            {
                "type": "KeyError",
                "value": "'id'",
                "module": None,
                "mechanism": {"type": "chained", "source": "__cause__"},
                "stacktrace": {
                    "frames": [
                        {"filename": "lib.py", "abs_path": "/app/lib.py", "function": "load", "lineno": 3}
                    ]
                },
            },
            {
                "type": "ConfigError",
                "value": "no id in config",
                "module": "app.errors",
                "mechanism": {"type": "generic", "handled": True},
                "stacktrace": {
                    "frames": [
                        {
                            "abs_path": "/app/main.py",
                            "function": "<module>",
                            "lineno": 10,
                            "context_line": "    run()",
                            "in_app": True,
                        },
                        {
                            "abs_path": "/app/main.py",
                            "function": "run",
                            "lineno": 7,
                            "pre_context": ["def run():"],
                            "context_line": "    raise ConfigError('no id in config') from e",
                            "post_context": [""],
                            "in_app": True,
                        },
                        {
                            "abs_path": "/usr/lib/python3/site.py",
                            "function": "hook",
                            "lineno": 1,
                            "in_app": False,
                        },
                    ]
                },
            },
        ]
    },
}


def test_python_exception_maps_onto_error_event():
    event = to_error_event(PY_EVENT, "default")

    assert str(event.event_id) == "9ec79c33-ec99-42ab-8353-589fcb2e04dc"
    assert event.timestamp.year == 2025
    assert (event.language, event.level, event.release) == ("python", "error", "judge@1.2.3")
    assert event.error_type == "app.errors.ConfigError"
    assert event.message == "no id in config"
    assert (event.execution_id, event.code_hash, event.user_id) == ("run-7", "abc123", "u-42")
    assert event.file_path == "/app/main.py"  # the raising in-app frame, not the library one
    assert "raise ConfigError" in event.snippet and "def run():" in event.snippet
    assert event.env["environment"] == "prod" and event.env["runtime"] == "CPython 3.11.7"
    assert "trace" not in event.env
    assert event.tags["queue"] == "fast"


def test_python_trace_is_rendered_as_a_native_chained_traceback():
    trace = to_error_event(PY_EVENT, "default").stack_trace

    assert trace == (
        "Traceback (most recent call last):\n"
        '  File "/app/lib.py", line 3, in load\n'
        "KeyError: 'id'\n"
        "\nThe above exception was the direct cause of the following exception:\n\n"
        "Traceback (most recent call last):\n"
        '  File "/app/main.py", line 10, in <module>\n'
        "    run()\n"
        '  File "/app/main.py", line 7, in run\n'
        "    raise ConfigError('no id in config') from e\n"
        '  File "/usr/lib/python3/site.py", line 1, in hook\n'
        "app.errors.ConfigError: no id in config\n"
    )


def test_javascript_trace_is_newest_frame_first():
    event = to_error_event(
        {
            "platform": "javascript",
            "exception": {
                "values": [
                    {
                        "type": "TypeError",
                        "value": "x is undefined",
                        "stacktrace": {
                            "frames": [
                                {"filename": "/srv/app.js", "function": "main", "lineno": 20, "colno": 3},
                                {"filename": "/srv/app.js", "function": "parse", "lineno": 5, "colno": 11},
                            ]
                        },
                    }
                ]
            },
        },
        "default",
    )
    assert event.language == "javascript"
    assert event.stack_trace.splitlines() == [
        "TypeError: x is undefined",
        "    at parse (/srv/app.js:5:11)",
        "    at main (/srv/app.js:20:3)",
    ]


def test_java_trace_uses_class_and_file():
    value = {
        "type": "IllegalStateException",
        "module": "java.lang",
        "value": "closed",
        "stacktrace": {
            "frames": [{"module": "com.acme.Job", "function": "run", "filename": "Job.java", "lineno": 9}]
        },
    }
    event = to_error_event({"platform": "java", "exception": {"values": [value]}}, "default")
    assert event.error_type == "java.lang.IllegalStateException"
    assert event.stack_trace.splitlines() == [
        "java.lang.IllegalStateException: closed",
        "\tat com.acme.Job.run(Job.java:9)",
    ]


def test_message_event_uses_logentry_params_and_tag_pairs():
    event = to_error_event(
        {
            "platform": "python",
            "level": "warning",
            "logentry": {"message": "disk %s at %d%%", "params": ["/tmp", 93]},
            "tags": [["execution_id", "run-9"], ["bad"]],
        },
        "default",
    )
    assert event.message == "disk /tmp at 93%"
    assert (event.level, event.error_type, event.stack_trace) == ("warning", "", "")
    assert event.tags == {"execution_id": "run-9"} and event.execution_id == "run-9"


def test_empty_or_odd_event_still_maps():
    event = to_error_event(
        {"event_id": "not-a-uuid", "timestamp": "2999-01-01T00:00:00Z", "level": "debug"}, "p"
    )
    assert event.message == "<unlabeled event>"
    assert event.level == "info" and event.project == "p" and event.timestamp.year < 2100


def test_envelope_items_with_and_without_length():
    event = json.dumps({"event_id": "9ec79c33ec9942ab8353589fcb2e04dc", "message": "hi"}).encode()
    body = b"\n".join(
        [
            b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"http://k@h/1"}',
            b'{"type":"session"}',
            b'{"sid":"s1","status":"ok"}',
            b'{"type":"event","length":%d}' % len(event),
            event,
            b'{"type":"attachment","length":5}',
            b"a\nb\nc",  # binary payload containing newlines: only `length` delimits it
            b'{"type":"client_report"}',
            b'{"discarded_events":[]}',
        ]
    )
    header, items = parse_envelope(body)
    assert header["dsn"] == "http://k@h/1"
    assert [h["type"] for h, _ in items] == ["session", "event", "attachment", "client_report"]
    assert items[2][1] == b"a\nb\nc"
    _, events = event_payloads(body)
    assert [e["message"] for e in events] == ["hi"]


def test_truncated_envelope_is_an_error():
    with pytest.raises(EnvelopeError):
        parse_envelope(b'{}\n{"type":"event","length":100}\n{"short":1}')
