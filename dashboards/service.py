"""Superset as a supervised service: command, environment, health, first-run bootstrap.

`superset_service(settings)` returns the `Service` that `errorhub up` starts. Superset runs
under gunicorn from its own environment (`envs/superset/.venv`, made by
`uv sync --project envs/superset`), bound to 127.0.0.1, with `superset/superset_config.py`.
Once it answers `/health`, `after_start` bootstraps the metadata database the first time
(db upgrade, admin user, roles; remembered by a marker file) and provisions the dashboards.
A failure there is reported (stderr, `provision-status.json`, `errorhub status` detail) and
never stops Superset itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from errorhub.settings import REPO_ROOT, Settings
from errorhub.supervisor import Service, http_ok

SUPERSET_ENV_DIR = REPO_ROOT / "envs" / "superset"
SUPERSET_VENV = SUPERSET_ENV_DIR / ".venv"
SUPERSET_BIN = SUPERSET_VENV / "bin"
SUPERSET_CONFIG = REPO_ROOT / "superset" / "superset_config.py"
SUPERSET_VERSION = "6.1.0"

# Bump when the bootstrap steps change so existing homes run them again.
_BOOTSTRAP_REVISION = 1


class SupersetError(RuntimeError):
    """Superset could not be bootstrapped or provisioned; the message says why."""


def superset_home(settings: Settings) -> Path:
    return settings.home / "superset"


def superset_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.superset_port}"


def superset_env(settings: Settings) -> dict[str, str]:
    """Environment for every Superset process (server and CLI)."""
    secret = settings.superset_secret_key.get_secret_value()
    if not secret:
        raise SupersetError(
            "ERRORHUB_SUPERSET_SECRET_KEY is empty: generate local secrets first "
            "(errorhub.settings.ensure_local_secrets)"
        )
    env = {
        "SUPERSET_CONFIG_PATH": str(SUPERSET_CONFIG),
        "SUPERSET_HOME": str(superset_home(settings)),
        "ERRORHUB_SUPERSET_SECRET_KEY": secret,
        "FLASK_APP": "superset.app:create_app()",
        "PYTHONUNBUFFERED": "1",
        # Never let the main environment's packages leak into Superset's interpreter.
        "PYTHONPATH": "",
        "VIRTUAL_ENV": str(SUPERSET_VENV),
        "PATH": f"{SUPERSET_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    database_uri = os.environ.get("ERRORHUB_SUPERSET_DATABASE_URI")
    if database_uri:
        env["ERRORHUB_SUPERSET_DATABASE_URI"] = database_uri
    return env


def gunicorn_command(settings: Settings, workers: int | None = None, threads: int = 8) -> list[str]:
    workers = workers or int(os.environ.get("ERRORHUB_SUPERSET_WORKERS", "1"))
    return [
        str(SUPERSET_BIN / "gunicorn"),
        "--bind", f"127.0.0.1:{settings.superset_port}",
        "--workers", str(workers),
        "--worker-class", "gthread",
        "--threads", str(threads),
        "--timeout", "120",
        "--graceful-timeout", "10",
        "--limit-request-line", "0",
        "--limit-request-field_size", "0",
        "superset.app:create_app()",
    ]  # fmt: skip


def superset_cli(
    settings: Settings, *args: str, timeout: float = 300.0, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `superset ARGS` in the Superset environment; raises SupersetError with the output."""
    executable = SUPERSET_BIN / "superset"
    if not executable.exists():
        raise SupersetError(
            f"{executable} not found: create the environment with `uv sync --project envs/superset`"
        )
    home = superset_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    try:
        result = subprocess.run(
            [str(executable), *args],
            cwd=home,
            env={**os.environ, **superset_env(settings), **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as error:
        raise SupersetError(f"`superset {args[0]}` timed out after {timeout:.0f}s") from error
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise SupersetError(f"`superset {' '.join(args[:2])}` failed ({result.returncode}):\n{tail}")
    return result


def _marker(settings: Settings) -> Path:
    return superset_home(settings) / "bootstrapped.json"


def is_bootstrapped(settings: Settings) -> bool:
    try:
        data = json.loads(_marker(settings).read_text())
    except (OSError, ValueError):
        return False
    return data.get("version") == SUPERSET_VERSION and data.get("revision") == _BOOTSTRAP_REVISION


@dataclass(frozen=True)
class BootstrapResult:
    ran: bool
    seconds: dict[str, float]


def bootstrap(settings: Settings, force: bool = False) -> BootstrapResult:
    """First run only: create the metadata schema, the admin user and the default roles."""
    if not force and is_bootstrapped(settings):
        return BootstrapResult(False, {})
    password = settings.superset_admin_password.get_secret_value()
    if not password:
        raise SupersetError("ERRORHUB_SUPERSET_ADMIN_PASSWORD is empty: generate local secrets first")
    seconds: dict[str, float] = {}
    steps: list[tuple[str, list[str]]] = [
        ("db upgrade", ["db", "upgrade"]),
        (
            "create-admin",
            [
                "fab", "create-admin",
                "--username", settings.superset_admin_user,
                "--firstname", "errorhub",
                "--lastname", "admin",
                "--email", f"{settings.superset_admin_user}@errorhub.local",
                "--password", password,
            ],
        ),
        ("init", ["init"]),
    ]  # fmt: skip
    for name, args in steps:
        started = time.monotonic()
        superset_cli(settings, *args)
        seconds[name] = round(time.monotonic() - started, 1)
    _marker(settings).write_text(
        json.dumps({"version": SUPERSET_VERSION, "revision": _BOOTSTRAP_REVISION, "seconds": seconds})
    )
    return BootstrapResult(True, seconds)


def reset_admin_password(settings: Settings) -> None:
    """Make the admin's password the one in settings again (e.g. after .env was regenerated)."""
    superset_cli(
        settings,
        "fab", "reset-password",
        "--username", settings.superset_admin_user,
        "--password", settings.superset_admin_password.get_secret_value(),
    )  # fmt: skip


def status_file(settings: Settings) -> Path:
    return superset_home(settings) / "provision-status.json"


def after_start(settings: Settings) -> None:
    """Bootstrap if needed, then provision; report a failure instead of raising it."""
    from dashboards.provision import provision

    report: dict[str, object] = {"at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    try:
        result = bootstrap(settings)
        report["bootstrap"] = result.seconds if result.ran else "already done"
        provisioned = provision(settings)
        report.update(ok=True, **provisioned.as_dict())
        message = provisioned.summary()
    except Exception as error:  # reported, never fatal: Superset keeps serving
        report.update(ok=False, error=f"{type(error).__name__}: {error}")
        message = f"superset: provisioning FAILED: {type(error).__name__}: {error}"
    try:
        status_file(settings).parent.mkdir(parents=True, exist_ok=True)
        status_file(settings).write_text(json.dumps(report, indent=2, default=str))
    except OSError:
        pass
    print(message, file=sys.stderr, flush=True)


def detail(settings: Settings) -> str:
    try:
        report = json.loads(status_file(settings).read_text())
    except (OSError, ValueError):
        return "not provisioned yet"
    if report.get("ok"):
        warning = report.get("warehouse_error")
        text = f"{len(report.get('dashboards', {}))} dashboards provisioned at {report.get('at')}"
        return f"{text}; warehouse check failed: {warning}" if warning else text
    return f"provisioning failed at {report.get('at')}: {report.get('error')}"


def superset_service(settings: Settings) -> Service:
    url = superset_url(settings)
    home = superset_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    return Service(
        name="superset",
        command=gunicorn_command(settings),
        url=url,
        health=lambda: http_ok(f"{url}/health"),
        port=settings.superset_port,
        env=superset_env(settings),
        cwd=home,
        start_timeout=120.0,
        stop_timeout=20.0,
        after_start=lambda: after_start(settings),
        detail=lambda: detail(settings),
    )
