"""The `cluster` and `mask` command contract, on a fresh typer app."""

import json

import typer
from typer.testing import CliRunner

from pipelines.engine.cli import register

app = typer.Typer()
register(app)
runner = CliRunner()


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n")


def test_cluster_writes_one_line_per_event(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(src, [json.dumps({"event_id": f"e{i}", "message": f"disk {i} failed"}) for i in range(4)])
    result = runner.invoke(app, ["cluster", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["event_id"] for r in rows] == ["e0", "e1", "e2", "e3"]
    assert len({r["pattern_id"] for r in rows}) == 1


def test_malformed_lines_are_reported_and_exit_nonzero(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write(
        src,
        [
            json.dumps({"event_id": "a", "message": "ok"}),
            "{not json",
            json.dumps({"event_id": "b"}),
            json.dumps({"event_id": "c", "message": "ok too"}),
        ],
    )
    result = runner.invoke(app, ["cluster", str(src), "-o", str(out)])
    assert result.exit_code == 1
    assert ":2:" in result.stderr and ":3:" in result.stderr
    assert [json.loads(line)["event_id"] for line in out.read_text().splitlines()] == ["a", "c"]


def test_mask_masks_every_string_field(tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    event = {
        "event_id": "a",
        "message": "mail kim@example.com",
        "env": {"API_TOKEN": "abc"},
        "tags": {"ip": "10.0.0.1"},
        "error_type": "ValueError",
    }
    _write(src, [json.dumps(event)])
    result = runner.invoke(app, ["mask", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    masked = json.loads(out.read_text())
    assert masked == {
        **event,
        "message": "mail <email>",
        "env": {"API_TOKEN": "<secret>"},
        "tags": {"ip": "<ip>"},
    }
