"""Small helpers for the SQL the assets run: literals and the deduplicated-read setting."""

from __future__ import annotations

from datetime import UTC, date, datetime

# events_clean / executions are ReplacingMergeTrees partitioned by month with the timestamp in
# the key: duplicates of one event always share a partition, so FINAL need not merge across.
FINAL_SETTINGS = {"do_not_merge_across_partitions_select_final": 1}


def ts(value: datetime) -> str:
    """A DateTime64(3, 'UTC') literal (values are produced by us, never by users)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime; use UTC-aware datetimes")
    text = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return f"toDateTime64('{text}', 3, 'UTC')"


def day(value: date) -> str:
    return f"toDate('{value.isoformat()}')"


def utcnow() -> datetime:
    """Now, truncated to milliseconds (the warehouse's precision)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
