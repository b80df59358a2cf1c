"""Start Dagster for `errorhub up`: prepare DAGSTER_HOME, then exec `dagster dev`.

    python -m assets.serve [--port P] [--home DIR] [--mode dev|split]

DAGSTER_HOME is <ERRORHUB_HOME>/dagster (all local state under one folder; a temporary home
in tests). The repo's dagster_home/dagster.yaml is copied there on every start, plus a
Postgres storage block when ERRORHUB_DAGSTER_POSTGRES_URL is set.

`dev` (default) execs `dagster dev` (webserver + daemon + code server in one process
group), so the supervisor's pid is Dagster's. `split` runs `dagster-webserver` and
`dagster-daemon` as two children of this process and stops both when it is stopped.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
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
    os.chdir(REPO_ROOT)
    if args.mode == "dev":
        os.execv(
            _bin("dagster"),
            [_bin("dagster"), "dev", "-w", str(WORKSPACE), "-h", "127.0.0.1", "-p", str(args.port)],
        )
    children = [
        subprocess.Popen(
            [_bin("dagster-webserver"), "-w", str(WORKSPACE), "-h", "127.0.0.1", "-p", str(args.port)]
        ),
        subprocess.Popen([_bin("dagster-daemon"), "run", "-w", str(WORKSPACE)]),
    ]

    def stop(signum, _frame):
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    codes = [child.wait() for child in children]
    sys.exit(max(codes))


if __name__ == "__main__":
    main()
