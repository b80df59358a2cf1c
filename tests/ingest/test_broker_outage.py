"""Broker down: the API keeps answering 202 from its disk spool, then replays in order."""

from __future__ import annotations

import httpx
import pytest

from tests.ingest.helpers import event, written

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUN = "run-outage"


def post_one(api, n: int) -> str:
    response = httpx.post(
        f"{api.url}/v1/events", json=event(f"e{n:03d}", execution_id=RUN), headers=api.auth, timeout=30
    )
    assert response.status_code == 202, response.text
    return response.json()["stored"]


def test_spool_while_broker_down_survives_an_api_crash_and_replays_in_order(fresh_broker, start_ingest):
    api = start_ingest(fresh_broker.settings, ERRORHUB_INGEST_DELIVERY_TIMEOUT="3")
    before = [post_one(api, n) for n in range(5)]
    assert before == ["broker"] * 5

    fresh_broker.kill_broker()
    during = [post_one(api, n) for n in range(5, 25)]
    assert set(during) == {"spool"}
    assert api.health()["spool_depth"] == 20

    api.kill()  # SIGKILL: the spool must be on disk already
    api.start()
    assert api.wait_broker_known() == {"status": "ok", "broker": "down", "spool_depth": 20}
    after_crash = [post_one(api, n) for n in range(25, 30)]
    assert set(after_crash) == {"spool"}  # order: new writes queue behind the spool
    assert api.health()["spool_depth"] == 25

    fresh_broker.start()
    api.wait_spool_empty()
    assert post_one(api, 30) == "broker"

    messages = [m for m in written(fresh_broker, api.topic) if m.key == RUN]
    assert [m.value["message"] for m in messages] == [f"e{n:03d}" for n in range(31)]
