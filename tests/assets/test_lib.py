"""Plain-data tests of the Dagster location's logic: no warehouse, no network."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from assets.lib.clustering import FingerprintRow, cluster
from assets.lib.metrics import Cycle, Transition, resolution_cycles, status_figures
from assets.lib.severity import PatternFigures, rank, severity
from assets.lib.status import StatusError, check_transition
from pipelines.engine.fingerprint import pattern_id_for
from schemas.types import Severity, Status

T = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
D, H = timedelta(days=1), timedelta(hours=1)


def figures(**overrides) -> PatternFigures:
    base = dict(
        error_type="KeyError",
        fatal_events=0,
        distinct_users=1,
        events_1h=0,
        events_24h=1,
        events_7d=1,
        first_seen=T - 10 * D,
        last_seen=T - H,
    )
    return PatternFigures(**{**base, **overrides})


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, Severity.low),
        ({"fatal_events": 1}, Severity.high),
        ({"error_type": "SIGSEGV"}, Severity.high),
        ({"error_type": "java.lang.OutOfMemoryError"}, Severity.high),
        ({"distinct_users": 20}, Severity.high),
        ({"events_1h": 100, "events_24h": 100}, Severity.high),
        ({"distinct_users": 19}, Severity.med),
        ({"distinct_users": 3}, Severity.med),
        ({"events_24h": 50}, Severity.med),
        ({"first_seen": T - 23 * H}, Severity.med),
        ({"distinct_users": 2, "events_24h": 49, "first_seen": T - 25 * H}, Severity.low),
        ({"error_type": "AbortError"}, Severity.low),
    ],
)
def test_severity_rules(overrides, expected):
    assert severity(figures(**overrides), T) == expected


def test_rank_grows_with_volume_and_users_and_halves_per_quiet_day():
    fresh = rank(figures(events_7d=10, distinct_users=2, last_seen=T), T)
    assert fresh == pytest.approx(np.log1p(10) + 2 * np.log1p(2))
    assert rank(figures(events_7d=10, distinct_users=2, last_seen=T - D), T) == pytest.approx(fresh / 2)
    assert rank(figures(events_7d=100, distinct_users=2, last_seen=T), T) > fresh
    assert rank(figures(events_7d=10, distinct_users=5, last_seen=T), T) > fresh


def _sigs():
    rng = np.random.RandomState(3)
    base = [rng.randint(0, 2**32, 128, dtype=np.uint64).astype(np.uint32) for _ in range(4)]
    near = base[0].copy()
    near[:5] ^= np.uint32(1)  # 123/128 equal
    return base, near


def test_cluster_merges_a_near_duplicate_into_the_oldest_pattern_and_is_stable():
    base, near = _sigs()
    rows = [
        FingerprintRow("old", base[0], T - 5 * D, "P_old"),
        FingerprintRow("dup", near, T - 1 * D, "P_dup"),
        FingerprintRow("other", base[1], T - 2 * D, "P_other"),
    ]
    result = cluster(rows, 0.8)
    assert result.mapping == {"old": "P_old", "dup": "P_old", "other": "P_other"}
    assert result.changed == {"dup": "P_old"}
    assert result.merges == {"P_dup": "P_old"}
    again = cluster(
        [
            FingerprintRow(r.fingerprint, r.signature, r.first_seen, result.mapping[r.fingerprint])
            for r in rows
        ],
        0.8,
    )
    assert again.mapping == result.mapping and again.changed == {} and again.merges == {}


def test_cluster_never_splits_an_existing_pattern_and_names_new_ones_after_their_founder():
    base, near = _sigs()
    rows = [
        FingerprintRow("a", base[0], T - 5 * D, "P"),
        FingerprintRow("b", base[1], T - 4 * D, "P"),  # dissimilar, but already together: stays
        FingerprintRow("new_dup", near, T - D, ""),  # unmapped near-duplicate of a: joins P
        FingerprintRow("new_alone", base[2], T - D, ""),  # unmapped, similar to nothing
        FingerprintRow("no_sig", [], T - D, ""),  # no signature: exact grouping only
    ]
    result = cluster(rows, 0.8)
    assert result.mapping["a"] == result.mapping["b"] == result.mapping["new_dup"] == "P"
    assert result.mapping["new_alone"] == pattern_id_for("new_alone")
    assert result.mapping["no_sig"] == pattern_id_for("no_sig")
    assert result.merges == {}
    assert set(result.changed) == {"new_dup", "new_alone", "no_sig"}


def test_cluster_merge_survivor_is_the_pattern_seen_first_even_if_it_was_mapped_later():
    base, near = _sigs()
    rows = [FingerprintRow("x", near, T - 9 * D, "P_b"), FingerprintRow("y", base[0], T - 3 * D, "P_a")]
    assert cluster(rows, 0.8).mapping == {"x": "P_b", "y": "P_b"}


def tr(age: timedelta, frm: str, to: str) -> Transition:
    return Transition(T - age, frm, to)


def test_resolution_cycles_by_hand():
    first = T - 10 * D
    log = [
        tr(8 * D, "Open", "Resolved"),  # cycle 1: 2 days
        tr(6 * D, "Resolved", "Regressed"),
        tr(5 * D, "Regressed", "Resolved"),  # cycle 2: 1 day from the regression
        tr(4 * D, "Resolved", "Open"),  # manual reopen: not a regression
        tr(3 * D, "Open", "Ignored"),
        tr(1 * D, "Ignored", "Resolved"),  # cycle 3: from the manual reopen, 3 days
    ]
    cycles = resolution_cycles(first, reversed(log))  # order of input does not matter
    assert cycles == [
        Cycle(1, T - 10 * D, T - 8 * D, reopened_at=T - 6 * D),
        Cycle(2, T - 6 * D, T - 5 * D),
        Cycle(3, T - 4 * D, T - 1 * D),
    ]
    assert [c.mttr_seconds for c in cycles] == [2 * 86400, 86400, 3 * 86400]


def test_status_figures_by_hand():
    transitions = {
        "p1": [tr(20 * D, "Open", "Resolved"), tr(5 * D, "Resolved", "Regressed")],  # recurred 5 days ago
        "p2": [tr(10 * D, "Open", "Resolved")],
        "p3": [tr(50 * D, "Open", "Resolved"), tr(20 * D, "Resolved", "Regressed")],  # recurred 20 days ago
        "p4": [tr(1 * D, "Open", "Ignored")],
    }
    first = {"p1": T - 30 * D, "p2": T - 11 * D, "p3": T - 60 * D, "p4": T - 2 * D}
    cycles = {p: resolution_cycles(first[p], t) for p, t in transitions.items()}
    f = status_figures(cycles, transitions, as_of=T, since=T - 11 * D)
    assert (f.resolved_patterns, f.reopened_patterns) == (3, 2)
    assert f.reopen_rate == pytest.approx(2 / 3)
    assert f.resolutions == 3
    assert f.mttr_avg_seconds == pytest.approx((10 + 1 + 10) * 86400 / 3)
    assert f.mttr_median_seconds == 10 * 86400
    assert (f.recurrences_7d, f.recurrences_30d) == (1, 2)
    assert f.recurrence_rate_7d == pytest.approx(1 / 3)
    assert f.recurrence_rate_30d == pytest.approx(2 / 3)
    assert (f.resolutions_in_range, f.regressions_in_range) == (1, 1)  # p2 resolved, p1 regressed
    assert f.mttr_avg_in_range == 86400
    # as of 15 days ago, p1's regression and p2's resolution had not happened yet
    earlier = status_figures(cycles, transitions, as_of=T - 15 * D)
    assert (earlier.resolved_patterns, earlier.reopened_patterns, earlier.recurrences_7d) == (2, 1, 1)


@pytest.mark.parametrize(
    ("frm", "to", "manual", "ok"),
    [
        (Status.open, Status.resolved, True, True),
        (Status.open, Status.ignored, True, True),
        (Status.resolved, Status.open, True, True),
        (Status.resolved, Status.regressed, False, True),
        (Status.resolved, Status.regressed, True, False),  # people never set Regressed
        (Status.open, Status.regressed, False, False),  # only a resolved pattern can regress
        (Status.ignored, Status.regressed, False, False),
        (Status.regressed, Status.resolved, True, True),
    ],
)
def test_status_transitions(frm, to, manual, ok):
    if ok:
        check_transition(frm, to, manual=manual)
    else:
        with pytest.raises(StatusError):
            check_transition(frm, to, manual=manual)


def test_report_renders_escaped_html():
    from assets.lib.report import ReportData, render
    from schemas.metrics import ALL_PROJECTS, MetricsSummary

    row = dict(
        pattern_id="p1",
        project="alpha",
        severity="High",
        status="Open",
        error_type="XSS",
        message="<script>alert(1)</script>",
        occurrences=3,
        distinct_users=2,
        first_seen=T,
        last_seen=T,
        rank=1.5,
    )
    data = ReportData(
        generated_at=T,
        since=T - D,
        top_patterns=[row],
        new_patterns=[row],
        regressions=[
            dict(pattern_id="p9", changed_at=T, reason="2 new event(s)", error_type="E", message="m")
        ],
        summary=[
            MetricsSummary(
                project=ALL_PROJECTS,
                patterns=5,
                open_patterns=4,
                mttr_avg_seconds=7200,
                reopen_rate=0.25,
                computed_at=T,
            )
        ],
    )
    subject, html = render(data)
    assert subject == "errorhub daily report 2026-06-01: 4 open patterns, 1 new, 1 regressed"
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "2.0 h" in html and "25.0%" in html and "p9" in html
