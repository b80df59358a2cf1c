"""The local broker against the real binaries: round trip, topics, groups, loopback only."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Message, Producer

from errorhub.broker import ensure_topics, topic_names
from errorhub.settings import Settings

pytestmark = pytest.mark.integration


def produce(producer: Producer, topic: str, values: list[bytes], key: bytes | None = None) -> int:
    acked: list[Message] = []
    for value in values:
        producer.produce(
            topic, value=value, key=key, on_delivery=lambda e, m: acked.append(m) if e is None else None
        )
    assert producer.flush(30) == 0
    return len(acked)


def consume(consumer: Consumer, count: int, timeout: float = 60.0) -> list[Message]:
    """Exactly up to `count` messages or until `timeout` (the hard bound on a hung broker)."""
    import time

    got: list[Message] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            got.append(message)
    return got


def test_round_trip_keeps_value_key_and_headers(broker):
    topic = broker.create_topic(partitions=3)
    producer = broker.producer()
    producer.produce(topic, value=b"hello", key=b"k1", headers=[("trace", b"t-1")])
    assert producer.flush(30) == 0
    [message] = broker.read(topic)
    assert (message.value(), message.key(), message.headers()) == (b"hello", b"k1", [("trace", b"t-1")])


def test_many_messages_round_trip_in_order_per_partition(broker):
    topic = broker.create_topic(partitions=3)
    values = [f"m{i}".encode() for i in range(3000)]
    assert produce(broker.producer(), topic, values, key=b"same-key") == 3000
    assert [m.value() for m in broker.read(topic)] == values


def test_default_topics_exist_after_start_and_ensure_is_idempotent(broker):
    assert ensure_topics(broker.settings) == {name: "exists" for name in topic_names(broker.settings)}
    assert ensure_topics(broker.settings) == {name: "exists" for name in topic_names(broker.settings)}


def test_ensure_topics_creates_missing_ones_with_the_asked_partitions(broker):
    settings = broker.settings.model_copy(update={"topic_dead": f"dead_{uuid.uuid4().hex[:8]}"})
    outcome = ensure_topics(settings, partitions=2)
    assert outcome[settings.topic_dead] == "created"
    assert outcome[settings.topic_raw] == "exists"
    from confluent_kafka.admin import AdminClient

    from errorhub.broker import admin_config

    topics = AdminClient(admin_config(settings)).list_topics(timeout=10).topics
    assert len(topics[settings.topic_dead].partitions) == 2


def test_isolated_settings_give_fresh_empty_topics(broker):
    settings = broker.isolated_settings()
    assert settings.topic_raw != broker.settings.topic_raw
    assert broker.read(settings.topic_raw, idle=1.0) == []


def test_group_commit_and_resume(broker):
    topic, group = broker.create_topic(), f"g_{uuid.uuid4().hex[:8]}"
    assert produce(broker.producer(), topic, [f"a{i}".encode() for i in range(50)]) == 50
    first = broker.consumer(group)
    first.subscribe([topic])
    seen = consume(first, 50)
    first.commit(message=seen[-1], asynchronous=False)
    first.close()

    assert produce(broker.producer(), topic, [f"b{i}".encode() for i in range(30)]) == 30
    second = broker.consumer(group)
    second.subscribe([topic])
    resumed = consume(second, 30)
    extra = consume(second, 1, timeout=3.0)
    second.close()
    assert [m.value() for m in seen] == [f"a{i}".encode() for i in range(50)]
    assert [m.value() for m in resumed] == [f"b{i}".encode() for i in range(30)]
    assert extra == []


def test_memory_broker_round_trip(memory_broker):
    topic = memory_broker.create_topic()
    assert produce(memory_broker.producer(), topic, [b"x", b"y"]) == 2
    assert [m.value() for m in memory_broker.read(topic, idle=1.0)] == [b"x", b"y"]
    assert ensure_topics(memory_broker.settings) == {n: "exists" for n in topic_names(memory_broker.settings)}


def listening_addresses(pid: int) -> list[str]:
    """Local addresses of the TCP listening and UDP sockets that process `pid` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            listening = table.startswith("udp") or fields[3] == "0A"
            if listening and fields[9] in inodes:
                found.append(f"{table} {fields[1]}")
    return found


LOOPBACK_HEX = ("0100007F:", "00000000000000000000000001000000:")


@pytest.mark.parametrize("name", ["broker", "broker-storage"])
def test_every_listening_socket_is_on_loopback(broker, name):
    addresses = listening_addresses(broker.pid(name))
    assert addresses, f"{name} listens on nothing?"
    assert [a for a in addresses if not a.split()[1].startswith(LOOPBACK_HEX)] == []


def test_settings_used_are_temporary_and_off_the_default_ports(broker):
    settings: Settings = broker.settings
    assert not settings.kafka_bootstrap.endswith(":9092")
    assert settings.s3_port != 8333
    assert broker.bootstrap == settings.kafka_bootstrap
    assert (settings.home / "seaweedfs").is_dir()
