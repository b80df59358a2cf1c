from __future__ import annotations

import pytest
from pydantic import ValidationError

from errorhub.settings import GENERATED_SECRETS, Settings, ensure_local_secrets


def test_env_prefix_overrides_defaults(monkeypatch):
    monkeypatch.setenv("ERRORHUB_WAREHOUSE_URL", "https://ch.example.internal:9440")
    settings = Settings(_env_file=None)
    assert (settings.warehouse_host, settings.warehouse_port) == ("ch.example.internal", 9440)


def test_bad_warehouse_url_names_the_setting(monkeypatch):
    monkeypatch.setenv("ERRORHUB_WAREHOUSE_URL", "localhost:8123")
    with pytest.raises(ValidationError, match="ERRORHUB_WAREHOUSE_URL"):
        Settings(_env_file=None)


def test_bad_threshold_is_rejected(monkeypatch):
    monkeypatch.setenv("ERRORHUB_LSH_THRESHOLD", "1.5")
    with pytest.raises(ValidationError, match="lsh_threshold"):
        Settings(_env_file=None)


def test_local_secrets_are_generated_once_and_kept(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("ERRORHUB_INGEST_KEY=mine")
    added = ensure_local_secrets(env_file)
    assert set(added) == set(GENERATED_SECRETS) - {"ERRORHUB_INGEST_KEY"}
    first = env_file.read_text()
    assert "ERRORHUB_INGEST_KEY=mine\n" in first
    assert ensure_local_secrets(env_file) == []
    assert env_file.read_text() == first
    assert oct(env_file.stat().st_mode & 0o777) == "0o600"
