"""The one way every component gets a warehouse client: any ClickHouse HTTP endpoint by URL."""

from __future__ import annotations

from urllib.parse import urlsplit

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from errorhub.settings import Settings, get_settings


def get_client(
    settings: Settings | None = None, *, readonly: bool = False, database: str | None = None, **kwargs
) -> Client:
    settings = settings or get_settings()
    user, password = (
        (settings.warehouse_readonly_user, settings.warehouse_readonly_password)
        if readonly
        else (settings.warehouse_user, settings.warehouse_password)
    )
    return clickhouse_connect.get_client(
        host=settings.warehouse_host,
        port=settings.warehouse_port,
        secure=urlsplit(settings.warehouse_url).scheme == "https",
        username=user,
        password=password.get_secret_value(),
        database=settings.warehouse_database if database is None else database,
        **kwargs,
    )


def ensure_database(settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    with get_client(settings, database="default") as client:
        client.command(f"CREATE DATABASE IF NOT EXISTS `{settings.warehouse_database}`")
