"""Apply the numbered migrations in `warehouse/migrations/` that are not applied yet."""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass
from types import ModuleType

from clickhouse_connect.driver.client import Client

import warehouse.migrations as migrations_package

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)$")

_LEDGER = """CREATE TABLE IF NOT EXISTS schema_migrations
(
    version UInt32,
    name String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(applied_at)
ORDER BY version"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: list[str]


def discover() -> list[Migration]:
    """All migrations, in version order; a badly named module is an error, not skipped."""
    found = []
    for info in pkgutil.iter_modules(migrations_package.__path__):
        match = _NAME.match(info.name)
        if not match:
            raise ValueError(f"migration module {info.name!r} is not named NNNN_snake_name")
        module = importlib.import_module(f"{migrations_package.__name__}.{info.name}")
        found.append(Migration(int(match.group(1)), match.group(2), _statements(module)))
    return sorted(found, key=lambda m: m.version)


def _statements(module: ModuleType) -> list[str]:
    statements = getattr(module, "STATEMENTS", None)
    if not isinstance(statements, list) or not all(isinstance(s, str) for s in statements):
        raise ValueError(f"{module.__name__} must define STATEMENTS: list[str]")
    return statements


def applied_versions(client: Client) -> set[int]:
    client.command(_LEDGER)
    return {row[0] for row in client.query("SELECT version FROM schema_migrations FINAL").result_rows}


def migrate(client: Client) -> list[Migration]:
    """Apply pending migrations to the client's database; returns those applied now."""
    done = applied_versions(client)
    pending = [m for m in discover() if m.version not in done]
    for migration in pending:
        for statement in migration.statements:
            client.command(statement)
        client.insert(
            "schema_migrations", [[migration.version, migration.name]], column_names=["version", "name"]
        )
    return pending
