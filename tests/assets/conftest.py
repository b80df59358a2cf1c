"""A fresh, migrated database per test on the session's real warehouse server."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from assets.defs.resources import WarehouseResource


@dataclass
class TestWarehouse:
    __test__ = False
    resource: WarehouseResource
    client: object
    database: str


@pytest.fixture
def wh(warehouse, warehouse_db, monkeypatch, tmp_path):
    """Migrated database; ERRORHUB_* point at it so the real Definitions' resources use it."""
    from errorhub.settings import get_settings
    from warehouse.migrate import migrate

    for name, value in {
        "ERRORHUB_WAREHOUSE_URL": warehouse.url,
        "ERRORHUB_WAREHOUSE_USER": warehouse.user,
        "ERRORHUB_WAREHOUSE_PASSWORD": warehouse.password,
        "ERRORHUB_WAREHOUSE_DATABASE": warehouse_db,
        "ERRORHUB_HOME": str(tmp_path / "home"),
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    client = warehouse.client(database=warehouse_db)
    migrate(client)
    resource = WarehouseResource(
        url=warehouse.url, user=warehouse.user, password=warehouse.password, database=warehouse_db
    )
    try:
        yield TestWarehouse(resource, client, warehouse_db)
    finally:
        client.close()
        get_settings.cache_clear()


@pytest.fixture
def instance():
    """A throwaway Dagster instance (temp DAGSTER_HOME) that records runs, materializations, checks."""
    import dagster as dg

    with dg.instance_for_test() as inst:
        yield inst
