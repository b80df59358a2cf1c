"""Memory of processes we started, read from /proc (benchmarks, tests, status)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def memory_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of one process in MB; (0, 0) when it is gone."""
    fields: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(rest.split()[0])
    except OSError:
        return 0.0, 0.0
    return fields.get("VmRSS", 0) / 1024, fields.get("VmHWM", 0) / 1024


def total_rss_mb(pids: Iterable[int]) -> float:
    """Sum of the current RSS of several processes in MB (those gone count 0)."""
    return sum(memory_mb(pid)[0] for pid in pids)
