"""Ingest API throughput and latency on loopback: `.venv/bin/python -m bench.ingest_bench`.

Starts a durable local broker (Tansu on SeaweedFS) and the API as a subprocess on free
ports, then measures accepted events/s for batch posts and for single posts, p50/p95
latency of the 202, and the API's resident memory. Every phase is bounded in count and
time. Results go to bench/RESULTS-ingest.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from errorhub.procstat import memory_mb
from tests.fixtures.broker import running_broker
from tests.fixtures.ingest import running_ingest

RESULTS = Path(__file__).with_name("RESULTS-ingest.md")
PHASE_TIME_LIMIT_S = 60.0


@dataclass
class Phase:
    name: str
    requests: int
    events: int
    seconds: float
    latencies_ms: list[float]
    rejected: int

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds

    def percentile(self, q: int) -> float:
        return statistics.quantiles(self.latencies_ms, n=100)[q - 1]


def sample_event(n: int) -> dict:
    return {
        "execution_id": f"run-{n % 500}",
        "language": "python",
        "error_type": "ZeroDivisionError",
        "message": f"division by zero in cell {n}",
        "stack_trace": 'Traceback (most recent call last):\n  File "cell.py", line 3, in <module>\n'
        "    x = 1 / 0\nZeroDivisionError: division by zero\n",
        "tags": {"queue": "bench"},
    }


def run_phase(name: str, url: str, key: str, requests: int, batch: int, workers: int) -> Phase:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    bodies = [
        json.dumps([sample_event(r * batch + i) for i in range(batch)] if batch > 1 else sample_event(r))
        for r in range(requests)
    ]
    latencies: list[float] = []
    rejected = 0
    lock = threading.Lock()
    deadline = time.monotonic() + PHASE_TIME_LIMIT_S
    local = threading.local()

    def send(body: str) -> None:
        nonlocal rejected
        if time.monotonic() > deadline:
            return
        client = getattr(local, "client", None) or httpx.Client(timeout=30)
        local.client = client
        start = time.perf_counter()
        response = client.post(url, content=body, headers=headers)
        elapsed = (time.perf_counter() - start) * 1000
        with lock:
            if response.status_code == 202:
                latencies.append(elapsed)
            else:
                rejected += 1

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(send, bodies))
    seconds = time.perf_counter() - start
    return Phase(name, len(latencies), len(latencies) * batch, seconds, latencies, rejected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-requests", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--single-requests", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--durable-only", action="store_true", help="skip the memory:// broker run")
    args = parser.parse_args()

    sections = [measure(args, durable=True)]
    if not args.durable_only:
        sections.append(measure(args, durable=False))
    report = HEADER.format(
        when=time.strftime("%Y-%m-%d %H:%M"),
        node=platform.node(),
        python=platform.python_version(),
        cores=os.cpu_count(),
        load=" / ".join(f"{x:.1f}" for x in os.getloadavg()),
        workers=args.workers,
    ) + "\n".join(sections)
    RESULTS.write_text(report)
    print(report)


def measure(args: argparse.Namespace, durable: bool) -> str:
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ingest-bench-")))
        broker = stack.enter_context(running_broker(tmp / "broker", durable=durable))
        unlimited = {"ERRORHUB_INGEST_RATE": "1e9", "ERRORHUB_INGEST_BURST": "1e9"}
        api = stack.enter_context(
            running_ingest(broker.isolated_settings(partitions=3), tmp / "api", **unlimited)
        )
        url = f"{api.url}/v1/events"
        run_phase("warm-up", url, api.key, 50, 10, 2)
        idle_rss, _ = memory_mb(api.pid)
        phases = [
            run_phase(
                f"batch x{args.batch_size}", url, api.key, args.batch_requests, args.batch_size, args.workers
            ),
            run_phase("single", url, api.key, args.single_requests, 1, args.workers),
        ]
        rss, peak = memory_mb(api.pid)
        health = api.health()
    title = "durable broker (Tansu s3:// on SeaweedFS)" if durable else "memory broker (Tansu memory://)"
    return render(title, phases, idle_rss, rss, peak, health)


HEADER = """# Ingest API benchmark

`.venv/bin/python -m bench.ingest_bench` — {when}, {node}, Python {python}, {cores} cores,
1-min load average before/after the run {load} (the machine is shared with other work).
Loopback; API = one uvicorn process; {workers} client threads (httpx, keep-alive) in the
bench process; topic of 3 partitions. Every 202 waited for the broker's acknowledgement
(acks=all, idempotent producer). Client, API and broker share the cores, so these are
lower bounds.
"""


def render(
    title: str, phases: list[Phase], idle_rss: float, rss: float, peak: float, health: dict | None
) -> str:
    rows = "\n".join(
        f"| {p.name} | {p.requests} | {p.events} | {p.seconds:.1f} | {p.events_per_s:,.0f} | "
        f"{p.requests / p.seconds:,.0f} | {p.percentile(50):.1f} | {p.percentile(95):.1f} | {p.rejected} |"
        for p in phases
    )
    return f"""
## {title}

| phase | 202 requests | events | s | events/s | requests/s | p50 ms | p95 ms | non-202 |
|-------|-------------:|-------:|--:|---------:|-----------:|-------:|-------:|--------:|
{rows}

API RSS: {idle_rss:.0f} MB after warm-up, {rss:.0f} MB after the run, peak {peak:.0f} MB.
`/health` after the run: `{health}`.
"""


if __name__ == "__main__":
    main()
