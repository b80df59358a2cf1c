"""`errorhub up`'s Dagster service: starts under the real Supervisor on a free port with a
temporary home, answers /server_info and GraphQL with the location loaded and the daemon
healthy, and stops with nothing left behind."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request

import pytest

from assets.service import dagster_service
from errorhub.settings import Settings
from errorhub.supervisor import Supervisor
from tests.fixtures.warehouse import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def wait_for_tick(port: int, sensor: str, deadline_s: float = 180) -> list[dict]:
    query = (
        '{ sensorOrError(sensorSelector: {repositoryName: "__repository__", '
        f'repositoryLocationName: "errorhub", sensorName: "{sensor}"}}) '
        "{ ... on Sensor { sensorState { ticks(limit: 1) { status error { message } } } } } }"
    )
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        ticks = graphql(port, query)["sensorOrError"]["sensorState"]["ticks"]
        if ticks and ticks[0]["status"] != "STARTED":
            return ticks
        time.sleep(2)
    raise AssertionError(f"no {sensor} tick within {deadline_s}s")


def test_dagster_service_starts_healthy_and_stops_cleanly(wh, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("ERRORHUB_HOME", str(home))
    settings = Settings(home=home, dagster_port=free_port())
    service = dagster_service(settings)
    supervisor = Supervisor(home / "run", home / "log")
    try:
        supervisor.start(service)
        assert (home / "dagster" / "dagster.yaml").exists()
        entries = graphql(
            settings.dagster_port,
            "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus "
            "locationOrLoadError { __typename } } } } }",
        )["workspaceOrError"]["locationEntries"]
        assert [(e["name"], e["loadStatus"], e["locationOrLoadError"]["__typename"]) for e in entries] == [
            ("errorhub", "LOADED", "RepositoryLocation")
        ]
        daemons = graphql(
            settings.dagster_port,
            "{ instance { daemonHealth { allDaemonStatuses { daemonType healthy } } } }",
        )["instance"]["daemonHealth"]["allDaemonStatuses"]
        healthy = {d["daemonType"] for d in daemons if d["healthy"]}
        assert {"SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR", "BACKFILL"} <= healthy
        assert supervisor.pid(service) is not None
        # the daemon evaluates the sensors against the test warehouse (settings handed over)
        ticks = wait_for_tick(settings.dagster_port, "new_fingerprints_sensor")
        assert ticks[0]["status"] in ("SKIPPED", "SUCCESS"), ticks[0]
    finally:
        supervisor.stop(service)
    assert supervisor.pid(service) is None
    left = subprocess.run(["ps", "-e", "-o", "pid=,args="], capture_output=True, text=True).stdout
    assert str(home) not in left and f"-p {settings.dagster_port}" not in left
