"""A small warehouse history whose patterns, MTTR, reopen rate and recurrence are known by
construction. Times are relative to an anchor T (just before now); expected values are
written out by hand in the tests, from the table below, never computed by the code under test.

fingerprint  pattern (stream)  project  events (time: user, execution)
fpA1         pA1               alpha    T-10d u1 x0, T-2d u2 x0, T-30min u1 e1      (resolved T-1d)
fpA2         pA2 (near-dup A1) alpha    T-5d u3 x0, T-3h u4 e2                     → merged into pA1
fpB          pB                alpha    T-20d u5 x0, T-15d u5 x0                   (resolved T-14d)
fpC          pC                beta     T-40d u6 x0, T-3d u6 x0 (resolved T-35d, regr. T-3d, resolved T-2d)
fpD          pD                alpha    T-2h u7 e3, level fatal                    (ignored T-1h)
fpE          (unmapped)        beta     T-5h u8 e4

executions in the last 24 h: alpha e1 error, e2 success, e3 success, e5 success; beta e4 error, e6 killed;
one older alpha execution (T-2d, error) outside every 24 h window.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import numpy as np

from pipelines.engine.fingerprint import pattern_id_for

D, H, M = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)


def anchor() -> datetime:
    now = datetime.now(UTC) - timedelta(seconds=30)
    t = now.replace(microsecond=now.microsecond // 1000 * 1000)
    if t.time() == datetime.min.time():  # keep T-2d strictly inside its UTC day
        t -= timedelta(milliseconds=1)
    return t


def signatures() -> dict[str, list[int]]:
    rng = np.random.RandomState(7)
    base = [rng.randint(0, 2**32, 128, dtype=np.uint64).astype(np.uint32) for _ in range(5)]
    near = base[0].copy()
    near[[3, 40, 77, 120]] ^= np.uint32(0xFFFF)  # 124/128 equal → similarity 0.97
    sig = {"fpA1": base[0], "fpA2": near, "fpB": base[1], "fpC": base[2], "fpD": base[3], "fpE": base[4]}
    return {k: [int(x) for x in v] for k, v in sig.items()}


PATTERN_E = pattern_id_for("fpE")

EVENTS = [  # (fingerprint, project, age, user, execution, level, error_type)
    ("fpA1", "alpha", 10 * D, "u1", "x0", "error", "ValueError"),
    ("fpA1", "alpha", 2 * D, "u2", "x0", "error", "ValueError"),
    ("fpA1", "alpha", 30 * M, "u1", "e1", "error", "ValueError"),
    ("fpA2", "alpha", 5 * D, "u3", "x0", "error", "ValueError"),
    ("fpA2", "alpha", 3 * H, "u4", "e2", "error", "ValueError"),
    ("fpB", "alpha", 20 * D, "u5", "x0", "error", "KeyError"),
    ("fpB", "alpha", 15 * D, "u5", "x0", "error", "KeyError"),
    ("fpC", "beta", 40 * D, "u6", "x0", "error", "TimeoutError"),
    ("fpC", "beta", 3 * D, "u6", "x0", "error", "TimeoutError"),
    ("fpD", "alpha", 2 * H, "u7", "e3", "fatal", "RuntimeError"),
    ("fpE", "beta", 5 * H, "u8", "e4", "error", "IndexError"),
]

MAPPING = [
    ("fpA1", "pA1", 10 * D),
    ("fpA2", "pA2", 5 * D),
    ("fpB", "pB", 20 * D),
    ("fpC", "pC", 40 * D),
    ("fpD", "pD", 2 * H),
]

STATUS = [  # (pattern, age, from, to)
    ("pB", 14 * D, "Open", "Resolved"),
    ("pC", 35 * D, "Open", "Resolved"),
    ("pC", 3 * D, "Resolved", "Regressed"),
    ("pC", 2 * D, "Regressed", "Resolved"),
    ("pA1", 1 * D, "Open", "Resolved"),
    ("pD", 1 * H, "Open", "Ignored"),
]

EXECUTIONS = [  # (execution, project, age, status)
    ("e1", "alpha", 30 * M, "error"),
    ("e2", "alpha", 3 * H, "success"),
    ("e3", "alpha", 2 * H, "success"),
    ("e5", "alpha", 6 * H, "success"),
    ("e4", "beta", 5 * H, "error"),
    ("e6", "beta", 7 * H, "killed"),
    ("x9", "alpha", 2 * D, "error"),
]


def seed(client, t: datetime) -> None:
    sig = signatures()
    cols = [
        "event_id",
        "timestamp",
        "project",
        "language",
        "user_id",
        "execution_id",
        "level",
        "error_type",
        "message",
        "canonical_msg",
        "fingerprint",
        "signature",
        "stack_trace",
        "pattern_id",
        "ingested_at",
    ]
    rows = []
    for fp, project, age, user, execution, level, etype in EVENTS:
        msg = f"{etype}: failure in {fp}"
        rows.append(
            [
                uuid.uuid4(),
                t - age,
                project,
                "python",
                user,
                execution,
                level,
                etype,
                msg,
                msg,
                fp,
                sig[fp],
                f"Traceback for {fp}",
                "",
                t - age,
            ]
        )
    client.insert("events_clean", rows, column_names=cols)
    client.insert(
        "fingerprint_patterns",
        [[fp, pid, sig[fp], t - age, "stream"] for fp, pid, age in MAPPING],
        column_names=["fingerprint", "pattern_id", "signature", "assigned_at", "assigned_by"],
    )
    client.insert(
        "pattern_status_log",
        [[pid, t - age, "alice", frm, to, "seed"] for pid, age, frm, to in STATUS],
        column_names=["pattern_id", "changed_at", "actor", "from_status", "to_status", "reason"],
    )
    client.insert(
        "executions",
        [[e, t - age, project, status] for e, project, age, status in EXECUTIONS],
        column_names=["execution_id", "timestamp", "project", "status"],
    )
