"""One settings object for every component.

Values come from ERRORHUB_* environment variables, then the git-ignored `.env` at the
repository root (local secrets are generated there on first run), then the defaults below.
Production points the URLs at real services; nothing else changes.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = REPO_ROOT / ".env"

# Secrets generated into .env on first run when not set anywhere else.
GENERATED_SECRETS = (
    "ERRORHUB_WAREHOUSE_PASSWORD",
    "ERRORHUB_WAREHOUSE_READONLY_PASSWORD",
    "ERRORHUB_SUPERSET_ADMIN_PASSWORD",
    "ERRORHUB_SUPERSET_SECRET_KEY",
    "ERRORHUB_INGEST_KEY",
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ERRORHUB_", env_file=ENV_FILE, extra="ignore", validate_default=True
    )

    # Where local state lives: data folders, logs, pid files, spools, checkpoints.
    home: Path = REPO_ROOT / "var"

    # Warehouse: any ClickHouse HTTP endpoint; locally our chDB-backed server.
    warehouse_url: str = "http://127.0.0.1:8123"
    warehouse_user: str = "errorhub"
    warehouse_password: SecretStr = SecretStr("")
    warehouse_database: str = "errorhub"
    warehouse_readonly_user: str = "analyst"
    warehouse_readonly_password: SecretStr = SecretStr("")

    # Kafka protocol: locally Tansu on SeaweedFS S3; production any Kafka.
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_raw: str = "error_raw"
    topic_clean: str = "error_clean"
    topic_dead: str = "error_dead"
    kafka_topic_partitions: int = Field(default=3, ge=1)
    # Extra librdkafka properties for production (security.protocol, sasl.*), as JSON.
    kafka_client_config: dict[str, str] = Field(default_factory=dict)
    s3_port: int = 8333
    s3_bucket: str = "errorhub-kafka"

    # Ingest API.
    ingest_host: str = "127.0.0.1"
    ingest_port: int = 8000
    ingest_key: SecretStr = SecretStr("")
    ingest_project_id: int = 1
    ingest_project_name: str = "default"
    ingest_rate: float = Field(default=50_000, gt=0, description="records/s per key (token refill)")
    ingest_burst: float = Field(default=100_000, gt=0, description="token bucket size, in records")
    ingest_max_body: int = Field(default=5 * 1024 * 1024, gt=0, description="bytes as received")
    ingest_max_decompressed: int = Field(default=20 * 1024 * 1024, gt=0)
    ingest_max_batch: int = Field(default=1_000, gt=0, description="records per request")
    ingest_delivery_timeout: float = Field(default=5.0, gt=0, description="broker wait before spooling, s")

    # Dagster and Superset.
    dagster_port: int = 3000
    superset_port: int = 8088
    superset_admin_user: str = "admin"
    superset_admin_password: SecretStr = SecretStr("")
    superset_secret_key: SecretStr = SecretStr("")

    # Daily report by e-mail.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "errorhub@localhost"
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    report_to: str = Field(default="errorhub-team@localhost", description="comma-separated addresses")

    # Pattern engine.
    lsh_threshold: float = Field(default=0.9, gt=0.0, le=1.0)

    @field_validator("warehouse_url")
    @classmethod
    def _url_has_scheme_and_host(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"ERRORHUB_WAREHOUSE_URL must look like http://host:8123, got {value!r}")
        return value

    @property
    def warehouse_host(self) -> str:
        return urlsplit(self.warehouse_url).hostname or "127.0.0.1"

    @property
    def warehouse_port(self) -> int:
        parts = urlsplit(self.warehouse_url)
        return parts.port or (8443 if parts.scheme == "https" else 8123)

    @property
    def warehouse_data_dir(self) -> Path:
        return self.home / "warehouse"

    @property
    def log_dir(self) -> Path:
        return self.home / "log"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"


def ensure_local_secrets(env_file: Path = ENV_FILE) -> list[str]:
    """Append a generated value to .env for every local secret that has none. Returns the names added."""
    existing = env_file.read_text() if env_file.exists() else ""
    present = {line.split("=", 1)[0].strip() for line in existing.splitlines() if "=" in line}
    added = [name for name in GENERATED_SECRETS if name not in present]
    if added:
        lines = [f"{name}={secrets.token_urlsafe(24)}" for name in added]
        prefix = "" if not existing or existing.endswith("\n") else "\n"
        with env_file.open("a") as f:
            f.write(prefix + "\n".join(lines) + "\n")
        env_file.chmod(0o600)
    get_settings.cache_clear()
    return added


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
