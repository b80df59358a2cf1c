"""errorhub's Superset configuration, loaded by Superset through SUPERSET_CONFIG_PATH.

This file runs inside the Superset environment (envs/superset/.venv), not the main one, so
it imports nothing from errorhub: everything it needs arrives as environment variables set
by `dashboards.service.superset_service` (or by hand):

- SUPERSET_HOME                      folder for Superset's state (metadata DB, uploads)
- ERRORHUB_SUPERSET_SECRET_KEY       Flask secret key (required; generated into .env)
- ERRORHUB_SUPERSET_DATABASE_URI     optional metadata DB URI (e.g. postgresql://...);
                                     default: SQLite at $SUPERSET_HOME/superset.db
- ERRORHUB_SUPERSET_REFRESH_LIMIT    optional, seconds (0 = no limit on dashboard auto-refresh)
"""

from __future__ import annotations

import os
from pathlib import Path

_HOME = Path(os.environ.get("SUPERSET_HOME") or Path.cwd() / "var" / "superset")
_HOME.mkdir(parents=True, exist_ok=True)

# --- secrets and metadata database ------------------------------------------------------
SECRET_KEY = os.environ.get("ERRORHUB_SUPERSET_SECRET_KEY") or os.environ.get("SUPERSET_SECRET_KEY")
if not SECRET_KEY:
    raise RuntimeError(
        "ERRORHUB_SUPERSET_SECRET_KEY is not set: run errorhub once to generate .env, "
        "or export it before starting Superset"
    )

SQLALCHEMY_DATABASE_URI = os.environ.get("ERRORHUB_SUPERSET_DATABASE_URI") or (
    f"sqlite:///{_HOME / 'superset.db'}?check_same_thread=false"
)
DATA_DIR = str(_HOME)
UPLOAD_FOLDER = str(_HOME / "uploads") + "/"

# --- features -----------------------------------------------------------------------------
FEATURE_FLAGS = {
    # Native filters and cross filters are always on in Superset 6; the flags are kept so the
    # intent is explicit should a version gate them again.
    "DASHBOARD_NATIVE_FILTERS": True,
    "DASHBOARD_CROSS_FILTERS": True,
    # Render every chart of a dashboard, not only those scrolled into view: auto-refresh and
    # full-page screenshots then cover all of them.
    "DASHBOARD_VIRTUALIZATION": False,
    # Jinja in SQL Lab / virtual datasets ({{ from_dttm }} etc.) for analysts.
    "ENABLE_TEMPLATE_PROCESSING": True,
    # Things that need a worker, a browser farm or outbound mail: off.
    "ALERT_REPORTS": False,
    "THUMBNAILS": False,
    "EMBEDDED_SUPERSET": False,
}

# SQL Lab: synchronous queries against the warehouse (no Celery worker here).
SQLLAB_TIMEOUT = 60
SQLLAB_ASYNC_TIME_LIMIT_SEC = 300
SUPERSET_WEBSERVER_TIMEOUT = 120
SQL_MAX_ROW = 100_000
DISPLAY_MAX_ROW = 10_000

# CSV export of chart data and SQL Lab results.
CSV_EXPORT = {"encoding": "utf-8-sig"}
ALLOWED_EXTENSIONS = {"csv", "tsv", "xlsx"}

# Dashboards refresh every few seconds: no query result cache, so a refresh shows new rows.
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
FILTER_STATE_CACHE_CONFIG = {
    "CACHE_TYPE": "SimpleCache",
    "CACHE_DEFAULT_TIMEOUT": 86400,
}
EXPLORE_FORM_DATA_CACHE_CONFIG = {
    "CACHE_TYPE": "SimpleCache",
    "CACHE_DEFAULT_TIMEOUT": 86400,
}
SUPERSET_DASHBOARD_PERIODICAL_REFRESH_LIMIT = int(os.environ.get("ERRORHUB_SUPERSET_REFRESH_LIMIT", "0"))

# --- no outbound network ----------------------------------------------------------------------
MAPBOX_API_KEY = ""
SLACK_API_TOKEN = None
SMTP_HOST = "127.0.0.1"
DATASET_IMPORT_ALLOWED_DATA_URLS = []  # bundles never download data
# Only the local warehouse and SQLite (never allowed as a data source) matter here.
PREVENT_UNSAFE_DB_CONNECTIONS = True

# --- web server ---------------------------------------------------------------------------
# Served on 127.0.0.1 only, plain HTTP: Talisman's HTTPS redirect and strict CSP stay off;
# the CSRF protection on forms and the REST API stays on.
TALISMAN_ENABLED = False
CONTENT_SECURITY_POLICY_WARNING = False
WTF_CSRF_ENABLED = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False
RATELIMIT_STORAGE_URI = "memory://"
LOG_LEVEL = os.environ.get("ERRORHUB_SUPERSET_LOG_LEVEL", "INFO")
