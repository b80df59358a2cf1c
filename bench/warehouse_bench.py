"""Warehouse service benchmark: the chDB-backed ClickHouse HTTP service vs chDB in-process.

    .venv/bin/python -m bench.warehouse_bench [--events 1000000] [--query-events 10000000]

Loopback only, temp folders, bounded (~3-4 minutes on 2 cores). Prints:
- insert rows/s for 1M realistic error events through the service vs in-process chDB
  (a) with clickhouse-connect doing the serialisation (HTTP client vs chdb:// client) and
  (b) with pre-serialised Native bytes (transport + server cost alone);
- `SELECT 1` round trip; p50/p95 of dashboard aggregations on 10M events;
- the service's RSS, and its restart time on the loaded folder.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import lz4.frame
import numpy as np
import urllib3

from errorhub.procstat import memory_mb
from tests.fixtures.warehouse import running_warehouse

COLUMNS = [
    "event_id",
    "timestamp",
    "project",
    "error_type",
    "message",
    "stack_trace",
    "pattern_id",
    "user_id",
]
DDL = """CREATE TABLE IF NOT EXISTS bench.events (
    event_id UUID, timestamp DateTime64(3), project LowCardinality(String),
    error_type LowCardinality(String), message String, stack_trace String,
    pattern_id UInt64, user_id String
) ENGINE = MergeTree PARTITION BY toYYYYMM(timestamp) ORDER BY (project, timestamp)"""
ERROR_TYPES = [
    "TypeError",
    "ValueError",
    "KeyError",
    "TimeoutError",
    "ConnectionError",
    "ZeroDivisionError",
    "IndexError",
    "AttributeError",
    "RuntimeError",
    "PermissionError",
    "MemoryError",
    "OSError",
]
FRAMES = [
    f'  File "/app/src/module_{i}.py", line {10 + i * 7}, in handler_{i}\n    result = process(item_{i})\n'
    for i in range(64)
]
QUERIES = {
    "count by error_type, last 24h": (
        "SELECT error_type, count() AS c FROM bench.events "
        "WHERE timestamp >= now64(3) - INTERVAL 24 HOUR GROUP BY error_type ORDER BY c DESC"
    ),
    "top 20 patterns, last 7 days": (
        "SELECT pattern_id, count() AS c, any(message) FROM bench.events "
        "WHERE timestamp >= now64(3) - INTERVAL 7 DAY GROUP BY pattern_id ORDER BY c DESC LIMIT 20"
    ),
    "per-hour series, last 7 days": (
        "SELECT toStartOfHour(timestamp) AS h, count() FROM bench.events "
        "WHERE timestamp >= now64(3) - INTERVAL 7 DAY GROUP BY h ORDER BY h"
    ),
    "distinct users per pattern (uniq), last 7 days": (
        "SELECT pattern_id, uniq(user_id) AS u FROM bench.events "
        "WHERE timestamp >= now64(3) - INTERVAL 7 DAY GROUP BY pattern_id ORDER BY u DESC LIMIT 20"
    ),
    "distinct users per pattern (uniq), all 10M": (
        "SELECT pattern_id, uniq(user_id) AS u FROM bench.events GROUP BY pattern_id ORDER BY u DESC LIMIT 20"
    ),
    "distinct users per pattern (uniqExact), all 10M": (
        "SELECT pattern_id, uniqExact(user_id) AS u FROM bench.events "
        "GROUP BY pattern_id ORDER BY u DESC LIMIT 20"
    ),
}


def make_events(n: int, seed: int = 1) -> list:
    """Column-oriented realistic error events: ~150-char messages, ~800-char stack traces."""
    rng = np.random.default_rng(seed)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    offsets = rng.integers(0, 30 * 86400 * 1000, n)
    patterns = rng.zipf(1.3, n) % 5000
    users = rng.integers(0, 200_000, n)
    types = rng.integers(0, len(ERROR_TYPES), n)
    frames = rng.integers(0, 64 - 8, n)
    stacks = ["Traceback (most recent call last):\n" + "".join(FRAMES[f : f + 8]) for f in range(64 - 8)]
    return [
        [uuid.uuid4() for _ in range(n)],
        [now - dt.timedelta(milliseconds=int(o)) for o in offsets],
        [f"project-{p % 20}" for p in patterns],
        [ERROR_TYPES[t] for t in types],
        [
            f"{ERROR_TYPES[t]}: request {i} to upstream service #{p} failed after {i % 5} retries; "
            f"user u{u} session s{i % 9973} payload too large for buffer of 4096 bytes"
            for i, (t, p, u) in enumerate(zip(types, patterns, users, strict=True))
        ],
        [
            stacks[f] + f"{ERROR_TYPES[t]}: in step {i % 100}"
            for i, (f, t) in enumerate(zip(frames, types, strict=True))
        ],
        [int(p) for p in patterns],
        [f"u{u}" for u in users],
    ]


def generate_sql(n: int) -> str:
    """Server-side generation of n events with the same shape (for the 10M query set)."""
    types = "[" + ",".join(f"'{t}'" for t in ERROR_TYPES) + "]"
    return f"""INSERT INTO bench.events SELECT
        generateUUIDv4(number), now64(3) - toIntervalMillisecond(rand64(1) % (30 * 86400000)),
        concat('project-', toString(pat % 20)), {types}[1 + rand(2) % 12],
        concat('Error: request ', toString(number), ' to upstream service #', toString(pat),
               ' failed after ', toString(number % 5), ' retries; user u', toString(usr),
               ' session s', toString(number % 9973), ' payload too large for buffer of 4096 bytes'),
        concat('Traceback (most recent call last):\\n', arrayStringConcat(arrayMap(i ->
               concat('  File "/app/src/module_', toString(i), '.py", line ', toString(10 + i * 7),
               ', in handler_', toString(i), '\\n    result = process(item_', toString(i), ')\\n'),
               range(fr, fr + 8))), 'Error: in step ', toString(number % 100)),
        pat, concat('u', toString(usr))
    FROM (SELECT number, toUInt64(floor(pow(rand(3) / 4294967296.0 + 1e-9, -1.3))) % 5000 AS pat,
                 rand(4) % 200000 AS usr, rand(5) % 56 AS fr FROM numbers({n}))"""


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def best_of(fn, runs: int = 2) -> float:
    return min(timed(fn) for _ in range(runs))


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def bench_inserts(wh, events: list, n: int, workdir: Path) -> dict:
    import chdb
    import clickhouse_connect

    out = {}
    service = wh.client(compress="lz4", send_receive_timeout=600)
    service.command("CREATE DATABASE IF NOT EXISTS bench")
    service.command(DDL)
    service.command(DDL.replace("bench.events", "bench.events_raw"))
    local = clickhouse_connect.get_client(dsn=f"chdb://{workdir / 'inproc'}")
    local.command("CREATE DATABASE IF NOT EXISTS bench")
    local.command(DDL)
    local.command(DDL.replace("bench.events", "bench.events_raw"))
    plain = wh.client(compress=False, send_receive_timeout=600)
    for name, client in (
        ("service (HTTP, lz4)", service),
        ("service (HTTP, uncompressed)", plain),
        ("in-process chDB (chdb://)", local),
    ):
        seconds = timed(  # one run each: client-side serialisation dominates and takes ~10 s
            lambda c=client: c.insert("bench.events", events, column_names=COLUMNS, column_oriented=True)
        )
        out[f"clickhouse-connect insert, {name}"] = n / seconds
    native = local.raw_query("SELECT * FROM bench.events FORMAT Native")
    conn = chdb.connect(str(workdir / "inproc"))  # same engine as `local`, a second handle

    def inproc_native() -> None:
        inserter = conn.send_insert("INSERT INTO bench.events_raw", "Native")
        for i in range(0, len(native), 4 << 20):
            inserter.append(native[i : i + (4 << 20)])
        inserter.finish()

    out["Native bytes, in-process chDB send_insert"] = n / best_of(inproc_native, 3)
    # The same bytes as one HTTP POST (statement in the URL), as a ClickHouse client sends them.
    http = urllib3.PoolManager()
    headers = urllib3.make_headers(basic_auth=f"{wh.user}:{wh.password}")
    url = f"{wh.url}/?{urlencode({'query': 'INSERT INTO bench.events_raw FORMAT Native'})}"

    def post(body: bytes, extra: dict) -> None:
        response = http.request("POST", url, body=body, headers={**headers, **extra}, timeout=600)
        assert response.status == 200, response.data[:500]

    out["Native bytes, service (HTTP POST, no compression)"] = n / best_of(lambda: post(native, {}), 3)
    packed = b"".join(lz4.frame.compress(native[i : i + (1 << 20)]) for i in range(0, len(native), 1 << 20))
    out["Native bytes, service (HTTP POST, lz4 body)"] = n / best_of(
        lambda: post(packed, {"Content-Encoding": "lz4"}), 3
    )
    counts = service.query("SELECT count() FROM bench.events_raw").result_rows[0][0]
    assert counts == 6 * n, counts  # three runs each of plain and lz4 (in-process ones go elsewhere)
    out["_native_mb"] = len(native) / 2**20
    service.command("TRUNCATE TABLE bench.events_raw")
    local.close()
    conn.close()
    return out


def bench_queries(wh, repeats: int) -> dict:
    client = wh.client(autogenerate_session_id=False)
    out = {}
    ping = [timed(lambda: client.query("SELECT 1")) for _ in range(200)]
    out["SELECT 1"] = percentiles(ping)
    for name, sql in QUERIES.items():
        client.query(sql)  # warm
        out[name] = percentiles([timed(lambda s=sql: client.query(s)) for _ in range(repeats)])
    return out


def inprocess_queries(data_dir: Path, repeats: int) -> dict:
    """The same queries on the same folder through chDB in a separate process (no HTTP)."""
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.warehouse_bench",
            "--inprocess-queries",
            str(data_dir),
            "--repeats",
            str(repeats),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    return {name: tuple(v) for name, v in json.loads(out.splitlines()[-1]).items()}


def _inprocess_queries_main(data_dir: str, repeats: int) -> None:
    import json

    import chdb

    conn = chdb.connect(data_dir)
    out = {}
    for name, sql in QUERIES.items():
        conn.query(sql, "Native")
        out[name] = percentiles([timed(lambda s=sql: conn.query(s, "Native")) for _ in range(repeats)])
    conn.close()
    print(json.dumps(out))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--query-events", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--inprocess-queries", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inprocess_queries:
        _inprocess_queries_main(args.inprocess_queries, args.repeats)
        return
    with tempfile.TemporaryDirectory(prefix="warehouse-bench-") as tmp:
        workdir = Path(tmp)
        t0 = time.perf_counter()
        events = make_events(args.events)
        print(f"generated {args.events:,} events client-side in {time.perf_counter() - t0:.1f}s")
        with running_warehouse(workdir / "service") as wh:
            rss_idle = memory_mb(wh.pid)[0]
            try:
                inserts = bench_inserts(wh, events, args.events, workdir)
            except Exception:
                print("service log tail:\n" + wh.log_tail(6000))
                raise
            del events
            print(
                f"\n== inserts: {args.events:,} error events "
                f"({inserts.pop('_native_mb'):.0f} MB as Native) =="
            )
            for name, rate in inserts.items():
                print(f"  {name:55s} {rate:>12,.0f} rows/s")
            rss_after_insert = memory_mb(wh.pid)[0]
            client = wh.client(send_receive_timeout=900)
            missing = args.query_events - client.query("SELECT count() FROM bench.events").result_rows[0][0]
            gen = timed(lambda: client.command(generate_sql(missing)))
            client.command("OPTIMIZE TABLE bench.events FINAL")
            total = client.query("SELECT count() FROM bench.events").result_rows[0][0]
            print(
                f"\n== queries on {total:,} events (generated server-side in {gen:.1f}s), "
                f"{args.repeats} runs each, via clickhouse-connect =="
            )
            service_times = bench_queries(wh, args.repeats)
            rss_loaded = memory_mb(wh.pid)[0]
            wh.stop()
            local_times = inprocess_queries(wh.data_dir, args.repeats)
            print(f"  {'':48s} {'service p50 / p95':>22s}   {'in-process p50 / p95':>22s}")
            for name, (p50, p95) in service_times.items():
                local = local_times.get(name)
                local_text = f"{local[0] * 1000:8.1f} / {local[1] * 1000:7.1f} ms" if local else ""
                print(f"  {name:48s} {p50 * 1000:8.1f} / {p95 * 1000:7.1f} ms   {local_text}")
            restart = timed(wh.start)
            print("\n== service process ==")
            print(
                f"  RSS idle after start {rss_idle:.0f} MB, after 1M-row inserts {rss_after_insert:.0f} MB, "
                f"after queries {rss_loaded:.0f} MB"
            )
            print(f"  restart on the loaded folder ({total:,} events) until /ping answers: {restart:.2f}s")
            print(
                f"  first query after restart: "
                f"{timed(lambda: wh.client().query(QUERIES['count by error_type, last 24h'])) * 1000:.0f} ms"
            )
        print(f"\ntotal bench time {time.perf_counter() - t0:.0f}s")


if __name__ == "__main__":
    main()
