"""Every CREATE is snapshotted, numbering is guarded, and DDL follows the schemas."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import schemas
from warehouse.ddl import clickhouse_type, column_names, columns
from warehouse.migrate import discover

SNAPSHOT = Path(__file__).parent.parent / "snapshots" / "migrations.sql"


def render_all() -> str:
    parts = []
    for migration in discover():
        for statement in migration.statements:
            parts.append(f"-- {migration.version:04d}_{migration.name}\n{statement};\n")
    return "\n".join(parts)


def test_every_statement_matches_the_snapshot():
    rendered = render_all()
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(rendered)
    assert SNAPSHOT.exists(), "run with UPDATE_SNAPSHOTS=1 once to create the snapshot"
    assert rendered == SNAPSHOT.read_text(), "DDL changed: review, then UPDATE_SNAPSHOTS=1 pytest ..."


def test_versions_are_consecutive_from_one():
    versions = [m.version for m in discover()]
    assert versions == list(range(1, len(versions) + 1))


def test_every_statement_is_idempotent():
    for migration in discover():
        for statement in migration.statements:
            head = statement.lstrip().split("\n", 1)[0].upper()
            assert "IF NOT EXISTS" in head or "OR REPLACE" in head, (migration.name, head)


def test_clean_event_table_has_exactly_the_model_fields():
    statement = next(s for m in discover() for s in m.statements if "TABLE IF NOT EXISTS events_clean" in s)
    for name, ch_type in columns(schemas.CleanEvent):
        assert f"`{name}` {ch_type}" in statement
    assert statement.count("\n    `") == len(column_names(schemas.CleanEvent))


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, "String"),
        (int, "Int64"),
        (bool, "Bool"),
        (list[str], "Array(String)"),
        (dict[str, str], "Map(String, String)"),
        (int | None, "Nullable(Int64)"),
        (schemas.Severity, "LowCardinality(String)"),
    ],
)
def test_python_types_map_to_clickhouse(annotation, expected):
    assert clickhouse_type(annotation) == expected


def test_unsupported_type_is_named():
    with pytest.raises(TypeError, match="complex"):
        clickhouse_type(complex)
