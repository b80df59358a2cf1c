"""Sensors, a schedule tick end to end through the real Definitions, the status CLI, failing
quality checks, and the daily report through a real local SMTP server."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import dagster as dg
import pytest
import typer
from typer.testing import CliRunner

from assets.defs.patterns.assets import pattern_clusters, patterns
from tests.assets.seed import PATTERN_E, anchor, seed, signatures

pytestmark = pytest.mark.integration


def materialize_patterns(wh, instance):
    assert dg.materialize(
        [pattern_clusters, patterns], resources={"warehouse": wh.resource}, instance=instance
    ).success


def status_of(client, pattern_id):
    return client.command(f"SELECT status FROM pattern_report WHERE pattern_id = '{pattern_id}'")


def test_regression_sensor_reopens_a_resolved_pattern_that_gets_a_new_event(wh, instance):
    from assets.definitions import defs

    t = anchor()
    seed(wh.client, t)
    materialize_patterns(wh, instance)  # fpA2 (event at T-3h) is now part of pA1 (resolved at T-1d)
    sensor = defs.get_sensor_def("regression_sensor")
    context = dg.build_sensor_context(instance=instance, resources={"warehouse": wh.resource})
    request = sensor(context)
    assert isinstance(request, dg.RunRequest)
    assert request.run_config == {"ops": {"reopen_regressed": {"config": {"pattern_ids": ["pA1"]}}}}
    job = defs.resolve_job_def("reopen_job")
    result = job.execute_in_process(run_config=request.run_config, instance=instance, tags=request.tags)
    assert result.success and result.output_for_node("reopen_regressed") == 1

    assert status_of(wh.client, "pA1") == "Regressed"
    actor, frm, reason = wh.client.query(
        "SELECT actor, from_status, reason FROM pattern_status_log WHERE pattern_id = 'pA1' "
        "AND to_status = 'Regressed'"
    ).result_rows[0]
    assert (actor, frm) == ("system:regression-sensor", "Resolved")
    assert reason.startswith("2 new event(s)")  # T-30min (fpA1) and T-3h (fpA2, merged in)
    # pB and pC are resolved with no later event; pD is ignored: left alone
    assert [status_of(wh.client, p) for p in ("pB", "pC", "pD")] == ["Resolved", "Resolved", "Ignored"]

    # nothing left to reopen; running the job again changes nothing
    assert isinstance(
        sensor(dg.build_sensor_context(instance=instance, resources={"warehouse": wh.resource})),
        dg.SkipReason,
    )
    again = job.execute_in_process(run_config=request.run_config, instance=instance)
    assert again.output_for_node("reopen_regressed") == 0
    assert wh.client.command("SELECT count() FROM pattern_status_log WHERE to_status = 'Regressed'") == 2


def test_new_fingerprints_sensor_fires_on_new_fingerprints_only(wh, instance):
    from assets.definitions import defs

    t = anchor()
    seed(wh.client, t)
    sensor = defs.get_sensor_def("new_fingerprints_sensor")
    first = sensor(dg.build_sensor_context(instance=instance, resources={"warehouse": wh.resource}))
    assert len(first.run_requests) == 1 and first.cursor
    assert first.run_requests[0].tags["errorhub/new_fingerprints"] == "6"  # 5 stream-mapped + fpE unmapped
    quiet = sensor(
        dg.build_sensor_context(instance=instance, cursor=first.cursor, resources={"warehouse": wh.resource})
    )
    assert isinstance(quiet, dg.SkipReason)
    wh.client.insert(
        "fingerprint_patterns",
        [["fpNEW", "pNEW", signatures()["fpE"], datetime.now(UTC), "stream"]],
        column_names=["fingerprint", "pattern_id", "signature", "assigned_at", "assigned_by"],
    )
    fired = sensor(
        dg.build_sensor_context(instance=instance, cursor=first.cursor, resources={"warehouse": wh.resource})
    )
    assert fired.run_requests[0].tags["errorhub/new_fingerprints"] == "1"
    assert json.loads(fired.cursor)["assigned"] > json.loads(first.cursor)["assigned"]


def test_schedule_tick_end_to_end_through_the_real_definitions(wh, instance):
    """The 5-minute schedule's tick runs patterns_job as the daemon would: the real Definitions,
    resources from ERRORHUB_* settings, a Dagster instance recording materializations and checks."""
    from assets.definitions import defs

    t = anchor()
    seed(wh.client, t)
    schedule = defs.get_schedule_def("patterns_every_5_minutes")
    context = dg.build_schedule_context(instance=instance, scheduled_execution_time=datetime.now(UTC))
    requests = schedule.evaluate_tick(context).run_requests
    assert len(requests) == 1
    job = defs.resolve_job_def(schedule.job_name)
    result = job.execute_in_process(
        instance=instance, tags=requests[0].tags, run_config=requests[0].run_config
    )
    assert result.success
    for key in ("pattern_clusters", "patterns"):
        assert instance.get_latest_materialization_event(dg.AssetKey(key)) is not None
    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {"every_fingerprint_one_pattern": True, "patterns_sane": True}
    assert wh.client.command("SELECT count() FROM patterns FINAL") == 5


def test_failing_checks_count_offending_rows(wh, instance):
    from assets.definitions import defs

    t = anchor()
    seed(wh.client, t)
    materialize_patterns(wh, instance)
    now = datetime.now(UTC)
    cols = [
        "event_id",
        "timestamp",
        "project",
        "language",
        "level",
        "message",
        "canonical_msg",
        "fingerprint",
        "ingested_at",
    ]
    wh.client.insert(
        "events_clean",
        [
            [
                uuid.uuid4(),
                now,
                "alpha",
                "go",
                "error",
                "login failed for bob@example.com",
                "login failed",
                "fpA1",
                now,
            ],
            [uuid.uuid4(), now, "alpha", "go", "error", "no fingerprint", "no fingerprint", "", now],
        ],
        column_names=cols,
    )
    # a fingerprint whose latest mapping rows disagree (two writers, same instant)
    for pattern_id in ("pX", "pY"):
        wh.client.insert(
            "fingerprint_patterns",
            [["fpB", pattern_id, [], now, "stream"]],
            column_names=["fingerprint", "pattern_id", "signature", "assigned_at", "assigned_by"],
            settings={"optimize_on_insert": 0},
        )
    quality = defs.resolve_job_def("quality_job").execute_in_process(instance=instance, raise_on_error=False)
    got = {c.check_name: c for c in quality.get_asset_check_evaluations()}
    assert not got["events_clean_no_pii"].passed
    assert got["events_clean_no_pii"].metadata["offending_rows"].value == 1
    assert not got["events_clean_complete"].passed
    assert got["events_clean_complete"].metadata["offending_rows"].value == 1  # the empty fingerprint
    mapping = dg.materialize(
        [pattern_clusters, _mapping_check()],
        resources={"warehouse": wh.resource},
        instance=instance,
        raise_on_error=False,
        selection=dg.AssetSelection.checks_for_assets("pattern_clusters"),
    )
    check = mapping.get_asset_check_evaluations()[0]
    assert not check.passed and check.metadata["offending_rows"].value == 1


def _mapping_check():
    from assets.defs.patterns.checks import every_fingerprint_one_pattern

    return every_fingerprint_one_pattern


def test_status_cli_changes_and_lists(wh, instance):
    from assets.cli import register

    t = anchor()
    seed(wh.client, t)
    materialize_patterns(wh, instance)
    app = typer.Typer()
    register(app)
    runner = CliRunner()

    ok = runner.invoke(
        app, ["pattern", "status", PATTERN_E, "resolved", "--by", "carol", "--why", "fixed in 1.2"]
    )
    assert ok.exit_code == 0, ok.output
    assert "Open → Resolved" in ok.output
    actor, reason = wh.client.query(
        f"SELECT actor, reason FROM pattern_status_log WHERE pattern_id = '{PATTERN_E}'"
    ).result_rows[0]
    assert (actor, reason) == ("carol", "fixed in 1.2")
    assert status_of(wh.client, PATTERN_E) == "Resolved"

    same = runner.invoke(app, ["pattern", "status", PATTERN_E, "resolved", "--by", "carol", "--why", "again"])
    assert same.exit_code == 0 and "already Resolved" in same.output
    unknown = runner.invoke(app, ["pattern", "status", "nope", "ignored", "--by", "carol", "--why", "x"])
    assert unknown.exit_code == 1 and "unknown pattern" in unknown.output
    bad = runner.invoke(app, ["pattern", "status", PATTERN_E, "regressed", "--by", "carol", "--why", "x"])
    assert bad.exit_code != 0  # Regressed is not a choice for people

    listed = runner.invoke(app, ["pattern", "list", "--status", "resolved"])
    assert listed.exit_code == 0 and PATTERN_E in listed.output and "pD" not in listed.output


def test_daily_report_is_rendered_and_sent_through_a_real_smtp_server(wh, instance):
    from aiosmtpd.controller import Controller

    from assets.defs.metrics.assets import metrics_summary
    from assets.defs.report.assets import daily_report
    from assets.defs.resources import SmtpResource
    from tests.fixtures.warehouse import free_port

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    t = anchor()
    seed(wh.client, t)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        smtp = SmtpResource(
            host="127.0.0.1", port=controller.port, sender="errorhub@test", recipients="a@test, b@test"
        )
        result = dg.materialize(
            [pattern_clusters, patterns, metrics_summary, daily_report],
            resources={"warehouse": wh.resource, "smtp": smtp},
            instance=instance,
        )
        assert result.success
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.mail_from == "errorhub@test" and envelope.rcpt_tos == ["a@test", "b@test"]
    import email

    message = email.message_from_bytes(envelope.content)
    assert message["Subject"].startswith(
        f"errorhub daily report {datetime.now(UTC):%Y-%m-%d}: 1 open patterns"
    )
    html = (
        next(p for p in message.walk() if p.get_content_type() == "text/html")
        .get_payload(decode=True)
        .decode()
    )
    assert PATTERN_E in html  # the only open pattern, and the only new one
    assert 'id="regressions"' not in html  # none in the last 24 h (pC regressed 3 days ago)
    assert "4.5 h" not in html and "126.0 h" in html  # MTTR mean (9+6+5+1)/4 days = 126 h
    meta = result.asset_materializations_for_node("daily_report")[0].metadata
    assert meta["recipients"].value == "a@test, b@test"


def test_pattern_clusters_skips_lsh_until_fingerprints_change(wh, instance):
    seed(wh.client, anchor())

    def run(**config):
        result = dg.materialize(
            [pattern_clusters],
            resources={"warehouse": wh.resource},
            instance=instance,
            run_config={"ops": {"pattern_clusters": {"config": config}}} if config else None,
        )
        return result.asset_materializations_for_node("pattern_clusters")[0].metadata["skipped"].value

    assert run() is False  # first run: nothing to compare with
    assert run() is True  # nothing changed
    assert run(force=True) is False
    wh.client.insert(
        "fingerprint_patterns",
        [["fpNEW", "pNEW", signatures()["fpB"], datetime.now(UTC), "stream"]],
        column_names=["fingerprint", "pattern_id", "signature", "assigned_at", "assigned_by"],
    )
    assert run() is False  # a new stream mapping row: re-cluster
    assert run() is True
