"""The Beam backfill job runs the real replay in the stream environment, streams its output
into the Dagster run log, and the events land in the warehouse."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from assets.defs.stream.jobs import STREAM_PYTHON, beam_replay_job

pytestmark = [pytest.mark.integration, pytest.mark.slow]
TRACE = 'Traceback (most recent call last):\n  File "/app/cache.py", line 10, in get\nKeyError'


@pytest.mark.skipif(not STREAM_PYTHON.exists(), reason="stream environment (envs/stream) not built")
@pytest.mark.timeout(600)
def test_beam_replay_job_writes_events_through_the_stream_environment(wh, instance, tmp_path):
    now = datetime.now(UTC)
    events = [
        {
            "event_id": str(uuid.uuid4()),
            "timestamp": (now - timedelta(minutes=i)).isoformat(),
            "project": "replayed",
            "language": "python",
            "error_type": "KeyError",
            "message": f"KeyError: 'user_{i}' missing in session cache",
            "stack_trace": TRACE,
        }
        for i in range(5)
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n")

    result = beam_replay_job.execute_in_process(
        run_config={"ops": {"beam_replay": {"config": {"source": f"jsonl:{path}"}}}},
        instance=instance,
        raise_on_error=False,
    )
    logs = "\n".join(entry.user_message for entry in instance.all_logs(result.run_id))
    assert result.success, logs[-3000:]
    assert "running: " in logs and '"events_written": 5' in logs
    assert wh.client.command("SELECT count() FROM events_clean WHERE project = 'replayed'") == 5
