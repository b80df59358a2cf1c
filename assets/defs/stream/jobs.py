"""Beam backfills launched from Dagster: the replay runs in the stream environment
(`envs/stream/.venv`) as a subprocess whose output streams into the run's log."""

import dagster as dg
from pydantic import Field

from errorhub.settings import REPO_ROOT

STREAM_PYTHON = REPO_ROOT / "envs" / "stream" / ".venv" / "bin" / "python"


class BeamReplayConfig(dg.Config):
    """Replay events through the pattern engine with Beam (FnApiRunner): see
    `python -m pipelines.beam.replay --help` in the stream environment."""

    source: str = Field(
        "warehouse",
        description="warehouse (re-fingerprint stored raw events), jsonl:PATH, "
        "or kafka:TOPIC:PARTITION:START-END",
    )
    since: str = Field("", description="Event time from, ISO 8601 (inclusive); empty for no bound.")
    until: str = Field("", description="Event time to, ISO 8601 (exclusive); empty for no bound.")
    mode: str = Field("", description="insert | replace; empty for the source's default.")
    extra_args: list[str] = Field(default_factory=list, description="More arguments for the replay.")
    module: str = Field("pipelines.beam.replay", description="Module run with `python -m`.")
    python: str = Field(str(STREAM_PYTHON), description="Interpreter of the stream environment.")

    def command(self) -> list[str]:
        args = [self.python, "-m", self.module, "--source", self.source]
        for flag, value in (("--since", self.since), ("--until", self.until), ("--mode", self.mode)):
            if value:
                args += [flag, value]
        return args + list(self.extra_args)


@dg.op(tags={"kind": "beam"})
def beam_replay(context: dg.OpExecutionContext, config: BeamReplayConfig) -> dg.Output[int]:
    from datetime import datetime
    from pathlib import Path

    from assets.lib.subprocess_run import CommandFailed, stream_command

    for name in ("since", "until"):
        value = getattr(config, name)
        try:
            if value:
                datetime.fromisoformat(value)
        except ValueError as error:
            raise dg.Failure(f"{name}={value!r} is not an ISO 8601 time") from error
    if config.mode not in ("", "insert", "replace"):
        raise dg.Failure(f"mode={config.mode!r}: use insert, replace or leave it empty")
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


@dg.job(description="Beam backfill / re-fingerprinting, run in the stream environment (envs/stream).")
def beam_replay_job() -> None:
    beam_replay()
