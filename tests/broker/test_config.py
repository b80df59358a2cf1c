"""Unit checks of the broker module: binaries, ports, commands and client configs."""

from __future__ import annotations

import subprocess
from pathlib import Path

from errorhub.broker import (
    broker_service,
    consumer_config,
    producer_config,
    storage_ports,
    storage_service,
    tansu_binary,
    weed_binary,
)
from errorhub.broker.storage import storage_command
from errorhub.settings import Settings

STACK_PORTS = {8123, 9092, 8000, 3000, 8088}


def settings_for(tmp_path: Path, **updates) -> Settings:
    return Settings(home=tmp_path, **updates)


def test_binaries_are_the_pinned_versions():
    tansu = subprocess.run([tansu_binary(), "--version"], capture_output=True, text=True, timeout=20)
    weed = subprocess.run([weed_binary(), "version"], capture_output=True, text=True, timeout=20)
    assert "0.6.0" in tansu.stdout
    assert "4.48" in weed.stdout


def test_storage_ports_are_distinct_and_clear_of_the_stack(tmp_path):
    ports = storage_ports(settings_for(tmp_path)).all()
    assert len(set(ports)) == 8
    assert ports[0] == 8333
    assert not set(ports) & STACK_PORTS


def test_storage_command_binds_loopback_and_sets_every_port(tmp_path):
    settings = settings_for(tmp_path, s3_port=21000)
    command = storage_command(settings)
    assert "-ip=127.0.0.1" in command and "-ip.bind=127.0.0.1" in command
    for port in storage_ports(settings).all():
        assert any(arg.endswith(f"={port}") for arg in command), port
    assert f"-dir={tmp_path / 'seaweedfs'}" in command


def test_broker_service_listens_and_advertises_the_bootstrap_address(tmp_path):
    settings = settings_for(tmp_path, kafka_bootstrap="127.0.0.1:19092", s3_bucket="b1")
    service = broker_service(settings)
    assert service.port == 19092
    assert service.command.count("tcp://127.0.0.1:19092") == 2
    assert "s3://b1/" in service.command
    assert service.env["AWS_ENDPOINT"] == f"http://127.0.0.1:{settings.s3_port}"
    assert "memory://" in " ".join(broker_service(settings, durable=False).command)
    assert broker_service(settings, durable=False).env == {}


def test_storage_service_is_stopped_with_time_for_the_graceful_filer_stop(tmp_path):
    service = storage_service(settings_for(tmp_path))
    assert service.stop_timeout > 15
    assert service.port == 8333


def test_client_configs_are_durable_and_only_name_the_bootstrap(tmp_path):
    settings = settings_for(tmp_path, kafka_bootstrap="kafka-1:9092,kafka-2:9092")
    producer = producer_config(settings, {"linger.ms": 1})
    assert producer["bootstrap.servers"] == "kafka-1:9092,kafka-2:9092"
    assert producer["acks"] == "all"
    # Idempotence is off on purpose (Tansu loses acked retries); order comes from one in flight.
    assert producer["enable.idempotence"] is False
    assert producer["max.in.flight.requests.per.connection"] == 1
    assert producer["linger.ms"] == 1
    consumer = consumer_config(settings, "g")
    assert consumer["group.id"] == "g" and consumer["enable.auto.commit"] is False
    assert not [value for value in {**producer, **consumer}.values() if "tansu" in str(value)]
