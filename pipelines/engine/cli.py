"""`errorhub cluster` and `errorhub mask`, added to the lead's typer app by `register(app)`.

Both read JSONL (one event per line). A malformed line is reported on stderr with its line
number and skipped; the command then exits with status 1 after writing every good line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

EXIT_MALFORMED = 1


def read_events(path: Path, required: tuple[str, ...] = ("event_id", "message")) -> Iterator[tuple[int, Any]]:
    """(line number, event dict) for good lines; (line number, None) after reporting a bad one."""
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, _report(path, number, f"invalid JSON ({exc.msg})")
                continue
            if not isinstance(event, dict):
                yield number, _report(path, number, "not a JSON object")
                continue
            missing = [k for k in required if not isinstance(event.get(k), str | int) or event.get(k) == ""]
            if missing:
                yield number, _report(path, number, f"missing or empty {', '.join(missing)}")
                continue
            if not isinstance(event["message"], str):
                yield number, _report(path, number, "message is not a string")
                continue
            yield number, event


def _report(path: Path, number: int, reason: str) -> None:
    print(f"{path}:{number}: skipped malformed line: {reason}", file=sys.stderr)
    return None


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


InputFile = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, help="Events, one JSON object a line.")
]


def cluster_command(
    input: InputFile,
    output: Annotated[Path, typer.Option("-o", "--output", help="One {event_id, pattern_id} a line.")],
    threshold: Annotated[float | None, typer.Option(help="LSH threshold (default: settings).")] = None,
) -> None:
    """Group the events of IN.jsonl into patterns, from scratch."""
    from pipelines.engine.cluster import cluster
    from pipelines.engine.config import EngineConfig

    parsed = list(read_events(input))
    events = [e for _, e in parsed if e is not None]
    config = EngineConfig.from_settings()
    if threshold is not None:
        config = EngineConfig(lsh_threshold=threshold)
    ids = cluster(events, config)
    rows = [{"event_id": e["event_id"], "pattern_id": p} for e, p in zip(events, ids, strict=True)]
    _write_jsonl(output, rows)
    if len(events) < len(parsed):
        raise typer.Exit(EXIT_MALFORMED)


def mask_command(
    input: InputFile,
    output: Annotated[Path, typer.Option("-o", "--output", help="The same events, masked.")],
) -> None:
    """Mask PII and secrets in every string field of IN.jsonl."""
    from pipelines.engine.pii import mask_event

    parsed = list(read_events(input, required=()))
    events = [e for _, e in parsed if e is not None]
    _write_jsonl(output, [mask_event(e) for e in events])
    if len(events) < len(parsed):
        raise typer.Exit(EXIT_MALFORMED)


def register(app: typer.Typer) -> None:
    app.command("cluster")(cluster_command)
    app.command("mask")(mask_command)
