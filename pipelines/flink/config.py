"""Stream-job settings: the shared Settings object plus a few Flink-only ERRORHUB_FLINK_* knobs.

Nothing here is a local path unless derived from `settings.home`; production sets the
ERRORHUB_* variables (warehouse URL, bootstrap, checkpoint dir on shared storage) and runs
the same job on a Flink cluster.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from errorhub.settings import REPO_ROOT, Settings


def _env(name: str, default: str) -> str:
    return os.environ.get(f"ERRORHUB_FLINK_{name}", default)


@dataclass(frozen=True)
class StreamConfig:
    bootstrap: str
    topic_raw: str
    topic_clean: str
    topic_dead: str
    group_id: str
    checkpoint_dir: str  # a URI: file:///..., s3://...
    checkpoint_ms: int
    restore: str  # "latest" (newest retained checkpoint under checkpoint_dir), "none", or a path
    parallelism: int
    flush_rows: int
    flush_ms: int
    bundle_size: int  # elements per Python bundle (Flink -> Python worker round trip)
    bundle_ms: int
    warehouse_patience_s: float
    restart_attempts: int
    restart_delay_ms: int
    python: str
    jars_dir: Path
    rest_port: int
    status_file: Path
    lsh_threshold: float
    job_name: str = "errorhub-stream"

    @classmethod
    def from_settings(cls, settings: Settings) -> StreamConfig:
        home = Path(settings.home)
        return cls(
            bootstrap=settings.kafka_bootstrap,
            topic_raw=settings.topic_raw,
            topic_clean=settings.topic_clean,
            topic_dead=settings.topic_dead,
            group_id=_env("GROUP_ID", "errorhub-stream"),
            checkpoint_dir=_env("CHECKPOINT_DIR", (home / "flink" / "checkpoints").resolve().as_uri()),
            checkpoint_ms=int(_env("CHECKPOINT_MS", "3000")),
            restore=_env("RESTORE", "latest"),
            parallelism=int(_env("PARALLELISM", "1")),
            flush_rows=int(_env("FLUSH_ROWS", "2000")),
            flush_ms=int(_env("FLUSH_MS", "250")),
            bundle_size=int(_env("BUNDLE_SIZE", "500")),
            bundle_ms=int(_env("BUNDLE_MS", "50")),
            warehouse_patience_s=float(_env("WAREHOUSE_PATIENCE_S", "60")),
            restart_attempts=int(_env("RESTART_ATTEMPTS", "30")),
            restart_delay_ms=int(_env("RESTART_DELAY_MS", "3000")),
            python=_env("PYTHON", sys.executable),
            jars_dir=Path(_env("JARS_DIR", str(home / "flink" / "jars"))),
            rest_port=int(_env("REST_PORT", "0")),
            status_file=Path(_env("STATUS_FILE", str(home / "run" / "stream-status.json"))),
            lsh_threshold=settings.lsh_threshold,
        )


# Packages the Python workers import; shipped with the job so a cluster's TaskManagers need
# nothing but the stream environment's site-packages. PyFlink puts a shipped *directory* itself
# on the workers' PYTHONPATH (schemas/types.py would then shadow the stdlib `types`), so the
# packages are staged under one source root and that root is shipped.
SHIPPED_PACKAGES = ("schemas", "pipelines")


def stage_sources(target: Path) -> Path:
    """Copy the shipped packages (no caches) into a fresh `target`; returns it."""
    import shutil

    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".venv")
    for name in SHIPPED_PACKAGES:
        shutil.copytree(REPO_ROOT / name, target / name, ignore=ignore)
    return target
