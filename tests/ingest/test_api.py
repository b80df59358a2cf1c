"""The ingest API over real HTTP against the real broker."""

from __future__ import annotations

import gzip
import json
import uuid
import zlib

import httpx
import pytest

from tests.ingest.helpers import event, written

pytestmark = pytest.mark.integration


def post(api, path: str, body, headers: dict | None = None, **kwargs) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    all_headers = {"Content-Type": "application/json", **api.auth, **(headers or {})}
    return httpx.post(f"{api.url}{path}", content=content, headers=all_headers, timeout=30, **kwargs)


def test_events_and_executions_reach_the_raw_topic_in_the_wire_format(broker, ingest_api):
    one = event("division by zero", execution_id="run-1", language="python", error_type="ZeroDivisionError")
    batch = [event(f"e{n}", execution_id="run-2") for n in range(3)]
    run = {"execution_id": "run-1", "status": "error", "duration_ms": 12, "exit_code": 1}

    single = post(ingest_api, "/v1/events", one)
    many = post(ingest_api, "/v1/events", batch)
    execution = post(
        ingest_api, "/v1/executions", [run, {**run, "execution_id": "run-3", "status": "success"}]
    )

    assert (single.status_code, many.status_code, execution.status_code) == (202, 202, 202)
    assert single.json()["stored"] == "broker" and uuid.UUID(single.json()["id"])
    messages = written(broker, ingest_api.topic)
    events = [m for m in messages if m.kind == "event"]
    runs = [m for m in messages if m.kind == "execution"]
    assert sorted(m.value["message"] for m in events) == ["division by zero", "e0", "e1", "e2"]
    assert sorted((m.key, m.value["status"]) for m in runs) == [("run-1", "error"), ("run-3", "success")]
    first = next(m for m in events if m.value["message"] == "division by zero")
    assert first.key == "run-1" and first.value["event_id"] == single.json()["id"]
    assert first.value["project"] == "default" and first.value["timestamp"].endswith("Z")
    assert first.headers["eh-schema"] == "1" and first.headers["eh-source"] == "api"
    assert [m.value["message"] for m in events if m.key == "run-2"] == ["e0", "e1", "e2"]  # key order kept


def test_refusals_name_the_reason(ingest_api):
    missing = httpx.post(f"{ingest_api.url}/v1/events", json=event())
    unknown = post(ingest_api, "/v1/events", event(), {"Authorization": "Bearer nope"})
    other_project = post(ingest_api, "/v1/events", event(), {"X-Errorhub-Project": "99"})
    sentry_other = post(
        ingest_api,
        "/api/99/store/",
        {"message": "x"},
        {"X-Sentry-Auth": f"Sentry sentry_key={ingest_api.key}"},
    )

    assert (missing.status_code, unknown.status_code) == (401, 401)
    assert (other_project.status_code, sentry_other.status_code) == (403, 403)


def test_invalid_records_get_422_naming_the_field(ingest_api):
    response = post(ingest_api, "/v1/events", [event(), {"message": "x", "level": "loud"}, {"tags": {}}])
    assert response.status_code == 422
    locations = [tuple(d["loc"]) for d in response.json()["detail"]]
    assert ("body", 1, "level") in locations and ("body", 2, "message") in locations
    assert "2.message" in response.json()["error"]

    execution = post(ingest_api, "/v1/executions", {"execution_id": "r", "status": "done"})
    assert execution.status_code == 422 and execution.json()["detail"][0]["loc"] == ["body", "status"]


def test_malformed_json_is_400(ingest_api):
    assert post(ingest_api, "/v1/events", b'{"message": ').status_code == 400
    assert post(ingest_api, "/v1/events", b"42").status_code == 400
    assert post(ingest_api, "/v1/events", b"[]").status_code == 400


def test_gzip_and_deflate_bodies_are_accepted(broker, ingest_api):
    body = json.dumps([event("zipped", execution_id="z")] * 2).encode()
    gz = post(ingest_api, "/v1/events", gzip.compress(body), {"Content-Encoding": "gzip"})
    df = post(ingest_api, "/v1/events", zlib.compress(body), {"Content-Encoding": "deflate"})
    assert (gz.status_code, df.status_code) == (202, 202)
    assert [m.value["message"] for m in written(broker, ingest_api.topic)] == ["zipped"] * 4


def test_oversized_bodies_and_batches_get_413(broker, start_ingest):
    api = start_ingest(
        broker.isolated_settings(),
        ERRORHUB_INGEST_MAX_BODY="20000",
        ERRORHUB_INGEST_MAX_DECOMPRESSED="50000",
        ERRORHUB_INGEST_MAX_BATCH="10",
    )
    too_big = post(api, "/v1/events", event("x" * 30_000))
    bomb = post(
        api,
        "/v1/events",
        gzip.compress(json.dumps(event("y" * 60_000)).encode()),
        {"Content-Encoding": "gzip"},
    )
    too_many = post(api, "/v1/events", [event()] * 11)
    assert (too_big.status_code, bomb.status_code, too_many.status_code) == (413, 413, 413)
    assert post(api, "/v1/events", [event()] * 10).status_code == 202


def test_rate_limit_answers_429_with_retry_after(broker, start_ingest):
    api = start_ingest(broker.isolated_settings(), ERRORHUB_INGEST_RATE="0.2", ERRORHUB_INGEST_BURST="5")
    assert post(api, "/v1/events", [event()] * 5).status_code == 202
    limited = post(api, "/v1/events", event())
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1


def test_openapi_and_docs_are_published(ingest_api):
    spec = httpx.get(f"{ingest_api.url}/openapi.json").json()
    assert {"/v1/events", "/v1/executions", "/api/{project_id}/envelope/", "/health"} <= set(spec["paths"])
    body = spec["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["oneOf"][0] == {"$ref": "#/components/schemas/ErrorEvent"}
    assert "message" in spec["components"]["schemas"]["ErrorEvent"]["required"]
    assert httpx.get(f"{ingest_api.url}/docs").status_code == 200


def test_health_reports_broker_and_spool(ingest_api):
    post(ingest_api, "/v1/events", event())
    assert ingest_api.health() == {"status": "ok", "broker": "up", "spool_depth": 0}
