"""Severity (High/Med/Low) and priority rank of a pattern: the documented rules, once.

Rules, checked in order (first match wins):

- **High**: a crash kind (any event at level `fatal`, or an error type that names a crash:
  segfault/signal, out-of-memory, stack overflow, panic, abort, killed); or at least
  `HIGH_USERS` distinct affected users; or at least `HIGH_EVENTS_1H` events in the last hour.
- **Med**: at least `MED_USERS` distinct users; or at least `MED_EVENTS_24H` events in the
  last 24 hours; or novelty: first seen within the last `NEW_HOURS` hours.
- **Low**: everything else.

Priority rank (higher = look at it first), from volume, users and recency:

    rank = (ln(1 + events_7d) + 2 * ln(1 + distinct_users)) * 2 ** (-hours_since_last_seen / 24)

so a pattern's rank halves for every day it stays quiet; severity does not enter the rank.

The warehouse computes both in SQL (`severity_sql`, `rank_sql`) for every pattern at once;
the Python functions state the same rules for tests and single patterns.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from schemas.types import Severity

HIGH_USERS = 20
HIGH_EVENTS_1H = 100
MED_USERS = 3
MED_EVENTS_24H = 50
NEW_HOURS = 24
RANK_HALF_LIFE_HOURS = 24.0

# RE2-compatible (ClickHouse `match`) and Python `re`-compatible.
CRASH_TYPES = (
    r"(?i)(segmentation|segfault|sigsegv|sigabrt|sigkill|sigbus|core dumped|outofmemory|"
    r"out of memory|memoryerror|stackoverflow|stack overflow|recursionerror|panic|"
    r"killed|fatal)"
)
_CRASH = re.compile(CRASH_TYPES)


@dataclass(frozen=True)
class PatternFigures:
    """What severity and rank depend on."""

    error_type: str
    fatal_events: int
    distinct_users: int
    events_1h: int
    events_24h: int
    events_7d: int
    first_seen: datetime
    last_seen: datetime


def is_crash(error_type: str, fatal_events: int) -> bool:
    return fatal_events > 0 or bool(_CRASH.search(error_type or ""))


def severity(p: PatternFigures, now: datetime) -> Severity:
    if (
        is_crash(p.error_type, p.fatal_events)
        or p.distinct_users >= HIGH_USERS
        or p.events_1h >= HIGH_EVENTS_1H
    ):
        return Severity.high
    if (
        p.distinct_users >= MED_USERS
        or p.events_24h >= MED_EVENTS_24H
        or (now - p.first_seen).total_seconds() < NEW_HOURS * 3600
    ):
        return Severity.med
    return Severity.low


def rank(p: PatternFigures, now: datetime) -> float:
    hours = max(0.0, (now - p.last_seen).total_seconds() / 3600)
    volume = math.log1p(p.events_7d) + 2 * math.log1p(p.distinct_users)
    return volume * 2 ** (-hours / RANK_HALF_LIFE_HOURS)


def severity_sql(now: str = "now_") -> str:
    """SQL expression over the columns error_type, fatal_events, distinct_users, events_1h,
    events_24h, first_seen and a DateTime64 `now_` (an alias or literal)."""
    crash = f"(fatal_events > 0 OR match(error_type, '{CRASH_TYPES}'))"
    return (
        f"multiIf({crash} OR distinct_users >= {HIGH_USERS} OR events_1h >= {HIGH_EVENTS_1H}, 'High', "
        f"distinct_users >= {MED_USERS} OR events_24h >= {MED_EVENTS_24H} "
        f"OR dateDiff('millisecond', first_seen, {now}) < {NEW_HOURS * 3600 * 1000}, 'Med', 'Low')"
    )


def rank_sql(now: str = "now_") -> str:
    hours = f"greatest(0, dateDiff('millisecond', last_seen, {now}) / 3600000.0)"
    return f"(log1p(events_7d) + 2 * log1p(distinct_users)) * pow(2, -{hours} / {RANK_HALF_LIFE_HOURS})"
