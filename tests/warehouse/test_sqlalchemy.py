"""SQLAlchemy reflection through clickhouse-connect's `clickhousedb://` dialect, as Superset does."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.integration


def test_reflection_and_queries(warehouse, warehouse_db) -> None:
    warehouse.client().command(
        f"CREATE TABLE {warehouse_db}.events (event_id UUID, ts DateTime64(3), "
        "project LowCardinality(String), "
        "message Nullable(String), tags Array(String)) ENGINE = MergeTree ORDER BY ts"
    )
    for readonly, user, password in [
        (False, warehouse.user, warehouse.password),
        (True, warehouse.readonly_user, warehouse.readonly_password),
    ]:
        engine = sa.create_engine(
            f"clickhousedb://{user}:{password}@{warehouse.host}:{warehouse.port}/{warehouse_db}"
        )
        try:
            inspector = sa.inspect(engine)
            assert warehouse_db in inspector.get_schema_names()
            assert inspector.get_table_names() == ["events"]
            columns = {c["name"]: str(c["type"]) for c in inspector.get_columns("events")}
            assert list(columns) == ["event_id", "ts", "project", "message", "tags"], readonly
            assert "DateTime64" in columns["ts"] and "LowCardinality" in columns["project"]
            with engine.connect() as conn:
                assert conn.execute(sa.text("SELECT version()")).scalar().startswith("26.")
                assert conn.execute(sa.text("SELECT count() FROM events")).scalar() == 0
                assert conn.execute(sa.text("SELECT timezone()")).scalar()
        finally:
            engine.dispose()
