"""Dashboards as code: import `superset/bundle/` into a running Superset over its REST API.

    provision(settings)          build the zip, log in, POST /api/v1/assets/import/, verify

The bundle (metadata.yaml, databases/, datasets/, charts/, dashboards/, linked by UUID) is
committed without any host or password: `${WAREHOUSE_*}` placeholders in `databases/*.yaml`
are filled in from settings here, and the read-only warehouse password travels in the
import's `passwords` field. The assets import overwrites by UUID, so provisioning twice
changes nothing and an edited chart file updates that chart in place.

Run by hand (Superset and the warehouse up): `python -m dashboards.provision`.
"""

from __future__ import annotations

import io
import json
import string
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import yaml

from errorhub.settings import REPO_ROOT, Settings, get_settings

BUNDLE_DIR = REPO_ROOT / "superset" / "bundle"
_SUBFOLDERS = ("databases", "datasets", "charts", "dashboards")


class ProvisionError(RuntimeError):
    """The bundle could not be built or imported; the message names the cause."""


@dataclass
class ProvisionResult:
    superset_url: str
    dashboards: dict[str, str] = field(default_factory=dict)  # title -> URL
    charts: int = 0
    datasets: int = 0
    seconds: float = 0.0
    warehouse_ok: bool = False
    warehouse_error: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        text = (
            f"superset: provisioned {len(self.dashboards)} dashboards, {self.charts} charts, "
            f"{self.datasets} datasets in {self.seconds:.1f}s"
        )
        if not self.warehouse_ok:
            text += f"; WAREHOUSE CHECK FAILED (dashboards will show errors): {self.warehouse_error}"
        return text


def warehouse_placeholders(settings: Settings) -> dict[str, str]:
    https = urlsplit(settings.warehouse_url).scheme == "https"
    return {
        "WAREHOUSE_READONLY_USER": settings.warehouse_readonly_user,
        "WAREHOUSE_HOST": settings.warehouse_host,
        "WAREHOUSE_PORT": str(settings.warehouse_port),
        "WAREHOUSE_DATABASE": settings.warehouse_database,
        "WAREHOUSE_QUERY": "?protocol=https" if https else "",
    }


def load_bundle(bundle_dir: Path = BUNDLE_DIR) -> dict[str, dict]:
    """Every YAML file of the bundle, parsed and checked for the links between them."""
    if not (bundle_dir / "metadata.yaml").is_file():
        raise ProvisionError(f"bad bundle: {bundle_dir}/metadata.yaml is missing")
    files: dict[str, dict] = {}
    for path in sorted(bundle_dir.rglob("*.yaml")):
        relative = path.relative_to(bundle_dir).as_posix()
        if relative != "metadata.yaml" and relative.split("/", 1)[0] not in _SUBFOLDERS:
            continue
        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as error:
            raise ProvisionError(f"bad bundle: {relative} is not valid YAML: {error}") from error
        if not isinstance(data, dict):
            raise ProvisionError(f"bad bundle: {relative} is not a YAML mapping")
        files[relative] = data
    _check_links(files)
    return files


def _check_links(files: dict[str, dict]) -> None:
    uuids = {
        folder: {str(d.get("uuid")) for name, d in files.items() if name.startswith(f"{folder}/")}
        for folder in _SUBFOLDERS
    }
    for name, data in files.items():
        if name == "metadata.yaml":
            continue
        if "uuid" not in data:
            raise ProvisionError(f"bad bundle: {name} has no uuid")
        if name.startswith("datasets/") and str(data.get("database_uuid")) not in uuids["databases"]:
            raise ProvisionError(
                f"bad bundle: {name} points at database {data.get('database_uuid')} not in the bundle"
            )
        if name.startswith("charts/") and str(data.get("dataset_uuid")) not in uuids["datasets"]:
            raise ProvisionError(
                f"bad bundle: {name} points at dataset {data.get('dataset_uuid')} not in the bundle"
            )
        if name.startswith("dashboards/"):
            for key, item in (data.get("position") or {}).items():
                if isinstance(item, dict) and item.get("type") == "CHART":
                    chart_uuid = str((item.get("meta") or {}).get("uuid"))
                    if chart_uuid not in uuids["charts"]:
                        raise ProvisionError(
                            f"bad bundle: {name} {key} points at chart {chart_uuid} not in the bundle"
                        )


def build_zip(settings: Settings, bundle_dir: Path = BUNDLE_DIR) -> bytes:
    """The bundle as the zip Superset imports, with the warehouse address filled in."""
    files = load_bundle(bundle_dir)
    values = warehouse_placeholders(settings)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative in files:
            text = (bundle_dir / relative).read_text()
            if relative.startswith("databases/"):
                try:
                    text = string.Template(text).substitute(values)
                except (KeyError, ValueError) as error:
                    raise ProvisionError(
                        f"bad bundle: {relative} has an unknown placeholder {error}"
                    ) from error
            archive.writestr(f"errorhub_bundle/{relative}", text)
    return buffer.getvalue()


def database_passwords(settings: Settings, bundle_dir: Path = BUNDLE_DIR) -> dict[str, str]:
    password = settings.warehouse_readonly_password.get_secret_value()
    return {f"databases/{path.name}": password for path in sorted((bundle_dir / "databases").glob("*.yaml"))}


class SupersetClient:
    """A logged-in session on Superset's REST API (bearer token + CSRF token + session cookie)."""

    def __init__(self, base_url: str, username: str, password: str, timeout: float = 60.0):
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout)
        try:
            response = self.http.post(
                "/api/v1/security/login",
                json={"username": username, "password": password, "provider": "db", "refresh": False},
            )
        except httpx.HTTPError as error:
            self.http.close()
            raise ProvisionError(f"Superset at {self.base_url} is not reachable: {error}") from error
        if response.status_code == 401:
            self.http.close()
            raise LoginRefused(f"Superset refused the login of {username!r} (wrong admin password?)")
        _raise_for(response, "login")
        self.http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        csrf = self.http.get("/api/v1/security/csrf_token/")
        _raise_for(csrf, "CSRF token")
        self.http.headers["X-CSRFToken"] = csrf.json()["result"]
        self.http.headers["Referer"] = self.base_url

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SupersetClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, **params: object) -> dict:
        response = self.http.get(path, params={k: v for k, v in params.items()} or None)
        _raise_for(response, f"GET {path}")
        return response.json()

    def import_assets(self, bundle: bytes, passwords: dict[str, str]) -> None:
        response = self.http.post(
            "/api/v1/assets/import/",
            files={"bundle": ("bundle.zip", bundle, "application/zip")},
            data={"overwrite": "true", "passwords": json.dumps(passwords)},
        )
        _raise_for(response, "assets import")

    def list_all(self, resource: str, columns: list[str]) -> list[dict]:
        query = f"(columns:!({','.join(columns)}),page:0,page_size:100)"
        return self.get(f"/api/v1/{resource}/", q=query)["result"]

    def sql(self, database_id: int, sql: str, schema: str | None = None) -> httpx.Response:
        """Run a statement in SQL Lab (synchronously); the raw response, errors included."""
        payload = {"database_id": database_id, "sql": sql, "runAsync": False,
                   "expand_data": True, "tab": "errorhub", "client_id": _client_id()}  # fmt: skip
        if schema:
            payload["schema"] = schema
        return self.http.post("/api/v1/sqllab/execute/", json=payload)


class LoginRefused(ProvisionError):
    pass


def _client_id() -> str:
    return f"eh{time.time_ns() % 10**9:09d}"[:11]


def _raise_for(response: httpx.Response, what: str) -> None:
    if response.is_success:
        return
    try:
        body = response.json()
        detail = body.get("message") or body.get("errors") or body
    except ValueError:
        detail = response.text[:500]
    raise ProvisionError(f"Superset {what} failed ({response.status_code}): {detail}")


def login(settings: Settings, base_url: str) -> SupersetClient:
    """Log in as the admin from settings; if refused, reset the admin password once and retry."""
    user = settings.superset_admin_user
    password = settings.superset_admin_password.get_secret_value()
    try:
        return SupersetClient(base_url, user, password)
    except LoginRefused:
        from dashboards.service import reset_admin_password

        reset_admin_password(settings)
        return SupersetClient(base_url, user, password)


def provision(
    settings: Settings | None = None, base_url: str | None = None, bundle_dir: Path = BUNDLE_DIR
) -> ProvisionResult:
    """Import the bundle (overwrite by UUID) and check the warehouse answers through Superset."""
    settings = settings or get_settings()
    base_url = base_url or f"http://127.0.0.1:{settings.superset_port}"
    started = time.monotonic()
    bundle = build_zip(settings, bundle_dir)
    files = load_bundle(bundle_dir)
    result = ProvisionResult(superset_url=base_url)
    with login(settings, base_url) as client:
        client.import_assets(bundle, database_passwords(settings, bundle_dir))
        wanted = {str(d["uuid"]) for n, d in files.items() if n.startswith("dashboards/")}
        for dashboard in client.list_all("dashboard", ["id", "uuid", "dashboard_title", "slug"]):
            if str(dashboard.get("uuid")) in wanted:
                path = f"/superset/dashboard/{dashboard.get('slug') or dashboard['id']}/"
                result.dashboards[dashboard["dashboard_title"]] = base_url + path
        result.charts = sum(1 for n in files if n.startswith("charts/"))
        result.datasets = sum(1 for n in files if n.startswith("datasets/"))
        missing = len(wanted) - len(result.dashboards)
        if missing:
            raise ProvisionError(f"import reported success but {missing} dashboards are missing")
        result.warehouse_ok, result.warehouse_error = check_warehouse(client, files)
    result.seconds = round(time.monotonic() - started, 2)
    return result


def database_id(client: SupersetClient, files: dict[str, dict]) -> int:
    wanted = {str(d["uuid"]) for n, d in files.items() if n.startswith("databases/")}
    for database in client.list_all("database", ["id", "uuid", "database_name"]):
        if str(database.get("uuid")) in wanted:
            return int(database["id"])
    raise ProvisionError("the warehouse database is missing from Superset after the import")


def check_warehouse(client: SupersetClient, files: dict[str, dict]) -> tuple[bool, str]:
    """Run one query through Superset's warehouse connection; (ok, error text)."""
    try:
        response = client.sql(database_id(client, files), "SELECT count() AS n FROM error_feed")
    except (ProvisionError, httpx.HTTPError) as error:
        return False, str(error)
    if response.is_success:
        return True, ""
    try:
        body = response.json()
        errors = body.get("errors") or []
        message = "; ".join(e.get("message", "") for e in errors) or body.get("message") or str(body)
    except ValueError:
        message = response.text[:300]
    return False, f"({response.status_code}) {message}"


def main() -> None:
    result = provision()
    print(result.summary())
    for title, url in result.dashboards.items():
        print(f"  {title}: {url}")


if __name__ == "__main__":
    main()
