"""Pattern status workflow, shared by the CLI and the regression sensor.

    Open ──► Resolved ──► Regressed (automatic: a new event after the resolution)
      │  ◄──    │  ▲          │
      └► Ignored ◄┘  └────────┘ (resolve again)

People move a pattern to Resolved, Ignored or back to Open; only the system writes
Regressed, and only from Resolved. Every change is appended to `pattern_status_log`
(who, when, from, to, why); the current status is the view `pattern_status`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clickhouse_connect.driver.client import Client

from assets.lib.metrics import aware
from assets.lib.sql import FINAL_SETTINGS, utcnow
from schemas import PatternStatusChange
from schemas.types import Status

MANUAL_TARGETS = {"open": Status.open, "resolved": Status.resolved, "ignored": Status.ignored}

ALLOWED: dict[Status, set[Status]] = {
    Status.open: {Status.resolved, Status.ignored},
    Status.resolved: {Status.open, Status.ignored, Status.regressed},
    Status.ignored: {Status.open, Status.resolved},
    Status.regressed: {Status.resolved, Status.ignored, Status.open},
}

SYSTEM_ACTOR = "system:regression-sensor"


class StatusError(ValueError):
    """A status change that the workflow does not allow, or an unknown pattern."""


def check_transition(from_status: Status, to_status: Status, *, manual: bool) -> None:
    if manual and to_status == Status.regressed:
        raise StatusError("Regressed is set automatically when a resolved pattern gets a new event")
    if to_status not in ALLOWED[from_status]:
        raise StatusError(f"cannot move a pattern from {from_status} to {to_status}")


@dataclass(frozen=True)
class CurrentStatus:
    status: Status
    changed_at: datetime | None  # None: never changed (Open since first seen)


def current_status(client: Client, pattern_id: str) -> CurrentStatus:
    rows = client.query(
        "SELECT toString(status), status_changed_at FROM pattern_status WHERE pattern_id = {p:String}",
        parameters={"p": pattern_id},
    ).result_rows
    if not rows:
        return CurrentStatus(Status.open, None)
    return CurrentStatus(Status(rows[0][0]), aware(rows[0][1]))


def pattern_exists(client: Client, pattern_id: str) -> bool:
    return bool(
        client.command(
            "SELECT (SELECT count() FROM patterns WHERE pattern_id = {p:String}) "
            "+ (SELECT count() FROM fingerprint_patterns WHERE pattern_id = {p:String})",
            parameters={"p": pattern_id},
        )
    )


def record(client: Client, change: PatternStatusChange) -> None:
    names = list(PatternStatusChange.model_fields)
    row = change.model_dump()
    client.insert("pattern_status_log", [[row[n] for n in names]], column_names=names)


def change_status(
    client: Client,
    pattern_id: str,
    to_status: Status | str,
    *,
    actor: str,
    reason: str = "",
    manual: bool = True,
    at: datetime | None = None,
) -> PatternStatusChange | None:
    """Append a status change; None when the pattern already has that status."""
    to_status = Status(to_status)
    if not pattern_exists(client, pattern_id):
        raise StatusError(f"unknown pattern {pattern_id!r}")
    current = current_status(client, pattern_id)
    if current.status == to_status:
        return None
    check_transition(current.status, to_status, manual=manual)
    at = at or utcnow()
    if current.changed_at is not None and at <= current.changed_at:
        raise StatusError(f"pattern {pattern_id} changed at {current.changed_at}, after {at}")
    change = PatternStatusChange(
        pattern_id=pattern_id,
        changed_at=at,
        actor=actor,
        from_status=current.status,
        to_status=to_status,
        reason=reason,
    )
    record(client, change)
    return change


@dataclass(frozen=True)
class Regression:
    pattern_id: str
    resolved_at: datetime
    new_events: int
    first_new_event: datetime

    @property
    def reason(self) -> str:
        return (
            f"{self.new_events} new event(s) since it was resolved at "
            f"{self.resolved_at:%Y-%m-%d %H:%M:%S} UTC; "
            f"first at {self.first_new_event:%Y-%m-%d %H:%M:%S} UTC"
        )


_REGRESSIONS_SQL = """
WITH resolved AS (SELECT pattern_id, status_changed_at FROM pattern_status WHERE status = 'Resolved')
SELECT s.pattern_id, s.status_changed_at, count(), min(e.timestamp)
FROM
(
    SELECT fingerprint, timestamp FROM events_clean
    WHERE fingerprint IN (
        SELECT fingerprint FROM fingerprint_patterns FINAL
        WHERE pattern_id IN (SELECT pattern_id FROM resolved)
    )
    AND timestamp > (SELECT min(status_changed_at) FROM resolved)
) AS e
INNER JOIN (SELECT fingerprint, pattern_id FROM fingerprint_patterns FINAL) AS m
    ON m.fingerprint = e.fingerprint
INNER JOIN resolved AS s ON s.pattern_id = m.pattern_id
WHERE e.timestamp > s.status_changed_at
GROUP BY s.pattern_id, s.status_changed_at
ORDER BY s.pattern_id
"""


def find_regressions(client: Client) -> list[Regression]:
    """Resolved patterns that received an event timestamped after their resolution."""
    return [
        Regression(pid, aware(resolved_at), int(n), aware(first))
        for pid, resolved_at, n, first in client.query(_REGRESSIONS_SQL, settings=FINAL_SETTINGS).result_rows
    ]


def reopen(client: Client, regression: Regression, actor: str = SYSTEM_ACTOR) -> PatternStatusChange | None:
    """Mark one regression; a no-op when the pattern moved since it was detected (idempotent)."""
    current = current_status(client, regression.pattern_id)
    if current.status != Status.resolved or current.changed_at != regression.resolved_at:
        return None
    return change_status(
        client, regression.pattern_id, Status.regressed, actor=actor, reason=regression.reason, manual=False
    )


def list_patterns(client: Client, status: str | None = None, limit: int = 20) -> list[dict]:
    where = "WHERE status = {s:String}" if status else ""
    result = client.query(
        f"SELECT pattern_id, toString(project) AS project, toString(severity) AS severity, "
        f"toString(status) AS status, occurrences, distinct_users, last_seen, rank, "
        f"toString(error_type) AS error_type, substring(canonical_msg, 1, 80) AS message "
        f"FROM pattern_report {where} ORDER BY rank DESC, pattern_id LIMIT {int(limit)}",
        parameters={"s": status} if status else None,
    )
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]
