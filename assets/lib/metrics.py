"""Metrics teams manage by: window counts per pattern, MTTR, reopen rate, recurrence.

Event volumes are computed inside the warehouse (SQL over events_clean / executions).
Status-based figures come from `pattern_status_log`, which is small (one row per status
change), and are computed here in plain Python so their definitions are readable and
testable on plain data:

- a *resolution cycle* opens at the pattern's first_seen (cycle 1) or when it was reopened
  (Regressed, or manually back to Open), and closes at the next Resolved;
  MTTR = resolved_at - opened_at (for cycle 1: resolved_time - first_seen);
- *reopen rate* = patterns resolved at least once that later regressed / patterns resolved
  at least once (a Regressed is written when a resolved pattern receives a new event);
- *recurrences Nd* = patterns that regressed in the N days up to the reference time;
  *recurrence rate Nd* = that count / patterns resolved at least once by the reference time.

Per project figures use the pattern's first_seen in that project; `(all)` rows count each
pattern once, with its earliest first_seen.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from clickhouse_connect.driver.client import Client

from assets.lib.sql import FINAL_SETTINGS, day, ts
from schemas.metrics import (
    ALL_PROJECTS,
    MetricsDaily,
    MetricsSummary,
    PatternResolution,
)
from schemas.types import Status


def aware(value: datetime) -> datetime:
    """clickhouse-connect returns naive UTC datetimes; make them aware."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _rate(part: float, whole: float) -> float:
    return min(1.0, part / whole) if whole else 0.0


# --------------------------------------------------------------------------- plain logic


@dataclass(frozen=True)
class Transition:
    changed_at: datetime
    from_status: str
    to_status: str


@dataclass(frozen=True)
class Cycle:
    cycle: int
    opened_at: datetime
    resolved_at: datetime
    reopened_at: datetime | None = None

    @property
    def mttr_seconds(self) -> float:
        return max(0.0, (self.resolved_at - self.opened_at).total_seconds())


def resolution_cycles(first_seen: datetime, transitions: Iterable[Transition]) -> list[Cycle]:
    """The resolution cycles of one pattern from its status changes (any order)."""
    cycles: list[Cycle] = []
    opened = first_seen
    is_resolved = False
    for t in sorted(transitions, key=lambda t: t.changed_at):
        if t.to_status == Status.resolved and not is_resolved:
            cycles.append(Cycle(len(cycles) + 1, opened, t.changed_at))
            is_resolved = True
        elif t.to_status in (Status.regressed, Status.open):
            if is_resolved and t.to_status == Status.regressed and cycles[-1].reopened_at is None:
                last = cycles[-1]
                cycles[-1] = Cycle(last.cycle, last.opened_at, last.resolved_at, t.changed_at)
            if is_resolved or t.to_status == Status.regressed:
                opened = t.changed_at
            is_resolved = False
        elif t.to_status == Status.ignored:
            is_resolved = False
    return cycles


@dataclass(frozen=True)
class StatusFigures:
    resolved_patterns: int = 0
    reopened_patterns: int = 0
    reopen_rate: float = 0.0
    resolutions: int = 0
    mttr_avg_seconds: float = 0.0
    mttr_median_seconds: float = 0.0
    resolutions_in_range: int = 0
    mttr_avg_in_range: float = 0.0
    regressions_in_range: int = 0
    recurrences_7d: int = 0
    recurrences_30d: int = 0
    recurrence_rate_7d: float = 0.0
    recurrence_rate_30d: float = 0.0


def status_figures(
    cycles: Mapping[str, list[Cycle]],
    transitions: Mapping[str, list[Transition]],
    as_of: datetime,
    since: datetime | None = None,
) -> StatusFigures:
    """Figures over the given patterns as of `as_of`; the *_in_range ones count events in
    (since, as_of] (a day, for the daily rollup)."""
    done = {p: [c for c in cs if c.resolved_at <= as_of] for p, cs in cycles.items()}
    done = {p: cs for p, cs in done.items() if cs}
    reopened = {p for p, cs in done.items() if any(c.reopened_at and c.reopened_at <= as_of for c in cs)}
    all_cycles = [c for cs in done.values() for c in cs]
    mttrs = [c.mttr_seconds for c in all_cycles]
    in_range = [c for c in all_cycles if since is None or c.resolved_at > since]

    def regressed_between(start: datetime) -> set[str]:
        return {
            p
            for p, ts_ in transitions.items()
            for t in ts_
            if t.to_status == Status.regressed and start < t.changed_at <= as_of
        }

    r7, r30 = regressed_between(as_of - timedelta(days=7)), regressed_between(as_of - timedelta(days=30))
    regressions = regressed_between(since) if since is not None else set()
    n = len(done)
    return StatusFigures(
        resolved_patterns=n,
        reopened_patterns=len(reopened),
        reopen_rate=_rate(len(reopened), n),
        resolutions=len(all_cycles),
        mttr_avg_seconds=statistics.fmean(mttrs) if mttrs else 0.0,
        mttr_median_seconds=statistics.median(mttrs) if mttrs else 0.0,
        resolutions_in_range=len(
            {p for p, cs in done.items() for c in cs if since and c.resolved_at > since}
        ),
        mttr_avg_in_range=statistics.fmean([c.mttr_seconds for c in in_range]) if in_range else 0.0,
        regressions_in_range=len(regressions),
        recurrences_7d=len(r7),
        recurrences_30d=len(r30),
        recurrence_rate_7d=_rate(len(r7), n),
        recurrence_rate_30d=_rate(len(r30), n),
    )


@dataclass
class StatusHistory:
    """The status log joined to where each pattern occurs, ready for per-project figures."""

    transitions: dict[str, list[Transition]]
    first_seen: dict[str, dict[str, datetime]]  # pattern -> project -> first_seen

    def projects(self) -> list[str]:
        return sorted({p for by_project in self.first_seen.values() for p in by_project})

    def cycles(self, project: str) -> dict[str, list[Cycle]]:
        out = {}
        for pid, trs in self.transitions.items():
            seen = self.first_seen.get(pid, {})
            if project == ALL_PROJECTS:
                if not seen:
                    continue
                first = min(seen.values())
            elif project in seen:
                first = seen[project]
            else:
                continue
            out[pid] = resolution_cycles(first, trs)
        return out

    def transitions_of(self, project: str) -> dict[str, list[Transition]]:
        if project == ALL_PROJECTS:
            return {p: t for p, t in self.transitions.items() if p in self.first_seen}
        return {p: t for p, t in self.transitions.items() if project in self.first_seen.get(p, {})}


# --------------------------------------------------------------------------- warehouse reads


def load_status_history(client: Client, as_of: datetime | None = None) -> StatusHistory:
    where = f"WHERE changed_at <= {ts(as_of)}" if as_of else ""
    transitions: dict[str, list[Transition]] = defaultdict(list)
    for pid, at, frm, to in client.query(
        f"SELECT pattern_id, changed_at, toString(from_status), toString(to_status) "
        f"FROM pattern_status_log {where} ORDER BY pattern_id, changed_at"
    ).result_rows:
        transitions[pid].append(Transition(aware(at), frm, to))
    first_seen: dict[str, dict[str, datetime]] = defaultdict(dict)
    if transitions:
        for pid, project, first in client.query(
            "SELECT pattern_id, toString(project), min(first_seen) FROM patterns FINAL "
            "WHERE pattern_id IN (SELECT pattern_id FROM pattern_status_log) GROUP BY pattern_id, project"
        ).result_rows:
            first_seen[pid][project] = aware(first)
    return StatusHistory(dict(transitions), dict(first_seen))


def _by_project(client: Client, sql: str) -> dict[str, tuple]:
    """Run a query whose first column is `if(grouping(project) = 1, '(all)', project)`."""
    return {row[0]: tuple(row[1:]) for row in client.query(sql, settings=FINAL_SETTINGS).result_rows}


_PROJECT = f"if(grouping(project) = 1, '{ALL_PROJECTS}', toString(project))"
_SETS = "GROUP BY GROUPING SETS ((project), ())"


# --------------------------------------------------------------------------- writers


def _insert(client: Client, table: str, model: type, rows: list) -> None:
    if not rows:
        return
    names = list(model.model_fields)
    client.insert(table, [[getattr(r, n) for n in names] for r in rows], column_names=names)


def _replace_snapshot(client: Client, table: str, model: type, rows: list, now: datetime) -> int:
    """Insert the new snapshot, then delete every older one: readers never see an empty table."""
    _insert(client, table, model, rows)
    client.command(f"DELETE FROM {table} WHERE computed_at < {ts(now)}")
    return len(rows)


_COUNTS_SQL = """
INSERT INTO pattern_counts
SELECT
    f.project AS project,
    m.pattern_id AS pattern_id,
    sum(f.n_1h) AS events_1h,
    sum(f.n_24h) AS events_24h,
    sum(f.n_7d) AS events_7d,
    uniqExactMerge(f.users) AS users_24h,
    uniqExactMerge(f.execs) AS executions_24h,
    any(x.total) AS project_executions_24h,
    if(project_executions_24h = 0, 0, least(1, executions_24h / project_executions_24h)) AS failure_rate_24h,
    {now} AS computed_at
FROM
(
    SELECT
        project,
        fingerprint,
        countIf(timestamp > {now} - INTERVAL 1 HOUR) AS n_1h,
        countIf(timestamp > {now} - INTERVAL 24 HOUR) AS n_24h,
        count() AS n_7d,
        uniqExactStateIf(user_id, user_id != '' AND timestamp > {now} - INTERVAL 24 HOUR) AS users,
        uniqExactStateIf(execution_id, execution_id != '' AND timestamp > {now} - INTERVAL 24 HOUR) AS execs
    FROM events_clean FINAL
    WHERE timestamp > {now} - INTERVAL 7 DAY AND timestamp <= {now} AND fingerprint != ''
    GROUP BY project, fingerprint
) AS f
INNER JOIN (SELECT fingerprint, pattern_id FROM fingerprint_patterns FINAL) AS m
    ON m.fingerprint = f.fingerprint
LEFT JOIN
(
    SELECT toString(project) AS project, count() AS total
    FROM executions FINAL
    WHERE timestamp > {now} - INTERVAL 24 HOUR AND timestamp <= {now}
    GROUP BY project
) AS x ON x.project = toString(f.project)
GROUP BY f.project, m.pattern_id
"""


def refresh_pattern_counts(client: Client, now: datetime) -> int:
    client.command(_COUNTS_SQL.format(now=ts(now)), settings=FINAL_SETTINGS)
    client.command(f"DELETE FROM pattern_counts WHERE computed_at < {ts(now)}")
    return int(client.command(f"SELECT count() FROM pattern_counts WHERE computed_at = {ts(now)}"))


def mttr_rows(history: StatusHistory, now: datetime) -> list[PatternResolution]:
    rows = []
    for project in history.projects():
        for pid, cycles in sorted(history.cycles(project).items()):
            rows += [
                PatternResolution(
                    project=project,
                    pattern_id=pid,
                    cycle=c.cycle,
                    opened_at=c.opened_at,
                    resolved_at=c.resolved_at,
                    mttr_seconds=c.mttr_seconds,
                    reopened=c.reopened_at is not None,
                    reopened_at=c.reopened_at,
                    computed_at=now,
                )
                for c in cycles
            ]
    return rows


def refresh_pattern_mttr(client: Client, now: datetime) -> int:
    rows = mttr_rows(load_status_history(client, as_of=now), now)
    return _replace_snapshot(client, "pattern_mttr", PatternResolution, rows, now)


def summary_rows(client: Client, now: datetime) -> list[MetricsSummary]:
    history = load_status_history(client, as_of=now)
    n = ts(now)
    patterns = _by_project(
        client,
        f"SELECT {_PROJECT}, uniqExact(pattern_id), uniqExactIf(pattern_id, status IN ('Open', 'Regressed')) "
        f"FROM pattern_report {_SETS}",
    )
    events = _by_project(
        client,
        f"SELECT {_PROJECT}, count() FROM events_clean FINAL "
        f"WHERE timestamp > {n} - INTERVAL 24 HOUR AND timestamp <= {n} {_SETS}",
    )
    execs = _by_project(
        client,
        f"SELECT {_PROJECT}, count(), countIf(status != 'success') FROM executions FINAL "
        f"WHERE timestamp > {n} - INTERVAL 24 HOUR AND timestamp <= {n} {_SETS}",
    )
    projects = sorted(set(patterns) | set(events) | set(execs) | {ALL_PROJECTS})
    rows = []
    for project in projects:
        figures = status_figures(history.cycles(project), history.transitions_of(project), now)
        total, failed = execs.get(project, (0, 0))
        n_patterns, n_open = patterns.get(project, (0, 0))
        rows.append(
            MetricsSummary(
                project=project,
                patterns=n_patterns,
                open_patterns=n_open,
                resolved_patterns=figures.resolved_patterns,
                reopened_patterns=figures.reopened_patterns,
                reopen_rate=figures.reopen_rate,
                resolutions=figures.resolutions,
                mttr_avg_seconds=figures.mttr_avg_seconds,
                mttr_median_seconds=figures.mttr_median_seconds,
                recurrences_7d=figures.recurrences_7d,
                recurrences_30d=figures.recurrences_30d,
                recurrence_rate_7d=figures.recurrence_rate_7d,
                recurrence_rate_30d=figures.recurrence_rate_30d,
                events_24h=events.get(project, (0,))[0],
                executions_24h=total,
                failed_executions_24h=failed,
                failure_rate_24h=_rate(failed, total),
                computed_at=now,
            )
        )
    return rows


def refresh_summary(client: Client, now: datetime) -> list[MetricsSummary]:
    rows = summary_rows(client, now)
    _replace_snapshot(client, "metrics_summary", MetricsSummary, rows, now)
    return rows


def daily_rows(client: Client, the_day: date, now: datetime) -> list[MetricsDaily]:
    start = datetime.combine(the_day, datetime.min.time(), UTC)
    end = start + timedelta(days=1)
    window = f"timestamp >= {ts(start)} AND timestamp < {ts(end)}"
    history = load_status_history(client, as_of=end - timedelta(milliseconds=1))
    events = _by_project(
        client,
        f"SELECT {_PROJECT}, count(), uniqExactIf(user_id, user_id != ''), "
        f"uniqExactIf(m.pattern_id, m.pattern_id != '') "
        f"FROM (SELECT project, user_id, fingerprint FROM events_clean FINAL WHERE {window}) AS e "
        f"LEFT JOIN (SELECT fingerprint, pattern_id FROM fingerprint_patterns FINAL) AS m "
        f"ON m.fingerprint = e.fingerprint {_SETS}",
    )
    execs = _by_project(
        client,
        f"SELECT {_PROJECT}, count(), countIf(status != 'success') FROM executions FINAL "
        f"WHERE {window} {_SETS}",
    )
    in_day = f"f >= {ts(start)} AND f < {ts(end)}"
    new = dict(
        client.query(
            f"SELECT toString(project), uniqExact(pattern_id) FROM "
            f"(SELECT project, pattern_id, min(first_seen) AS f FROM patterns FINAL "
            f"GROUP BY project, pattern_id) "
            f"WHERE {in_day} GROUP BY project"
        ).result_rows
    )
    new[ALL_PROJECTS] = int(
        client.command(
            f"SELECT count() FROM "
            f"(SELECT pattern_id, min(first_seen) AS f FROM patterns FINAL GROUP BY pattern_id) "
            f"WHERE {in_day}"
        )
    )
    projects = sorted(set(events) | set(execs) | set(history.projects()) | {ALL_PROJECTS})
    rows = []
    for project in projects:
        figures = status_figures(
            history.cycles(project), history.transitions_of(project), end - timedelta(milliseconds=1), start
        )
        n_events, users, active = events.get(project, (0, 0, 0))
        total, failed = execs.get(project, (0, 0))
        rows.append(
            MetricsDaily(
                day=the_day,
                project=project,
                events=n_events,
                users=users,
                executions=total,
                failed_executions=failed,
                failure_rate=_rate(failed, total),
                active_patterns=active,
                new_patterns=new.get(project, 0),
                resolutions=figures.resolutions_in_range,
                regressions=figures.regressions_in_range,
                mttr_avg_seconds=figures.mttr_avg_in_range,
                reopen_rate=figures.reopen_rate,
                recurrences_7d=figures.recurrences_7d,
                recurrences_30d=figures.recurrences_30d,
                recurrence_rate_7d=figures.recurrence_rate_7d,
                recurrence_rate_30d=figures.recurrence_rate_30d,
                computed_at=now,
            )
        )
    return rows


def refresh_daily(client: Client, the_day: date, now: datetime) -> list[MetricsDaily]:
    """Idempotent partition reload: delete the day, then insert it again."""
    rows = daily_rows(client, the_day, now)
    client.command(f"DELETE FROM metrics_daily WHERE day = {day(the_day)}")
    _insert(client, "metrics_daily", MetricsDaily, rows)
    return rows
