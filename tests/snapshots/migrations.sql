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
SELECT
    e.* EXCEPT (signature, pattern_id),
    if(m.fingerprint = '', e.pattern_id, m.pattern_id) AS pattern_id
FROM events_clean AS e FINAL
LEFT JOIN (SELECT fingerprint, pattern_id FROM fingerprint_patterns FINAL) AS m
    ON m.fingerprint = e.fingerprint;

-- 0003_metrics
CREATE TABLE IF NOT EXISTS pattern_counts
(
    `project` LowCardinality(String),
    `pattern_id` String,
    `events_1h` UInt64,
    `events_24h` UInt64,
    `events_7d` UInt64,
    `users_24h` UInt64,
    `executions_24h` UInt64,
    `project_executions_24h` UInt64,
    `failure_rate_24h` Float64,
    `computed_at` DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (project, pattern_id);

-- 0003_metrics
CREATE TABLE IF NOT EXISTS pattern_mttr
(
    `project` LowCardinality(String),
    `pattern_id` String,
    `cycle` UInt32,
    `opened_at` DateTime64(3, 'UTC'),
    `resolved_at` DateTime64(3, 'UTC'),
    `mttr_seconds` Float64,
    `reopened` Bool,
    `reopened_at` Nullable(DateTime64(3, 'UTC')),
    `computed_at` DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (project, pattern_id, cycle);

-- 0003_metrics
CREATE TABLE IF NOT EXISTS metrics_summary
(
    `project` LowCardinality(String),
    `patterns` UInt64,
    `open_patterns` UInt64,
    `resolved_patterns` UInt64,
    `reopened_patterns` UInt64,
    `reopen_rate` Float64,
    `resolutions` UInt64,
    `mttr_avg_seconds` Float64,
    `mttr_median_seconds` Float64,
    `recurrences_7d` UInt64,
    `recurrences_30d` UInt64,
    `recurrence_rate_7d` Float64,
    `recurrence_rate_30d` Float64,
    `events_24h` UInt64,
    `executions_24h` UInt64,
    `failed_executions_24h` UInt64,
    `failure_rate_24h` Float64,
    `computed_at` DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY project;

-- 0003_metrics
CREATE TABLE IF NOT EXISTS metrics_daily
(
    `day` Date,
    `project` LowCardinality(String),
    `events` UInt64,
    `users` UInt64,
    `executions` UInt64,
    `failed_executions` UInt64,
    `failure_rate` Float64,
    `active_patterns` UInt64,
    `new_patterns` UInt64,
    `resolutions` UInt64,
    `regressions` UInt64,
    `mttr_avg_seconds` Float64,
    `reopen_rate` Float64,
    `recurrences_7d` UInt64,
    `recurrences_30d` UInt64,
    `recurrence_rate_7d` Float64,
    `recurrence_rate_30d` Float64,
    `computed_at` DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
PARTITION BY toYYYYMM(day)
ORDER BY (day, project);

-- 0004_dashboard_views
CREATE OR REPLACE VIEW error_feed AS
SELECT
    e.timestamp AS timestamp,
    e.event_id AS event_id,
    e.project AS project,
    e.release AS release,
    toString(e.language) AS language,
    toString(e.level) AS level,
    toString(e.error_type) AS error_type,
    e.message AS message,
    e.canonical_msg AS canonical_msg,
    e.pattern_id AS pattern_id,
    concat(
        if(toString(e.error_type) = '', 'Error', toString(e.error_type)), ': ',
        substring(if(r.has_report = 1 AND r.canonical_msg != '', r.canonical_msg, e.canonical_msg), 1, 48)
    ) AS pattern_label,
    e.user_id AS user_id,
    e.execution_id AS execution_id,
    e.file_path AS file_path,
    e.stack_trace AS stack_trace,
    if(r.has_report = 1, toString(r.severity), 'Low') AS severity,
    if(r.has_report = 1, toString(r.status), 'Open') AS status
FROM error_events AS e
LEFT JOIN (
SELECT
    pattern_id,
    1 AS has_report,
    project,
    error_type,
    canonical_msg,
    sample_trace,
    suggested_fix_id,
    severity,
    status
FROM pattern_report
) AS r ON r.pattern_id = e.pattern_id;

-- 0004_dashboard_views
CREATE OR REPLACE VIEW pattern_explorer AS
SELECT
    a.pattern_id AS pattern_id,
    if(r.has_report = 1, toString(r.project), a.project) AS project,
    a.language AS language,
    if(r.has_report = 1 AND r.error_type != '', toString(r.error_type), a.error_type) AS error_type,
    if(r.has_report = 1 AND r.canonical_msg != '', r.canonical_msg, a.canonical_msg) AS canonical_msg,
    a.count_1h AS count_1h,
    a.count_24h AS count_24h,
    a.count_7d AS count_7d,
    a.occurrences AS occurrences,
    a.distinct_users AS distinct_users,
    if(r.has_report = 1, toString(r.severity), 'Low') AS severity,
    if(r.has_report = 1, toString(r.status), 'Open') AS status,
    a.first_seen AS first_seen,
    a.last_seen AS last_seen,
    if(r.has_report = 1 AND r.sample_trace != '', r.sample_trace, a.sample_trace) AS sample_trace,
    if(f.has_fix = 1, f.title, '') AS suggested_fix,
    if(f.has_fix = 1, f.body, '') AS suggested_fix_body,
    if(f.has_fix = 1, toString(f.source), '') AS suggested_fix_source
FROM
(
    SELECT
        pattern_id,
        toString(anyHeavy(project)) AS project,
        toString(anyHeavy(language)) AS language,
        toString(anyHeavy(error_type)) AS error_type,
        argMax(canonical_msg, timestamp) AS canonical_msg,
        countIf(timestamp >= now64(3) - INTERVAL 1 HOUR) AS count_1h,
        countIf(timestamp >= now64(3) - INTERVAL 24 HOUR) AS count_24h,
        countIf(timestamp >= now64(3) - INTERVAL 7 DAY) AS count_7d,
        count() AS occurrences,
        uniqExact(user_id) AS distinct_users,
        min(timestamp) AS first_seen,
        max(timestamp) AS last_seen,
        argMax(stack_trace, timestamp) AS sample_trace
    FROM error_events
    WHERE pattern_id != ''
    GROUP BY pattern_id
) AS a
LEFT JOIN (
SELECT
    pattern_id,
    1 AS has_report,
    project,
    error_type,
    canonical_msg,
    sample_trace,
    suggested_fix_id,
    severity,
    status
FROM pattern_report
) AS r ON r.pattern_id = a.pattern_id
LEFT JOIN
(
    SELECT
        pattern_id,
        1 AS has_fix,
        argMax(title, (score, created_at)) AS title,
        argMax(body, (score, created_at)) AS body,
        argMax(source, (score, created_at)) AS source
    FROM solutions FINAL
    GROUP BY pattern_id
) AS f ON f.pattern_id = a.pattern_id;

-- 0004_dashboard_views
CREATE OR REPLACE VIEW pattern_fixes AS
SELECT
    s.created_at AS created_at,
    s.pattern_id AS pattern_id,
    toString(s.solution_id) AS solution_id,
    toString(s.source) AS source,
    s.title AS title,
    s.body AS body,
    s.score AS score,
    if(v.has_votes = 1, v.upvotes, 0) AS upvotes,
    if(v.has_votes = 1, v.downvotes, 0) AS downvotes,
    if(r.has_report = 1, toString(r.project), '') AS project,
    if(r.has_report = 1, toString(r.severity), 'Low') AS severity
FROM solutions AS s FINAL
LEFT JOIN
(
    SELECT solution_id, 1 AS has_votes, countIf(vote > 0) AS upvotes, countIf(vote < 0) AS downvotes
    FROM feedback
    GROUP BY solution_id
) AS v ON v.solution_id = s.solution_id
LEFT JOIN (
SELECT
    pattern_id,
    1 AS has_report,
    project,
    error_type,
    canonical_msg,
    sample_trace,
    suggested_fix_id,
    severity,
    status
FROM pattern_report
) AS r ON r.pattern_id = s.pattern_id;

-- 0004_dashboard_views
CREATE OR REPLACE VIEW execution_outcomes AS
SELECT
    timestamp,
    execution_id,
    project,
    release,
    toString(language) AS language,
    user_id,
    toString(status) AS status,
    toUInt8(status != 'success') AS failed,
    duration_ms,
    exit_code,
    leftPad(toString(toHour(timestamp)), 2, '0') AS hour_of_day,
    concat(
        toString(toDayOfWeek(timestamp)), ' ',
        arrayElement(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'], toDayOfWeek(timestamp))
    ) AS weekday
FROM executions FINAL;

-- 0004_dashboard_views
CREATE OR REPLACE VIEW pattern_status_changes AS
SELECT
    l.changed_at AS changed_at,
    l.pattern_id AS pattern_id,
    toString(l.from_status) AS from_status,
    toString(l.to_status) AS to_status,
    toString(l.actor) AS actor,
    l.reason AS reason,
    toUInt8(l.to_status = 'Resolved') AS is_resolve,
    toUInt8(l.to_status = 'Regressed') AS is_reopen,
    p.project AS project,
    p.language AS language,
    p.error_type AS error_type,
    p.severity AS severity
FROM pattern_status_log AS l
LEFT JOIN pattern_explorer AS p ON p.pattern_id = l.pattern_id;

-- 0004_dashboard_views
CREATE OR REPLACE VIEW pattern_resolutions AS
SELECT
    r.changed_at AS resolved_at,
    r.pattern_id AS pattern_id,
    r.actor AS resolved_by,
    if(o.opened_at > toDateTime64(0, 3, 'UTC'), o.opened_at, NULL) AS opened_at,
    if(
        o.opened_at > toDateTime64(0, 3, 'UTC'),
        dateDiff('second', o.opened_at, r.changed_at) / 3600.0,
        NULL
    ) AS hours_to_resolve,
    toUInt8(n.changed_at > r.changed_at AND n.to_status = 'Regressed') AS reopened,
    toUInt8(x.timestamp > r.changed_at AND x.timestamp <= r.changed_at + INTERVAL 7 DAY) AS recurred_7d,
    toUInt8(x.timestamp > r.changed_at AND x.timestamp <= r.changed_at + INTERVAL 30 DAY) AS recurred_30d,
    toUInt8(r.changed_at <= now64(3) - INTERVAL 7 DAY) AS mature_7d,
    toUInt8(r.changed_at <= now64(3) - INTERVAL 30 DAY) AS mature_30d,
    p.project AS project,
    p.language AS language,
    p.error_type AS error_type,
    p.severity AS severity
FROM
(
    SELECT pattern_id, changed_at, toString(actor) AS actor
    FROM pattern_status_log
    WHERE to_status = 'Resolved'
) AS r
ASOF LEFT JOIN
(
    SELECT pattern_id, changed_at AS opened_at
    FROM pattern_status_log
    WHERE to_status IN ('Open', 'Regressed')
    UNION ALL
    SELECT pattern_id, min(timestamp) AS opened_at
    FROM error_events
    WHERE pattern_id != ''
    GROUP BY pattern_id
) AS o ON o.pattern_id = r.pattern_id AND r.changed_at >= o.opened_at
ASOF LEFT JOIN
(
    SELECT pattern_id, changed_at, toString(to_status) AS to_status
    FROM pattern_status_log
) AS n ON n.pattern_id = r.pattern_id AND n.changed_at > r.changed_at
ASOF LEFT JOIN
(
    SELECT pattern_id, timestamp
    FROM error_events
    WHERE pattern_id IN (SELECT pattern_id FROM pattern_status_log WHERE to_status = 'Resolved')
) AS x ON x.pattern_id = r.pattern_id AND x.timestamp > r.changed_at
LEFT JOIN pattern_explorer AS p ON p.pattern_id = r.pattern_id;
