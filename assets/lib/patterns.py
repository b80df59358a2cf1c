"""Pattern clustering and statistics in the warehouse: read fingerprints, write the merged
mapping, then recompute every pattern's row of `patterns` in one SQL statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clickhouse_connect.driver.client import Client

from assets.lib.clustering import ClusterResult, FingerprintRow, cluster
from assets.lib.severity import rank_sql, severity_sql
from assets.lib.sql import FINAL_SETTINGS, ts

ASSIGNED_BY = "dagster"


def load_fingerprints(client: Client) -> list[FingerprintRow]:
    """Every fingerprint with its signature, first_seen and current pattern.

    Signatures come from the mapping table (one row per fingerprint); only fingerprints the
    stream never mapped read theirs from events_clean.
    """
    first_seen = dict(
        client.query(
            "SELECT fingerprint, min(timestamp) FROM events_clean "
            "WHERE fingerprint != '' GROUP BY fingerprint"
        ).result_rows
    )
    rows: dict[str, FingerprintRow] = {}
    for fp, pid, sig, assigned_at in client.query(
        "SELECT fingerprint, pattern_id, signature, assigned_at FROM fingerprint_patterns FINAL"
    ).result_rows:
        rows[fp] = FingerprintRow(fp, sig, first_seen.get(fp, assigned_at), pid)
    unmapped = [fp for fp in first_seen if fp not in rows]
    if unmapped:
        for fp, sig in client.query(
            "SELECT fingerprint, any(signature) FROM events_clean "
            "WHERE fingerprint IN {fps:Array(String)} GROUP BY fingerprint",
            parameters={"fps": unmapped},
        ).result_rows:
            rows[fp] = FingerprintRow(fp, sig, first_seen[fp], "")
    return list(rows.values())


def write_mapping(client: Client, rows: list[FingerprintRow], result: ClusterResult, now: datetime) -> int:
    """Append a mapping row for every new or moved fingerprint (latest assigned_at wins)."""
    by_fp = {r.fingerprint: r for r in rows}
    data = [[fp, pid, list(by_fp[fp].signature), now, ASSIGNED_BY] for fp, pid in result.changed.items()]
    if data:
        client.insert(
            "fingerprint_patterns",
            data,
            column_names=["fingerprint", "pattern_id", "signature", "assigned_at", "assigned_by"],
        )
    return len(data)


def recluster(client: Client, threshold: float, now: datetime) -> tuple[ClusterResult, int]:
    rows = load_fingerprints(client)
    result = cluster(rows, threshold)
    written = write_mapping(client, rows, result, now)
    return result, written


_PATTERNS_SQL = """
INSERT INTO patterns
    (pattern_id, project, error_type, canonical_msg, first_seen, last_seen, occurrences,
     distinct_users, sample_trace, suggested_fix_id, severity, rank, updated_at)
SELECT pattern_id, project, error_type, canonical_msg, first_seen, last_seen, occurrences,
       distinct_users, sample_trace, suggested_fix_id, {severity} AS severity, {rank} AS rank, now_
FROM
(
    SELECT
        m.pattern_id AS pattern_id,
        f.project AS project,
        toString(argMax(f.error_type, f.n)) AS error_type,
        argMax(f.canonical_msg, f.n) AS canonical_msg,
        min(f.first_seen) AS first_seen,
        max(f.last_seen) AS last_seen,
        sum(f.n) AS occurrences,
        uniqExactMerge(f.users) AS distinct_users,
        argMax(f.sample_trace, f.n) AS sample_trace,
        coalesce(any(s.solution_id), '') AS suggested_fix_id,
        sum(f.fatal) AS fatal_events,
        sum(f.n_1h) AS events_1h,
        sum(f.n_24h) AS events_24h,
        sum(f.n_7d) AS events_7d,
        {now} AS now_
    FROM
    (
        SELECT
            project,
            fingerprint,
            count() AS n,
            uniqExactStateIf(user_id, user_id != '') AS users,
            min(timestamp) AS first_seen,
            max(timestamp) AS last_seen,
            countIf(level = 'fatal') AS fatal,
            countIf(timestamp > {now} - INTERVAL 1 HOUR) AS n_1h,
            countIf(timestamp > {now} - INTERVAL 24 HOUR) AS n_24h,
            countIf(timestamp > {now} - INTERVAL 7 DAY) AS n_7d,
            any(error_type) AS error_type,
            any(canonical_msg) AS canonical_msg,
            any(stack_trace) AS sample_trace
        FROM events_clean FINAL
        WHERE fingerprint != ''
        GROUP BY project, fingerprint
    ) AS f
    INNER JOIN (SELECT fingerprint, pattern_id FROM fingerprint_patterns FINAL) AS m
        ON m.fingerprint = f.fingerprint
    LEFT JOIN
    (
        SELECT pattern_id, toNullable(argMax(toString(solution_id), (score, created_at))) AS solution_id
        FROM solutions FINAL GROUP BY pattern_id
    ) AS s ON s.pattern_id = m.pattern_id
    GROUP BY m.pattern_id, f.project
)
"""


@dataclass(frozen=True)
class PatternStats:
    patterns: int
    removed: int
    by_severity: dict[str, int]


def refresh_patterns(client: Client, now: datetime) -> PatternStats:
    """Recompute every (project, pattern) row as of `now`, then drop rows of older runs
    (patterns merged away). Re-running with the same `now` gives the same rows."""
    sql = _PATTERNS_SQL.format(severity=severity_sql("now_"), rank=rank_sql("now_"), now=ts(now))
    client.command(sql, settings=FINAL_SETTINGS)
    removed = client.command(f"SELECT count() FROM patterns WHERE updated_at < {ts(now)}")
    client.command(f"DELETE FROM patterns WHERE updated_at < {ts(now)}")
    counts = dict(
        client.query(
            f"SELECT severity, count() FROM patterns FINAL WHERE updated_at = {ts(now)} GROUP BY severity"
        ).result_rows
    )
    return PatternStats(sum(counts.values()), int(removed), {str(k): int(v) for k, v in counts.items()})
