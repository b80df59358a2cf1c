"""The code location loads; every job, schedule and sensor resolves; the Beam replay job
streams its subprocess output and fails clearly. No warehouse needed."""

from __future__ import annotations

import sys

import dagster as dg
import pytest

from assets.definitions import defs
from assets.defs.stream.jobs import beam_replay_job

SCHEDULES = {
    "patterns_every_5_minutes": ("patterns_job", "*/5 * * * *"),
    "metrics_hourly": ("metrics_job", "7 * * * *"),
    "daily_rollup": ("metrics_daily_job", "20 0 * * *"),
    "quality_hourly": ("quality_job", "37 * * * *"),
    "daily_report_at_0900": ("report_job", "0 9 * * *"),
}
SENSORS = {"new_fingerprints_sensor": "patterns_job", "regression_sensor": "reopen_job"}


def test_definitions_load_and_validate():
    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    assert {
        "pattern_clusters",
        "patterns",
        "pattern_counts",
        "pattern_mttr",
        "metrics_summary",
        "metrics_daily",
        "daily_report",
        "events_clean",
        "events_raw",
        "dead_letters",
        "fingerprint_patterns",
    } <= keys
    for external in ("events_clean", "events_raw", "dead_letters", "fingerprint_patterns"):
        assert not repo.asset_graph.get(dg.AssetKey(external)).is_materializable


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_every_schedule_resolves_to_its_job(name):
    schedule = defs.get_schedule_def(name)
    job_name, cron = SCHEDULES[name]
    assert schedule.job_name == job_name
    assert schedule.cron_schedule == cron
    assert schedule.execution_timezone == "UTC"
    assert defs.resolve_job_def(job_name) is not None


@pytest.mark.parametrize("name", sorted(SENSORS))
def test_every_sensor_resolves_to_its_job(name):
    sensor = defs.get_sensor_def(name)
    assert sensor.job_name == SENSORS[name]
    assert defs.resolve_job_def(SENSORS[name]) is not None


def test_checks_cover_events_clean_mapping_and_metrics():
    repo = defs.get_repository_def()
    checks = {(k.asset_key.to_user_string(), k.name) for k in repo.asset_graph.asset_check_keys}
    assert {
        ("events_clean", "events_clean_complete"),
        ("events_clean", "events_clean_no_pii"),
        ("pattern_clusters", "every_fingerprint_one_pattern"),
        ("patterns", "patterns_sane"),
        ("pattern_counts", "pattern_counts_sane"),
        ("metrics_summary", "metrics_summary_sane"),
        ("metrics_daily", "metrics_daily_sane"),
    } <= checks


def test_daily_rollup_targets_the_day_that_just_ended():
    from datetime import UTC, datetime

    schedule = defs.get_schedule_def("daily_rollup")
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=datetime(2026, 3, 10, 0, 20, tzinfo=UTC)
        )
        requests = schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == ["2026-03-09"]


def _replay(**config):
    """Run the job on a test instance; returns (result, every log message of the run)."""
    config = {"since": "2026-01-01T00:00:00", "until": "2026-01-02T00:00:00", **config}
    with dg.instance_for_test() as instance:
        result = beam_replay_job.execute_in_process(
            run_config={"ops": {"beam_replay": {"config": config}}}, instance=instance, raise_on_error=False
        )
        messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    return result, messages


def test_beam_replay_fails_clearly_without_the_stream_environment(tmp_path):
    result, _ = _replay(python=str(tmp_path / "missing" / "bin" / "python"))
    assert not result.success
    failure = result.failure_data_for_node("beam_replay")
    assert "stream environment missing" in failure.user_failure_data.description


def test_beam_replay_streams_subprocess_output_into_the_run_log():
    result, messages = _replay(python=sys.executable, module="tests.assets.replay_stub", mode="replace")
    assert result.success
    logs = "\n".join(messages)
    assert (
        "replay args: --source warehouse --since 2026-01-01T00:00:00 "
        "--until 2026-01-02T00:00:00 --mode replace" in logs
    )
    assert "replayed batch 2" in logs
    assert result.output_for_node("beam_replay") == 4


def test_beam_replay_nonzero_exit_fails_the_run_with_the_last_lines():
    result, _ = _replay(
        python=sys.executable, module="tests.assets.replay_stub", extra_args=["--exit-code", "3"]
    )
    assert not result.success
    failure = result.failure_data_for_node("beam_replay").user_failure_data
    assert "exited with code 3" in failure.description
    assert "replay failed: boom" in failure.metadata["last_lines"].value
