"""Run a command in another environment and stream its output line by line (Beam replays)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path


class CommandFailed(RuntimeError):
    def __init__(self, message: str, returncode: int | None, tail: list[str]):
        super().__init__(message)
        self.returncode = returncode
        self.tail = tail


def stream_command(
    command: list[str],
    on_line: Callable[[str], None],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    tail_lines: int = 40,
) -> list[str]:
    """Run `command`, call `on_line` for every output line (stdout and stderr merged), and
    raise CommandFailed (with the last lines) unless it exits 0. Returns the last lines."""
    executable = Path(command[0])
    if executable.is_absolute() and not os.access(executable, os.X_OK):
        raise CommandFailed(f"{executable} does not exist or is not executable", None, [])
    tail: list[str] = []
    with subprocess.Popen(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as process:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip("\n")
            on_line(line)
            tail = [*tail[-(tail_lines - 1) :], line]
        returncode = process.wait()
    if returncode != 0:
        raise CommandFailed(f"{' '.join(command)} exited with code {returncode}", returncode, tail)
    return tail
