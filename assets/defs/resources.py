"""Resources: the warehouse (one clickhouse-connect client factory) and SMTP for reports.

Both default to `errorhub.settings` / ERRORHUB_* variables; tests pass explicit values.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from clickhouse_connect.driver.client import Client
from pydantic import SecretStr

from errorhub.settings import Settings, get_settings


class WarehouseResource(dg.ConfigurableResource):
    """ClickHouse over HTTP via `warehouse.client.get_client`; empty fields mean "from settings"."""

    url: str = ""
    user: str = ""
    password: str = ""
    database: str = ""

    def settings(self) -> Settings:
        base = get_settings()
        update: dict[str, object] = {}
        if self.url:
            update["warehouse_url"] = self.url
        if self.user:
            update["warehouse_user"] = self.user
        if self.password:
            update["warehouse_password"] = SecretStr(self.password)
        if self.database:
            update["warehouse_database"] = self.database
        return base.model_copy(update=update)

    @contextmanager
    def client(self) -> Iterator[Client]:
        from warehouse.client import get_client

        client = get_client(self.settings())
        try:
            yield client
        finally:
            client.close()


class SmtpResource(dg.ConfigurableResource):
    """Where the daily report goes. ERRORHUB_SMTP_HOST/PORT/FROM/REPORT_TO override the defaults."""

    host: str = "127.0.0.1"
    port: int = 1025
    sender: str = "errorhub@localhost"
    recipients: str = "errorhub-team@localhost"  # comma-separated
    username: str = ""
    password: str = ""
    starttls: bool = False

    def recipient_list(self) -> list[str]:
        return [r.strip() for r in self.recipients.split(",") if r.strip()]


_SMTP_ENV = {
    "host": "ERRORHUB_SMTP_HOST",
    "port": "ERRORHUB_SMTP_PORT",
    "sender": "ERRORHUB_SMTP_FROM",
    "recipients": "ERRORHUB_REPORT_TO",
    "username": "ERRORHUB_SMTP_USER",
    "password": "ERRORHUB_SMTP_PASSWORD",
}


def smtp_from_env() -> SmtpResource:
    """EnvVar for each variable that is set (resolved at run time, never stored); defaults otherwise."""
    fields: dict[str, object] = {}
    for name, var in _SMTP_ENV.items():
        if os.environ.get(var):
            fields[name] = dg.EnvVar.int(var) if name == "port" else dg.EnvVar(var)
    return SmtpResource(**fields)


def resources() -> dict[str, dg.ConfigurableResource]:
    return {"warehouse": WarehouseResource(), "smtp": smtp_from_env()}


def lsh_threshold() -> float:
    return get_settings().lsh_threshold
