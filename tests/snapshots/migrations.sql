-- 0001_events
CREATE TABLE IF NOT EXISTS events_raw
(
    `event_id` UUID,
    `timestamp` DateTime64(3, 'UTC'),
    `project` LowCardinality(String),
    `release` LowCardinality(String),
    `execution_id` String,
    `user_id` String,
    `language` LowCardinality(String),
    `level` LowCardinality(String),
    `file_path` String,
    `code_hash` String,
    `error_type` String,
    `message` String,
    `stack_trace` String,
    `snippet` String,
    `env` Map(String, String),
    `tags` Map(String, String),
    `fingerprint` String,
    `pattern_id` String,
    `received_at` DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(received_at)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (project, timestamp, event_id)
TTL toDateTime(timestamp) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 1000;

-- 0001_events
CREATE TABLE IF NOT EXISTS events_clean
(
    `event_id` UUID,
    `timestamp` DateTime64(3, 'UTC'),
    `project` LowCardinality(String),
    `release` LowCardinality(String),
    `execution_id` String,
    `user_id` String,
    `language` LowCardinality(String),
    `level` LowCardinality(String),
    `file_path` String,
    `code_hash` String,
    `error_type` LowCardinality(String),
    `message` String,
    `stack_trace` String,
    `snippet` String,
    `env` Map(String, String),
    `tags` Map(String, String),
    `canonical_msg` String,
    `frames` Array(String),
    `fingerprint` String,
    `signature` Array(UInt32),
    `pattern_id` String,
    `ingested_at` DateTime64(3, 'UTC'),
    INDEX idx_pattern pattern_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_user user_id TYPE bloom_filter(0.01) GRANULARITY 4
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(timestamp)
ORDER BY (project, timestamp, event_id)
TTL toDateTime(timestamp) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000;

-- 0001_events
CREATE TABLE IF NOT EXISTS executions
(
    `execution_id` String,
    `timestamp` DateTime64(3, 'UTC'),
    `project` LowCardinality(String),
    `release` LowCardinality(String),
    `user_id` String,
    `language` LowCardinality(String),
    `status` LowCardinality(String),
    `duration_ms` UInt32,
    `exit_code` Int32,
    `code_hash` String,
    `record_id` UUID
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(timestamp)
ORDER BY (project, timestamp, execution_id)
TTL toDateTime(timestamp) + INTERVAL 400 DAY
SETTINGS non_replicated_deduplication_window = 1000;

-- 0001_events
CREATE TABLE IF NOT EXISTS dead_letters
(
    `payload` String,
    `reason` String,
    `source` LowCardinality(String),
    `source_offset` Int64,
    `received_at` DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY received_at
TTL toDateTime(received_at) + INTERVAL 30 DAY;

-- 0001_events
CREATE TABLE IF NOT EXISTS fingerprint_patterns
(
    `fingerprint` String,
    `pattern_id` String,
    `signature` Array(UInt32),
    `assigned_at` DateTime64(3, 'UTC'),
    `assigned_by` LowCardinality(String)
)
ENGINE = ReplacingMergeTree(assigned_at)
ORDER BY fingerprint;

-- 0002_patterns
CREATE TABLE IF NOT EXISTS patterns
(
    `pattern_id` String,
    `project` LowCardinality(String),
    `error_type` LowCardinality(String),
    `canonical_msg` String,
    `first_seen` DateTime64(3, 'UTC'),
    `last_seen` DateTime64(3, 'UTC'),
    `occurrences` UInt64,
    `distinct_users` UInt64,
    `sample_trace` String,
    `suggested_fix_id` String,
    `severity` LowCardinality(String),
    `rank` Float64,
    `updated_at` DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (project, pattern_id);

-- 0002_patterns
CREATE TABLE IF NOT EXISTS pattern_status_log
(
    `pattern_id` String,
    `changed_at` DateTime64(3, 'UTC'),
    `actor` LowCardinality(String),
    `from_status` LowCardinality(String),
    `to_status` LowCardinality(String),
    `reason` String
)
ENGINE = MergeTree
ORDER BY (pattern_id, changed_at);

-- 0002_patterns
CREATE TABLE IF NOT EXISTS solutions
(
    `solution_id` UUID,
    `pattern_id` String,
    `source` LowCardinality(String),
    `title` String,
    `body` String,
    `score` Float64,
    `created_at` DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY (pattern_id, solution_id);

-- 0002_patterns
CREATE TABLE IF NOT EXISTS feedback
(
    `feedback_id` UUID,
    `solution_id` UUID,
    `pattern_id` String,
    `user_id` String,
    `vote` Int8,
    `comment` String,
    `created_at` DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (solution_id, created_at);

-- 0002_patterns
CREATE TABLE IF NOT EXISTS alert_rules
(
    `rule_id` UUID,
    `name` String,
    `project` LowCardinality(String),
    `condition` LowCardinality(String),
    `threshold` Float64,
    `window_minutes` UInt32,
    `min_severity` LowCardinality(String),
    `channels` Array(LowCardinality(String)),
    `targets` Map(String, String),
    `enabled` Bool,
    `updated_at` DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY rule_id;

-- 0002_patterns
CREATE TABLE IF NOT EXISTS alert_log
(
    `alert_id` UUID,
    `rule_id` UUID,
    `pattern_id` String,
    `channel` LowCardinality(String),
    `fired_at` DateTime64(3, 'UTC'),
    `delivered` Bool,
    `error` String
)
ENGINE = MergeTree
ORDER BY fired_at
TTL toDateTime(fired_at) + INTERVAL 180 DAY;

-- 0002_patterns
CREATE OR REPLACE VIEW pattern_status AS
SELECT
    pattern_id,
    argMax(to_status, changed_at) AS status,
    max(changed_at) AS status_changed_at
FROM pattern_status_log
GROUP BY pattern_id;

-- 0002_patterns
CREATE OR REPLACE VIEW pattern_report AS
SELECT
    p.pattern_id AS pattern_id,
    p.project AS project,
    p.error_type AS error_type,
    p.canonical_msg AS canonical_msg,
    p.first_seen AS first_seen,
    p.last_seen AS last_seen,
    p.occurrences AS occurrences,
    p.distinct_users AS distinct_users,
    p.sample_trace AS sample_trace,
    p.suggested_fix_id AS suggested_fix_id,
    p.severity AS severity,
    p.rank AS rank,
    if(s.pattern_id = '', 'Open', s.status) AS status,
    s.status_changed_at AS status_changed_at
FROM patterns AS p FINAL
LEFT JOIN pattern_status AS s ON s.pattern_id = p.pattern_id;

-- 0002_patterns
CREATE OR REPLACE VIEW error_events AS
SELECT * EXCEPT (signature)
FROM events_clean FINAL;
