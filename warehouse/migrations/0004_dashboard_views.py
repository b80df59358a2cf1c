"""Views behind the Superset dashboards, also meant for analysts (SQL Lab, clickhouse-connect).

Events are read through `error_events`, so each carries its current pattern (after merges).
Every view works without Dagster's tables: when Dagster has not yet computed a pattern's
statistics (`patterns`), the event-derived values stand in (severity `Low`, status `Open`).
Every view carries `project`, `language` and `severity` where they make sense, so one
dashboard filter applies to all its charts. Times are UTC.

- error_feed             one row per clean event, with its pattern's label, severity, status
- pattern_explorer       one row per pattern: counts 1h/24h/7d, users, severity, status,
                         last seen, sample trace, suggested fix
- pattern_fixes          recommended fixes with their 👍/👎 counts
- execution_outcomes     one row per run: failed flag, hour of day and weekday labels
- pattern_status_changes the status log with the pattern's dimensions
- pattern_resolutions    one row per resolution: time to resolve, reopened, recurred 7d/30d
"""

_PATTERN_FACTS = """
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
"""

STATEMENTS = [
    # One row per clean event (deduplicated), labelled with its pattern.
    f"""CREATE OR REPLACE VIEW error_feed AS
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
LEFT JOIN ({_PATTERN_FACTS}) AS r ON r.pattern_id = e.pattern_id""",
    # One row per pattern seen in events; counts are relative to now().
    f"""CREATE OR REPLACE VIEW pattern_explorer AS
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
LEFT JOIN ({_PATTERN_FACTS}) AS r ON r.pattern_id = a.pattern_id
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
) AS f ON f.pattern_id = a.pattern_id""",
    # Recommended fixes and their votes.
    f"""CREATE OR REPLACE VIEW pattern_fixes AS
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
LEFT JOIN ({_PATTERN_FACTS}) AS r ON r.pattern_id = s.pattern_id""",
    # One row per run (deduplicated) with what the failure-rate charts group by.
    """CREATE OR REPLACE VIEW execution_outcomes AS
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
FROM executions FINAL""",
    # The status log with each pattern's dimensions.
    """CREATE OR REPLACE VIEW pattern_status_changes AS
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
LEFT JOIN pattern_explorer AS p ON p.pattern_id = l.pattern_id""",
    # One row per resolution: how long the pattern was open before, whether the next status
    # change reopened it (Regressed), and whether it occurred again within 7 / 30 days.
    # mature_7d / mature_30d say whether that window has fully passed.
    """CREATE OR REPLACE VIEW pattern_resolutions AS
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
LEFT JOIN pattern_explorer AS p ON p.pattern_id = r.pattern_id""",
]
