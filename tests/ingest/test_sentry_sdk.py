"""The official sentry-sdk, configured with our DSN, is a working collector."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import httpx
import pytest

from tests.ingest.helpers import written

pytestmark = pytest.mark.integration

USER_PROGRAM = textwrap.dedent(
    """
    import json
    import sys
    import traceback

    import sentry_sdk

    sentry_sdk.init(dsn=sys.argv[1], release="judge@2.0", environment="ci", default_integrations=False)
    sentry_sdk.set_tag("execution_id", "run-sentry-1")
    sentry_sdk.set_user({"id": "student-9"})

    def parse(text):
        return int(text)

    def grade(answer):
        try:
            return parse(answer)
        except ValueError:
            raise RuntimeError("could not grade the answer")

    try:
        grade("forty-two")
    except RuntimeError as error:
        native = traceback.format_exc()
        exception_id = sentry_sdk.capture_exception(error)
    message_id = sentry_sdk.capture_message("grader finished with warnings", level="warning")
    sentry_sdk.flush(10)
    print(json.dumps({"exception": exception_id, "message": message_id, "native": native}))
    """
)


def without_carets(trace: str) -> str:
    lines = trace.splitlines(True)
    return "".join(line for line in lines if not line.strip() or line.strip().strip("^~") != "")


def test_sentry_sdk_exception_lands_on_the_raw_topic_mapped(broker, ingest_api, tmp_path):
    program = tmp_path / "user_program.py"
    program.write_text(USER_PROGRAM)
    run = subprocess.run(
        [sys.executable, str(program), ingest_api.dsn], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    exception_id, message_id = out["exception"], out["message"]

    events = {m.value["event_id"].replace("-", ""): m for m in written(broker, ingest_api.topic)}
    assert set(events) == {exception_id, message_id}

    error = events[exception_id]
    assert error.kind == "event" and error.headers["eh-source"] == "sentry"
    assert error.key == "run-sentry-1"
    value = error.value
    assert (value["language"], value["level"], value["release"]) == ("python", "error", "judge@2.0")
    assert (value["error_type"], value["message"]) == ("RuntimeError", "could not grade the answer")
    assert (value["execution_id"], value["user_id"], value["project"]) == (
        "run-sentry-1",
        "student-9",
        "default",
    )
    assert value["file_path"] == str(program)
    assert value["env"]["environment"] == "ci"
    # The rendered trace is what Python itself printed (minus 3.11's ^^^ marker lines).
    # sentry-python does not say whether a chain is `from` or implicit: implicit is assumed.
    assert value["stack_trace"] == without_carets(out["native"])
    assert "raise RuntimeError" in value["snippet"]

    message = events[message_id].value
    assert (message["message"], message["level"], message["error_type"]) == (
        "grader finished with warnings",
        "warning",
        "",
    )


def test_envelopes_without_events_are_accepted_and_write_nothing(broker, ingest_api):
    body = b"\n".join(
        [
            json.dumps({"sent_at": "2026-01-01T00:00:00Z"}).encode(),
            b'{"type":"session"}',
            b'{"sid":"8c5b8d4e5f7b4a7f9f3e9c1c2b3a4d5e","status":"ok","init":true}',
            b'{"type":"client_report"}',
            b'{"timestamp":1764080000,"discarded_events":[]}',
        ]
    )
    response = httpx.post(f"{ingest_api.url}/api/1/envelope/?sentry_key={ingest_api.key}", content=body)
    assert response.status_code == 200
    assert written(broker, ingest_api.topic, idle=2) == []


def test_store_endpoint_and_bad_key(broker, ingest_api):
    url = f"{ingest_api.url}/api/1/store/"
    event = {"event_id": "0" * 31 + "1", "message": "legacy client", "platform": "other"}
    refused = httpx.post(url, json=event, headers={"X-Sentry-Auth": "Sentry sentry_key=wrong"})
    accepted = httpx.post(url, json=event, headers={"X-Sentry-Auth": f"Sentry sentry_key={ingest_api.key}"})
    assert refused.status_code == 401
    assert accepted.status_code == 200 and accepted.json() == {"id": "0" * 31 + "1"}
    assert [m.value["message"] for m in written(broker, ingest_api.topic)] == ["legacy client"]
