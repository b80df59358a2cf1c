"""Realistic warehouse rows for the dashboards, written straight into the tables.

The pipeline (SDK → ingest → Kafka → Flink → ClickHouse → Dagster) is built in parallel, so
these tests seed what it would have written: 45 days of runs across projects, languages and
users, the errors of the failed runs grouped into patterns, Dagster's pattern statistics,
status history (resolutions, regressions), fixes and votes. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from clickhouse_connect.driver.client import Client

PROJECTS = ["notebooks", "grader", "sandbox"]
LANGUAGES = ["python", "javascript", "java", "go"]

# (language, error_type, canonical message, severity, trace template)
PATHS = {
    "python": "/home/user/main.py",
    "javascript": "/srv/job/app.js",
    "java": "/work/Main.java",
    "go": "/src/main.go",
}

PATTERN_KINDS = [
    (
        "python",
        "KeyError",
        "KeyError: '<str>'",
        "Med",
        'File "<path>", line <n>, in load_config\n    cfg["<str>"]',
    ),
    (
        "python",
        "ZeroDivisionError",
        "division by zero",
        "Low",
        'File "<path>", line <n>, in mean\n    return total / count',
    ),
    (
        "python",
        "ModuleNotFoundError",
        "No module named '<name>'",
        "High",
        'File "<path>", line <n>, in <module>\n    import <name>',
    ),
    (
        "python",
        "TypeError",
        "unsupported operand type(s) for +: 'int' and 'str'",
        "Med",
        'File "<path>", line <n>, in add\n    return a + b',
    ),
    (
        "python",
        "IndexError",
        "list index out of range",
        "Low",
        'File "<path>", line <n>, in first\n    return items[<n>]',
    ),
    (
        "python",
        "MemoryError",
        "Unable to allocate <n> GiB for an array",
        "High",
        'File "<path>", line <n>, in build\n    np.zeros(shape)',
    ),
    ("python", "TimeoutError", "execution exceeded <n>s time limit", "High", "Runner: killed after <n>s"),
    (
        "javascript",
        "TypeError",
        "Cannot read properties of undefined (reading '<name>')",
        "Med",
        "at render (<path>:<n>:<n>)\n    at main (<path>:<n>:<n>)",
    ),
    (
        "javascript",
        "ReferenceError",
        "<name> is not defined",
        "Low",
        "at Object.<anonymous> (<path>:<n>:<n>)",
    ),
    (
        "javascript",
        "SyntaxError",
        "Unexpected token '<str>'",
        "Low",
        "at wrapSafe (node:internal/modules/cjs/loader:<n>:<n>)",
    ),
    (
        "java",
        "NullPointerException",
        'Cannot invoke "String.length()" because "<name>" is null',
        "High",
        "at Main.process(Main.java:<n>)\n\tat Main.main(Main.java:<n>)",
    ),
    (
        "java",
        "ArrayIndexOutOfBoundsException",
        "Index <n> out of bounds for length <n>",
        "Med",
        "at Solution.solve(Solution.java:<n>)",
    ),
    ("java", "OutOfMemoryError", "Java heap space", "High", "at java.util.Arrays.copyOf(Arrays.java:<n>)"),
    (
        "go",
        "panic",
        "runtime error: index out of range [<n>] with length <n>",
        "High",
        "goroutine 1 [running]:\nmain.main()\n\t<path>:<n> +0x1d",
    ),
    (
        "go",
        "panic",
        "runtime error: invalid memory address or nil pointer dereference",
        "High",
        "goroutine 1 [running]:\nmain.handler()\n\t<path>:<n>",
    ),
    ("go", "CompileError", "undefined: <name>", "Low", "<path>:<n>:<n>: undefined: <name>"),
]

FIXES = {
    "KeyError": (
        "Use dict.get() with a default",
        "Replace cfg[key] with cfg.get(key, default) or check `key in cfg` first.",
    ),
    "ZeroDivisionError": ("Guard against empty input", "Return 0 (or None) when count == 0 before dividing."),
    "ModuleNotFoundError": (
        "Add the package to requirements",
        "The module is not installed in the sandbox image; add it to requirements.txt.",
    ),
    "TypeError": (
        "Convert types before combining",
        "Cast the string with int(...) / Number(...) before the operation.",
    ),
    "NullPointerException": (
        "Check for null before dereferencing",
        "Use Objects.requireNonNullElse or an early return when the value is null.",
    ),
    "panic": (
        "Check slice bounds / nil before use",
        "Compare the index with len(s) and check pointers against nil.",
    ),
    "TimeoutError": (
        "Reduce work or raise the limit",
        "Profile the hot loop; cache results; or request a longer time limit.",
    ),
}


@dataclass
class SeedSummary:
    executions: int
    failed: int
    events: int
    patterns: int
    pattern_ids: list[str]
    newest_message: str


def _fill(template: str, rng: random.Random, path: str = "/home/user/main.py") -> str:
    out = template
    for token, choices in (
        ("<path>", [path]),
        ("<str>", ["user_id", "path", "token", "limit", "mode"]),
        ("<name>", ["pandas", "items", "config", "result", "client"]),
    ):
        while token in out:
            out = out.replace(token, rng.choice(choices), 1)
    while "<n>" in out:
        out = out.replace("<n>", str(rng.randint(1, 400)), 1)
    return out


def seed(
    client: Client, *, now: datetime | None = None, days: int = 45, runs: int = 12_000, rng_seed: int = 6
) -> SeedSummary:
    """Insert runs, errors, patterns, status history, fixes and votes; returns what was written."""
    rng = random.Random(rng_seed)
    now = now or datetime.now(UTC)
    users = [f"user-{i:03d}" for i in range(60)]
    heavy_users = users[:6]

    patterns = []
    for index, (language, error_type, canonical, severity, trace) in enumerate(PATTERN_KINDS):
        project = PROJECTS[index % len(PROJECTS)]
        patterns.append(
            {
                "pattern_id": f"p{index:02d}-" + uuid.UUID(int=rng.getrandbits(128)).hex[:10],
                "project": project,
                "language": language,
                "error_type": error_type,
                "canonical_msg": canonical,
                "severity": severity,
                "trace": trace,
                # popularity: a few patterns dominate, as in real data
                "weight": 1.0 / (index + 1) ** 1.1,
            }
        )
    weights = [p["weight"] for p in patterns]

    start = now - timedelta(days=days)
    # Status history: resolutions spread over the period; some regress afterwards.
    log_rows = []
    for p in patterns:
        t = start + timedelta(days=rng.uniform(0, 5))
        state = "Open"
        while t < now - timedelta(days=1):
            t += timedelta(hours=rng.uniform(12, 24 * 9))
            if t >= now:
                break
            if state in ("Open", "Regressed"):
                nxt = "Resolved" if rng.random() < 0.85 else "Ignored"
            elif state == "Resolved":
                nxt = "Regressed" if rng.random() < 0.4 else "Open"
            else:
                nxt = "Open"
            log_rows.append([p["pattern_id"], t, rng.choice(["alice", "bob", "system"]), state, nxt,
                             "seeded"])  # fmt: skip
            state = nxt
    timelines = {p["pattern_id"]: [] for p in patterns}
    for row in log_rows:
        timelines[row[0]].append((row[1], row[4]))

    executions, events = [], []
    for _ in range(runs):
        # more runs in working hours on weekdays
        ts = start + timedelta(seconds=rng.uniform(0, days * 86400 - 120))
        if ts.weekday() >= 5 and rng.random() < 0.5:
            ts -= timedelta(days=2)
        if not 8 <= ts.hour <= 20 and rng.random() < 0.5:
            ts = ts.replace(hour=rng.randint(9, 18))
        ts = min(ts, now - timedelta(minutes=30))  # never in the future
        user = rng.choice(heavy_users) if rng.random() < 0.25 else rng.choice(users)
        pattern = rng.choices(patterns, weights)[0]
        project = pattern["project"] if rng.random() < 0.8 else rng.choice(PROJECTS)
        fail_p = 0.18 + (0.12 if ts.hour >= 17 else 0) + (0.1 if user in heavy_users else 0)
        failed = rng.random() < fail_p
        if failed and _state_at(timelines[pattern["pattern_id"]], ts) in ("Resolved", "Ignored"):
            failed = rng.random() < 0.03  # a fixed pattern still recurs now and then
        status = rng.choice(["error", "error", "error", "timeout", "killed"]) if failed else "success"
        execution_id = f"run-{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}"
        executions.append(
            [execution_id, ts, project, "r1", user, pattern["language"], status,
             rng.randint(20, 30_000), 1 if failed else 0, "c0de", uuid.UUID(int=rng.getrandbits(128))]
        )  # fmt: skip
        if failed:
            events.append(_event(rng, pattern, ts, project, user, execution_id))

    # A burst of recent errors so the 1h / 24h columns and the 24h trend have data.
    for minutes in range(0, 24 * 60, 9):
        pattern = rng.choices(patterns[:8], weights[:8])[0]
        ts = now - timedelta(minutes=minutes, seconds=rng.randint(0, 500))
        user = rng.choice(users)
        execution_id = f"run-{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}"
        executions.append(
            [execution_id, ts, pattern["project"], "r2", user, pattern["language"], "error",
             rng.randint(20, 30_000), 1, "c0de", uuid.UUID(int=rng.getrandbits(128))]
        )  # fmt: skip
        events.append(_event(rng, pattern, ts, pattern["project"], user, execution_id))

    client.insert(
        "executions",
        executions,
        column_names=["execution_id", "timestamp", "project", "release", "user_id", "language",
                      "status", "duration_ms", "exit_code", "code_hash", "record_id"],
    )  # fmt: skip
    client.insert(
        "events_clean",
        events,
        column_names=["event_id", "timestamp", "project", "release", "execution_id", "user_id",
                      "language", "level", "file_path", "error_type", "message", "stack_trace",
                      "canonical_msg", "fingerprint", "pattern_id", "ingested_at"],
    )  # fmt: skip

    # Dagster's statistics for most patterns (the last two are left to the event fallback).
    report_rows = []
    for p in patterns[:-2]:
        mine = [e for e in events if e[14] == p["pattern_id"]]
        if not mine:
            continue
        report_rows.append(
            [p["pattern_id"], p["project"], p["error_type"], p["canonical_msg"],
             min(e[1] for e in mine), max(e[1] for e in mine), len(mine),
             len({e[5] for e in mine}), _fill(p["trace"], rng, PATHS[p["language"]]), "", p["severity"],
             float(len(mine))]
        )  # fmt: skip
    client.insert(
        "patterns",
        report_rows,
        column_names=["pattern_id", "project", "error_type", "canonical_msg", "first_seen",
                      "last_seen", "occurrences", "distinct_users", "sample_trace",
                      "suggested_fix_id", "severity", "rank"],
    )  # fmt: skip

    client.insert(
        "pattern_status_log",
        log_rows,
        column_names=["pattern_id", "changed_at", "actor", "from_status", "to_status", "reason"],
    )

    solution_rows, feedback_rows = [], []
    for p in patterns:
        fix = FIXES.get(p["error_type"])
        if not fix:
            continue
        for source, score in (("rule", 0.9), ("similar", 0.6)):
            solution_id = uuid.UUID(int=rng.getrandbits(128))
            title = fix[0] if source == "rule" else f"Similar resolved issue: {fix[0].lower()}"
            solution_rows.append([solution_id, p["pattern_id"], source, title, fix[1], score,
                                  now - timedelta(days=rng.uniform(1, 30))])  # fmt: skip
            for _ in range(rng.randint(0, 6)):
                feedback_rows.append([uuid.UUID(int=rng.getrandbits(128)), solution_id,
                                      p["pattern_id"], rng.choice(users),
                                      1 if rng.random() < 0.75 else -1, "",
                                      now - timedelta(days=rng.uniform(0, 20))])  # fmt: skip
    client.insert(
        "solutions",
        solution_rows,
        column_names=["solution_id", "pattern_id", "source", "title", "body", "score", "created_at"],
    )
    client.insert(
        "feedback",
        feedback_rows,
        column_names=["feedback_id", "solution_id", "pattern_id", "user_id", "vote", "comment",
                      "created_at"],
    )  # fmt: skip

    newest = max(events, key=lambda e: e[1])
    return SeedSummary(
        executions=len(executions),
        failed=sum(1 for e in executions if e[6] != "success"),
        events=len(events),
        patterns=len({e[14] for e in events}),
        pattern_ids=[p["pattern_id"] for p in patterns],
        newest_message=newest[10],
    )


def _state_at(timeline: list[tuple[datetime, str]], ts: datetime) -> str:
    state = "Open"
    for changed_at, to_status in timeline:
        if changed_at > ts:
            break
        state = to_status
    return state


def _event(
    rng: random.Random, pattern: dict, ts: datetime, project: str, user: str, execution_id: str
) -> list:
    message = _fill(pattern["canonical_msg"], rng)
    return [
        uuid.UUID(int=rng.getrandbits(128)), ts, project, "r1", execution_id, user,
        pattern["language"], "error", PATHS[pattern["language"]], pattern["error_type"],
        message, _fill(pattern["trace"], rng, PATHS[pattern["language"]]), pattern["canonical_msg"],
        f"fp-{pattern['pattern_id']}", pattern["pattern_id"], ts + timedelta(seconds=2),
    ]  # fmt: skip


def insert_error(
    client: Client,
    *,
    message: str,
    project: str = "notebooks",
    language: str = "python",
    error_type: str = "RuntimeError",
    pattern_id: str = "",
    when: datetime | None = None,
) -> None:
    """One new clean event, as the pipeline would write it (for the auto-refresh check)."""
    when = when or datetime.now(UTC)
    client.insert(
        "events_clean",
        [[uuid.uuid4(), when, project, "r9", "run-live", "user-live", language, "error",
          "/home/user/live.py", error_type, message, "Traceback (most recent call last): ...",
          message, "fp-live", pattern_id, when]],
        column_names=["event_id", "timestamp", "project", "release", "execution_id", "user_id",
                      "language", "level", "file_path", "error_type", "message", "stack_trace",
                      "canonical_msg", "fingerprint", "pattern_id", "ingested_at"],
    )  # fmt: skip
