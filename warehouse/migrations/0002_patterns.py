"""Patterns, their status history, fixes and feedback, alerts; the analysts' report view."""

from schemas import (
    AlertLogEntry,
    AlertRule,
    Feedback,
    PatternReport,
    PatternStatusChange,
    Solution,
)
from warehouse.ddl import column_names, create_table

_STATS = [c for c in column_names(PatternReport) if c != "status"]

STATEMENTS = [
    # Pattern statistics, recomputed by Dagster; one row per pattern (latest computation wins).
    create_table(
        "patterns",
        PatternReport,
        exclude=("status",),
        extra_columns=(("updated_at", "DateTime64(3, 'UTC') DEFAULT now64(3)"),),
        engine="ReplacingMergeTree(updated_at)",
        order_by="(project, pattern_id)",
    ),
    # Audit log of status changes: append-only, read per pattern in time order.
    create_table(
        "pattern_status_log",
        PatternStatusChange,
        engine="MergeTree",
        order_by="(pattern_id, changed_at)",
    ),
    create_table(
        "solutions",
        Solution,
        engine="ReplacingMergeTree(created_at)",
        order_by="(pattern_id, solution_id)",
    ),
    create_table(
        "feedback",
        Feedback,
        engine="MergeTree",
        order_by="(solution_id, created_at)",
    ),
    create_table(
        "alert_rules",
        AlertRule,
        engine="ReplacingMergeTree(updated_at)",
        order_by="rule_id",
    ),
    create_table(
        "alert_log",
        AlertLogEntry,
        engine="MergeTree",
        order_by="fired_at",
        ttl="toDateTime(fired_at) + INTERVAL 180 DAY",
    ),
    # Current status per pattern: the last entry of its status log.
    """CREATE OR REPLACE VIEW pattern_status AS
SELECT
    pattern_id,
    argMax(to_status, changed_at) AS status,
    max(changed_at) AS status_changed_at
FROM pattern_status_log
GROUP BY pattern_id""",
    # The pattern report: statistics plus current status (Open when never changed).
    "CREATE OR REPLACE VIEW pattern_report AS\nSELECT\n"
    + ",\n".join(f"    p.{c} AS {c}" for c in _STATS)
    + ",\n    if(s.pattern_id = '', 'Open', s.status) AS status"
    + ",\n    s.status_changed_at AS status_changed_at"
    + "\nFROM patterns AS p FINAL\nLEFT JOIN pattern_status AS s ON s.pattern_id = p.pattern_id",
    # Clean events, deduplicated, without the MinHash signature, each with its CURRENT pattern:
    # the fingerprint mapping wins over the id the stream stamped, so merges show everywhere.
    """CREATE OR REPLACE VIEW error_events AS
SELECT
    e.* EXCEPT (signature, pattern_id),
    if(m.fingerprint = '', e.pattern_id, m.pattern_id) AS pattern_id
FROM events_clean AS e FINAL
LEFT JOIN (SELECT fingerprint, pattern_id FROM fingerprint_patterns FINAL) AS m
    ON m.fingerprint = e.fingerprint""",
]
