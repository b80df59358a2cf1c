"""The daily 09:00 report: top patterns, new patterns, regressions, MTTR; HTML by SMTP."""

import dagster as dg

from assets.defs.resources import SmtpResource, WarehouseResource


@dg.asset(
    group_name="report",
    deps=["patterns", "metrics_summary", "pattern_status_log"],
    kinds={"email"},
    description="Renders the daily HTML report from the warehouse (jinja2) and emails it "
    "(ERRORHUB_SMTP_HOST/PORT/FROM, ERRORHUB_REPORT_TO). A copy is kept under <home>/reports/.",
)
def daily_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, smtp: SmtpResource
) -> dg.MaterializeResult:
    from assets.lib import report
    from assets.lib.sql import utcnow

    now = utcnow()
    with warehouse.client() as client:
        data = report.collect(client, now)
    subject, html = report.render(data)
    out_dir = warehouse.settings().home / "reports"
    out_dir.mkdir(parents=True, exist_ok=True)
    copy = out_dir / f"daily-{now:%Y-%m-%d}.html"
    copy.write_text(html)
    recipients = smtp.recipient_list()
    message_id = report.send(
        subject,
        html,
        host=smtp.host,
        port=smtp.port,
        sender=smtp.sender,
        recipients=recipients,
        username=smtp.username,
        password=smtp.password,
        starttls=smtp.starttls,
    )
    context.log.info(f"sent {subject!r} to {', '.join(recipients)} via {smtp.host}:{smtp.port}")
    return dg.MaterializeResult(
        metadata={
            "subject": subject,
            "recipients": ", ".join(recipients),
            "message_id": message_id,
            "html_bytes": len(html),
            "copy": dg.MetadataValue.path(str(copy)),
            "top_patterns": len(data.top_patterns),
            "new_patterns": len(data.new_patterns),
            "regressions": len(data.regressions),
        }
    )


report_job = dg.define_asset_job("report_job", selection=dg.AssetSelection.assets(daily_report))

daily_report_at_0900 = dg.ScheduleDefinition(
    name="daily_report_at_0900",
    job=report_job,
    cron_schedule="0 9 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
