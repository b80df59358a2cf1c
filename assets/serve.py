"""Start Dagster for `errorhub up`: prepare DAGSTER_HOME, then exec `dagster dev`.

    python -m assets.serve [--port P] [--home DIR] [--mode dev|split]

DAGSTER_HOME is <ERRORHUB_HOME>/dagster (all local state under one folder; a temporary home
in tests). The repo's dagster_home/dagster.yaml is copied there on every start, plus a
Postgres storage block when ERRORHUB_DAGSTER_POSTGRES_URL is set.

`dev` (default) runs `dagster dev` (webserver + daemon + code server); `split` runs
`dagster-webserver` and `dagster-daemon`. Either way the Dagster processes run in their own
process group under this small parent, which turns the supervisor's SIGTERM into the SIGINT
Dagster shuts down cleanly on (`dagster dev` ignores SIGTERM), then SIGKILLs leftovers.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from errorhub.settings import REPO_ROOT, get_settings

INSTANCE_YAML = REPO_ROOT / "dagster_home" / "dagster.yaml"
WORKSPACE = REPO_ROOT / "workspace.yaml"

_POSTGRES = """
storage:
  postgres:
    postgres_url:
      env: ERRORHUB_DAGSTER_POSTGRES_URL
"""


def prepare_home(home: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    shutil.copyfile(INSTANCE_YAML, target)
    if os.environ.get("ERRORHUB_DAGSTER_POSTGRES_URL"):
        with target.open("a") as f:
            f.write(_POSTGRES)
    return home


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def main(argv: list[str] | None = None) -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m assets.serve")
    parser.add_argument("--port", type=int, default=settings.dagster_port)
    parser.add_argument("--home", type=Path, default=settings.home / "dagster")
    parser.add_argument("--mode", choices=("dev", "split"), default="dev")
    args = parser.parse_args(argv)
    home = prepare_home(args.home.resolve())
    os.environ["DAGSTER_HOME"] = str(home)
    # Run from DAGSTER_HOME, not the repo root: Dagster loads `.env` from its working directory
    # and would override ERRORHUB_* values given in the environment (settings read .env anyway).
    os.chdir(home)
    if args.mode == "dev":
        commands = [[_bin("dagster"), "dev", "-w", str(WORKSPACE), "-h", "127.0.0.1", "-p", str(args.port)]]
    else:
        commands = [
            [_bin("dagster-webserver"), "-w", str(WORKSPACE), "-h", "127.0.0.1", "-p", str(args.port)],
            [_bin("dagster-daemon"), "run", "-w", str(WORKSPACE)],
        ]
    sys.exit(supervise(commands))


def supervise(commands: list[list[str]], grace: float = 20.0) -> int:
    """Run the commands, each in its own process group; on SIGTERM/SIGINT send SIGINT to every
    group (Dagster shuts down cleanly on an interrupt), then SIGKILL what is left after `grace`."""
    children = [subprocess.Popen(c, start_new_session=True) for c in commands]
    stopping = False

    def stop(_signum, _frame):
        nonlocal stopping
        stopping = True
        for child in children:
            _signal_group(child.pid, signal.SIGINT)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while all(c.poll() is None for c in children) and not stopping:
        time.sleep(0.5)
    if not stopping:  # one child died: stop the others
        stop(signal.SIGTERM, None)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(c.poll() is None for c in children):
        time.sleep(0.2)
    for child in children:
        _signal_group(child.pid, signal.SIGKILL)
        child.wait()
    return max(abs(c.returncode or 0) for c in children)


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


if __name__ == "__main__":
    main()
