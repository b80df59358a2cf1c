"""Disk buffer for batches the API could not take: one fsync'd JSON file per batch.

File names start with a nanosecond timestamp, so replay follows capture order. A sender
claims a file by renaming it (atomic), so two processes sharing a folder never both send it;
claims left by a dead process are released on the next start.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

SUFFIX = ".batch.json"
CLAIM = ".sending-"


class DiskBuffer:
    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._release_dead_claims()

    def write(self, kind: str, items: list[dict[str, Any]]) -> None:
        if not items:
            return
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        tmp = self.directory / (name + ".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            json.dump({"kind": kind, "items": items}, f, separators=(",", ":"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.directory / name)

    def pending(self) -> list[Path]:
        return sorted(self.directory.glob(f"*{SUFFIX}"))

    def count_items(self) -> int:
        total = 0
        for path in self.pending():
            loaded = _load(path)
            total += len(loaded[1]) if loaded else 0
        return total

    def claim(self, path: Path) -> tuple[Path, str, list[dict[str, Any]]] | None:
        """(claimed path, kind, items), or None when another sender got it first or it is unreadable."""
        claimed = path.with_name(path.name + CLAIM + str(os.getpid()))
        try:
            os.rename(path, claimed)
        except OSError:
            return None
        loaded = _load(claimed)
        if loaded is None:
            claimed.rename(claimed.with_name(claimed.name + ".corrupt"))
            return None
        return (claimed, loaded[0], loaded[1])

    @staticmethod
    def done(claimed: Path) -> None:
        claimed.unlink(missing_ok=True)

    @staticmethod
    def release(claimed: Path) -> None:
        original = claimed.name.split(CLAIM, 1)[0]
        os.replace(claimed, claimed.with_name(original))

    def _release_dead_claims(self) -> None:
        for claimed in self.directory.glob(f"*{SUFFIX}{CLAIM}*"):
            pid = claimed.name.rsplit(CLAIM, 1)[1]
            if pid.isdigit() and not _alive(int(pid)):
                with contextlib.suppress(OSError):
                    self.release(claimed)


def _load(path: Path) -> tuple[str, list[dict[str, Any]]] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return str(data["kind"]), list(data["items"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
