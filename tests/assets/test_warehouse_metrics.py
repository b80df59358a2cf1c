"""Assets materialized against the real warehouse, on a seeded history whose figures are
known by construction (see tests/assets/seed.py; expected values worked out by hand)."""

from __future__ import annotations

import math
from datetime import timedelta

import dagster as dg
import pytest

from assets.defs.metrics.assets import metrics_daily, metrics_summary, pattern_counts, pattern_mttr
from assets.defs.metrics.checks import checks as metric_checks
from assets.defs.patterns.assets import pattern_clusters, patterns
from assets.defs.patterns.checks import checks as pattern_checks
from tests.assets.seed import PATTERN_E, D, anchor, seed

pytestmark = pytest.mark.integration
DAY = 86400.0


def rows(client, sql):
    result = client.query(sql)
    return [dict(zip(result.column_names, r, strict=True)) for r in result.result_rows]


def run_patterns_and_metrics(wh, instance):
    result = dg.materialize(
        [
            pattern_clusters,
            patterns,
            pattern_counts,
            pattern_mttr,
            metrics_summary,
            *pattern_checks,
            *metric_checks[:3],
        ],
        resources={"warehouse": wh.resource},
        instance=instance,
    )
    assert result.success
    return result


def test_patterns_merge_and_statistics(wh, instance):
    t = anchor()
    seed(wh.client, t)
    result = run_patterns_and_metrics(wh, instance)

    mapping = dict(
        wh.client.query("SELECT fingerprint, pattern_id FROM fingerprint_patterns FINAL").result_rows
    )
    assert mapping == {"fpA1": "pA1", "fpA2": "pA1", "fpB": "pB", "fpC": "pC", "fpD": "pD", "fpE": PATTERN_E}
    meta = result.asset_materializations_for_node("pattern_clusters")[0].metadata
    assert meta["patterns_merged"].value == 1 and meta["mapping_rows_written"].value == 2

    got = {r["pattern_id"]: r for r in rows(wh.client, "SELECT * FROM patterns FINAL")}
    assert set(got) == {"pA1", "pB", "pC", "pD", PATTERN_E}  # pA2 merged away
    a1 = got["pA1"]
    assert (a1["project"], a1["occurrences"], a1["distinct_users"]) == ("alpha", 5, 4)
    assert a1["first_seen"].replace(tzinfo=t.tzinfo) == t - 10 * D
    assert a1["last_seen"].replace(tzinfo=t.tzinfo) == t - timedelta(minutes=30)
    assert a1["error_type"] == "ValueError" and a1["sample_trace"].startswith("Traceback for fpA")
    severities = {p: r["severity"] for p, r in got.items()}
    assert severities == {"pA1": "Med", "pB": "Low", "pC": "Low", "pD": "High", PATTERN_E: "Med"}

    # rank = (ln(1 + events_7d) + 2 ln(1 + users)) * 2^(-hours quiet / 24), by hand, where
    # "quiet" is measured from the seeded last event to the run's clock (updated_at)
    def quiet_days(r):
        return (r["updated_at"] - r["last_seen"]).total_seconds() / 86400

    assert got["pA1"]["rank"] == pytest.approx((math.log(5) + 2 * math.log(5)) * 2 ** -quiet_days(a1))
    assert got["pD"]["rank"] == pytest.approx((math.log(2) + 2 * math.log(2)) * 2 ** -quiet_days(got["pD"]))
    assert got["pB"]["rank"] == pytest.approx(2 * math.log(2) * 2 ** -quiet_days(got["pB"]))
    assert 14.9 < quiet_days(got["pB"]) < 15.1

    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert all(c.passed for c in checks.values()), {n: c.metadata for n, c in checks.items() if not c.passed}
    assert checks["every_fingerprint_one_pattern"].metadata["rows_checked"].value == 6


def test_window_counts_and_failure_rate(wh, instance):
    t = anchor()
    seed(wh.client, t)
    run_patterns_and_metrics(wh, instance)
    counts = {
        (r["project"], r["pattern_id"]): r for r in rows(wh.client, "SELECT * FROM pattern_counts FINAL")
    }
    a1 = counts[("alpha", "pA1")]
    # pA1 (fpA1 + fpA2): 1h: T-30min; 24h: + T-3h; 7d: + T-2d, T-5d.
    # Users 24h: u1, u4. Executions: e1, e2 of the project's 4.
    assert (a1["events_1h"], a1["events_24h"], a1["events_7d"], a1["users_24h"]) == (1, 2, 4, 2)
    assert (a1["executions_24h"], a1["project_executions_24h"]) == (2, 4)
    assert a1["failure_rate_24h"] == pytest.approx(0.5)
    assert ("alpha", "pB") not in counts  # nothing in 7 days
    assert counts[("beta", "pC")]["events_7d"] == 1 and counts[("beta", "pC")]["events_24h"] == 0


def test_mttr_reopen_rate_and_recurrence_known_by_construction(wh, instance):
    t = anchor()
    seed(wh.client, t)
    run_patterns_and_metrics(wh, instance)

    cycles = {(r["pattern_id"], r["cycle"]): r for r in rows(wh.client, "SELECT * FROM pattern_mttr FINAL")}
    assert {k: v["mttr_seconds"] for k, v in cycles.items()} == {
        ("pA1", 1): 9 * DAY,  # first seen T-10d, resolved T-1d
        ("pB", 1): 6 * DAY,  # T-20d → T-14d
        ("pC", 1): 5 * DAY,  # T-40d → T-35d, then regressed T-3d
        ("pC", 2): 1 * DAY,  # regressed T-3d → resolved again T-2d
    }
    assert [k for k, v in cycles.items() if v["reopened"]] == [("pC", 1)]

    summary = {r["project"]: r for r in rows(wh.client, "SELECT * FROM metrics_summary FINAL")}
    overall = summary["(all)"]
    assert (overall["resolved_patterns"], overall["reopened_patterns"], overall["resolutions"]) == (3, 1, 4)
    assert overall["reopen_rate"] == pytest.approx(1 / 3)
    assert overall["mttr_avg_seconds"] == pytest.approx((9 + 6 + 5 + 1) * DAY / 4)
    assert overall["mttr_median_seconds"] == pytest.approx((5 + 6) * DAY / 2)
    assert (overall["recurrences_7d"], overall["recurrences_30d"]) == (1, 1)
    assert overall["recurrence_rate_7d"] == pytest.approx(1 / 3)
    # open: pA1 (Resolved), pB (Resolved), pC (Resolved), pD (Ignored) → only the new pattern E
    assert (overall["patterns"], overall["open_patterns"]) == (5, 1)
    # executions in 24 h: 6, failed e1, e4, e6
    assert (overall["executions_24h"], overall["failed_executions_24h"]) == (6, 3)
    assert overall["failure_rate_24h"] == pytest.approx(0.5)
    assert overall["events_24h"] == 4  # T-30min, T-3h, T-2h, T-5h
    alpha, beta = summary["alpha"], summary["beta"]
    assert (alpha["resolved_patterns"], alpha["reopen_rate"]) == (2, 0.0)
    assert alpha["mttr_avg_seconds"] == pytest.approx((9 + 6) * DAY / 2)
    assert (beta["resolved_patterns"], beta["reopened_patterns"], beta["reopen_rate"]) == (1, 1, 1.0)
    assert beta["mttr_avg_seconds"] == pytest.approx((5 + 1) * DAY / 2)
    assert alpha["failure_rate_24h"] == pytest.approx(1 / 4) and beta["failure_rate_24h"] == 1.0


def test_daily_partition_known_by_construction_and_idempotent(wh, instance):
    t = anchor()
    seed(wh.client, t)
    run_patterns_and_metrics(wh, instance)
    day = (t - 2 * D).date()
    for _ in range(2):  # a re-run replaces the day instead of adding to it
        result = dg.materialize(
            [metrics_daily, metric_checks[3]],
            partition_key=day.isoformat(),
            resources={"warehouse": wh.resource},
            instance=instance,
        )
        assert result.success
        assert all(c.passed for c in result.get_asset_check_evaluations())
    got = {r["project"]: r for r in rows(wh.client, f"SELECT * FROM metrics_daily WHERE day = '{day}'")}
    assert set(got) == {"(all)", "alpha", "beta"}
    overall = got["(all)"]
    # that day: one event (fpA1 at T-2d), one execution (x9, failed); pC resolved again (cycle of 1 day)
    assert (overall["events"], overall["executions"], overall["failed_executions"]) == (1, 1, 1)
    assert (overall["resolutions"], overall["regressions"], overall["mttr_avg_seconds"]) == (1, 0, DAY)
    # by the end of that day: pB and pC resolved, pC had regressed (T-3d, inside 7 d)
    assert overall["reopen_rate"] == pytest.approx(0.5)
    assert (overall["recurrences_7d"], overall["recurrence_rate_7d"]) == (1, 0.5)
    assert got["beta"]["resolutions"] == 1 and got["alpha"]["resolutions"] == 0
    regression_day = (t - 3 * D).date()
    dg.materialize(
        [metrics_daily],
        partition_key=regression_day.isoformat(),
        resources={"warehouse": wh.resource},
        instance=instance,
    )
    assert (
        wh.client.command(
            f"SELECT regressions FROM metrics_daily WHERE day = '{regression_day}' AND project = 'beta'"
        )
        == 1
    )


def test_rerunning_replaces_rows_instead_of_adding_them(wh, instance):
    seed(wh.client, anchor())
    for _ in range(2):
        run_patterns_and_metrics(wh, instance)
    for table, key, expected in [
        ("patterns", "project, pattern_id", 5),
        ("pattern_counts", "project, pattern_id", 4),  # pB had nothing in 7 days
        ("pattern_mttr", "project, pattern_id, cycle", 4),
        ("metrics_summary", "project", 3),
    ]:
        # no FINAL: older snapshots are deleted, not just shadowed
        assert wh.client.command(f"SELECT count() FROM {table}") == expected, table
        assert wh.client.command(f"SELECT count() FROM (SELECT DISTINCT {key} FROM {table})") == expected
        assert (
            wh.client.command(
                f"SELECT uniqExact(computed_at) FROM {table}"
                if table != "patterns"
                else "SELECT uniqExact(updated_at) FROM patterns"
            )
            == 1
        )
