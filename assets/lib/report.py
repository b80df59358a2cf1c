"""The daily report: read the warehouse, render HTML with jinja2, send it by SMTP."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import jinja2
from clickhouse_connect.driver.client import Client

from assets.lib.metrics import summary_rows
from assets.lib.sql import ts
from schemas.metrics import ALL_PROJECTS, MetricsSummary

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class ReportData:
    generated_at: datetime
    since: datetime
    top_patterns: list[dict]
    new_patterns: list[dict]
    regressions: list[dict]
    summary: list[MetricsSummary] = field(default_factory=list)

    @property
    def overall(self) -> MetricsSummary | None:
        return next((s for s in self.summary if s.project == ALL_PROJECTS), None)


def _rows(client: Client, sql: str) -> list[dict]:
    result = client.query(sql)
    return [dict(zip(result.column_names, row, strict=True)) for row in result.result_rows]


_PATTERN_COLUMNS = (
    "pattern_id, toString(project) AS project, toString(severity) AS severity, toString(status) AS status, "
    "toString(error_type) AS error_type, substring(canonical_msg, 1, 160) AS message, occurrences, "
    "distinct_users, first_seen, last_seen, round(rank, 2) AS rank"
)


def collect(client: Client, now: datetime, top: int = 10) -> ReportData:
    since = now - timedelta(days=1)
    return ReportData(
        generated_at=now,
        since=since,
        top_patterns=_rows(
            client,
            f"SELECT {_PATTERN_COLUMNS} FROM pattern_report WHERE status IN ('Open', 'Regressed') "
            f"ORDER BY rank DESC, pattern_id LIMIT {int(top)}",
        ),
        new_patterns=_rows(
            client,
            f"SELECT {_PATTERN_COLUMNS} FROM pattern_report WHERE first_seen > {ts(since)} "
            f"ORDER BY occurrences DESC, pattern_id LIMIT {int(top)}",
        ),
        regressions=_rows(
            client,
            f"SELECT l.pattern_id AS pattern_id, l.changed_at AS changed_at, l.reason AS reason, "
            f"toString(r.error_type) AS error_type, substring(r.canonical_msg, 1, 160) AS message "
            f"FROM pattern_status_log AS l LEFT JOIN pattern_report AS r ON r.pattern_id = l.pattern_id "
            f"WHERE l.to_status = 'Regressed' AND l.changed_at > {ts(since)} AND l.changed_at <= {ts(now)} "
            f"ORDER BY l.changed_at DESC LIMIT 50",
        ),
        summary=summary_rows(client, now),
    )


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds else "-"


def render(data: ReportData) -> tuple[str, str]:
    """(subject, html)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["hours"] = _hours
    env.filters["pct"] = lambda v: f"{v * 100:.1f}%"
    html = env.get_template("daily_report.html.j2").render(data=data, all_projects=ALL_PROJECTS)
    overall = data.overall
    open_count = overall.open_patterns if overall else 0
    subject = (
        f"errorhub daily report {data.generated_at:%Y-%m-%d}: {open_count} open patterns, "
        f"{len(data.new_patterns)} new, {len(data.regressions)} regressed"
    )
    return subject, html


def send(
    subject: str,
    html: str,
    *,
    host: str,
    port: int,
    sender: str,
    recipients: list[str],
    username: str = "",
    password: str = "",
    starttls: bool = False,
    timeout: float = 30.0,
) -> str:
    """Send the HTML mail; returns the Message-ID."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Message-ID"] = f"<daily-report-{datetime.now().timestamp():.0f}@errorhub>"
    message.set_content("This report is HTML; open it in a mail client that shows HTML.")
    message.add_alternative(html, subtype="html")
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        if starttls:
            smtp.starttls()
        if username:
            smtp.login(username, password)
        smtp.send_message(message)
    return message["Message-ID"]
