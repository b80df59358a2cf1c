from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from errorhub.cli import app
from schemas import ErrorEvent

runner = CliRunner()


@pytest.mark.parametrize("command", ["up", "down", "status", "migrate", "sql", "init", "export-schemas"])
def test_foundation_subcommands_exist(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output


def test_exported_event_schema_describes_the_model(tmp_path):
    result = runner.invoke(app, ["export-schemas", str(tmp_path)])
    assert result.exit_code == 0, result.output
    schema = json.loads((tmp_path / "ErrorEvent.json").read_text())
    assert schema["required"] == ["message"]
    assert set(schema["properties"]) == set(ErrorEvent.model_fields)
