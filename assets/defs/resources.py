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
    """Where the daily report goes; defaults come from the settings (ERRORHUB_SMTP_*, ERRORHUB_REPORT_TO)."""

    host: str
    port: int
    sender: str
    recipients: str  # comma-separated
    username: str = ""
    password: str = ""
    starttls: bool = False

    def recipient_list(self) -> list[str]:
        return [r.strip() for r in self.recipients.split(",") if r.strip()]


def smtp_from_settings() -> SmtpResource:
    """The password stays an EnvVar (resolved at run time, never stored in run config)."""
    settings = get_settings()
    password = dg.EnvVar("ERRORHUB_SMTP_PASSWORD") if os.environ.get("ERRORHUB_SMTP_PASSWORD") else ""
    return SmtpResource(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        recipients=settings.report_to,
        username=settings.smtp_user,
        password=password,
        starttls=settings.smtp_starttls,
    )


def resources() -> dict[str, dg.ConfigurableResource]:
    return {"warehouse": WarehouseResource(), "smtp": smtp_from_settings()}


def lsh_threshold() -> float:
    return get_settings().lsh_threshold
