import dagster as dg

from assets.defs.report.assets import daily_report, daily_report_at_0900, report_job

defs = dg.Definitions(assets=[daily_report], jobs=[report_job], schedules=[daily_report_at_0900])
