"""Beam backfills launched from Dagster: the replay runs in the stream environment
(`envs/stream/.venv`) as a subprocess whose output streams into the run's log."""

import dagster as dg
from pydantic import Field

from errorhub.settings import REPO_ROOT

STREAM_PYTHON = REPO_ROOT / "envs" / "stream" / ".venv" / "bin" / "python"


class BeamReplayConfig(dg.Config):
    """Replay stored raw events through the pattern engine with Beam (FnApiRunner)."""

    start: str = Field(description="Window start, ISO 8601 (UTC), inclusive.")
    end: str = Field(description="Window end, ISO 8601 (UTC), exclusive.")
    project: str = Field("", description="Only this project; empty for all.")
    extra_args: list[str] = Field(default_factory=list, description="More arguments for the replay.")
    module: str = Field("pipelines.beam.replay", description="Module run with `python -m`.")
    python: str = Field(str(STREAM_PYTHON), description="Interpreter of the stream environment.")

    def command(self) -> list[str]:
        args = [self.python, "-m", self.module, "--start", self.start, "--end", self.end]
        if self.project:
            args += ["--project", self.project]
        return args + list(self.extra_args)


@dg.op(tags={"kind": "beam"})
def beam_replay(context: dg.OpExecutionContext, config: BeamReplayConfig) -> dg.Output[int]:
    from datetime import datetime
    from pathlib import Path

    from assets.lib.subprocess_run import CommandFailed, stream_command

    for name in ("start", "end"):
        try:
            datetime.fromisoformat(getattr(config, name))
        except ValueError as error:
            raise dg.Failure(f"{name}={getattr(config, name)!r} is not an ISO 8601 time") from error
    if not Path(config.python).exists():
        raise dg.Failure(
            description=(
                f"stream environment missing: {config.python} does not exist. "
                "Build it with `uv sync --project envs/stream` (see README), then re-run."
            ),
            allow_retries=False,
        )
    command = config.command()
    context.log.info("running: " + " ".join(command))
    lines = 0

    def log_line(line: str) -> None:
        nonlocal lines
        lines += 1
        context.log.info(line)

    try:
        stream_command(command, log_line, cwd=REPO_ROOT, env={"PYTHONPATH": str(REPO_ROOT)})
    except CommandFailed as error:
        raise dg.Failure(
            description=str(error),
            metadata={
                "exit_code": error.returncode if error.returncode is not None else -1,
                "last_lines": dg.MetadataValue.md("```\n" + "\n".join(error.tail) + "\n```"),
            },
            allow_retries=False,
        ) from error
    return dg.Output(lines, metadata={"output_lines": lines, "command": " ".join(command)})


@dg.job(description="Beam backfill: replay a window of raw events in the stream environment.")
def beam_replay_job() -> None:
    beam_replay()
