"""Events as received (masked), clean events, executions, dead letters, fingerprint mapping."""

from schemas import CleanEvent, DeadLetter, ErrorEvent, ExecutionRecord, FingerprintPattern
from warehouse.ddl import create_table

STATEMENTS = [
    # Masked events as received, kept 90 days for replay and re-fingerprinting. The key ends
    # in event_id so a retried event collapses into one row (ReplacingMergeTree).
    create_table(
        "events_raw",
        ErrorEvent,
        extra_columns=(("received_at", "DateTime64(3, 'UTC') DEFAULT now64(3)"),),
        engine="ReplacingMergeTree(received_at)",
        partition_by="toYYYYMM(timestamp)",
        order_by="(project, timestamp, event_id)",
        ttl="toDateTime(timestamp) + INTERVAL 90 DAY",
        settings="non_replicated_deduplication_window = 1000",
    ),
    # Clean events: dashboards filter by project and time; the newest processing of an event
    # (ingested_at) wins, so a re-fingerprinting backfill replaces the old row.
    create_table(
        "events_clean",
        CleanEvent,
        engine="ReplacingMergeTree(ingested_at)",
        partition_by="toYYYYMM(timestamp)",
        order_by="(project, timestamp, event_id)",
        ttl="toDateTime(timestamp) + INTERVAL 400 DAY",
        indexes=(
            "idx_pattern pattern_id TYPE bloom_filter(0.01) GRANULARITY 4",
            "idx_user user_id TYPE bloom_filter(0.01) GRANULARITY 4",
        ),
        settings="non_replicated_deduplication_window = 1000",
    ),
    # Every run's outcome, for failure rates; one row per execution_id.
    create_table(
        "executions",
        ExecutionRecord,
        engine="ReplacingMergeTree",
        partition_by="toYYYYMM(timestamp)",
        order_by="(project, timestamp, execution_id)",
        ttl="toDateTime(timestamp) + INTERVAL 400 DAY",
        settings="non_replicated_deduplication_window = 1000",
    ),
    # What the pipeline could not accept, with the reason; kept 30 days for inspection.
    create_table(
        "dead_letters",
        DeadLetter,
        engine="MergeTree",
        order_by="received_at",
        ttl="toDateTime(received_at) + INTERVAL 30 DAY",
    ),
    # fingerprint -> pattern: the latest assignment of a fingerprint wins.
    create_table(
        "fingerprint_patterns",
        FingerprintPattern,
        engine="ReplacingMergeTree(assigned_at)",
        order_by="fingerprint",
    ),
]
