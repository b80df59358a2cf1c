"""Dagster benchmark: recompute patterns and every metric on 10M events / 100k fingerprints.

    .venv/bin/python -m bench.dagster_bench [--events 10000000] [--fingerprints 100000] [--keep DIR]

Starts its own warehouse server (as the test fixture does: temp data folder, free loopback
port), seeds it with generated rows inside ClickHouse (INSERT ... SELECT FROM numbers()),
then times each recompute step and one in-process `dagster.materialize` of them all.

The generated history: 100k fingerprints in 25k families of 4 near-duplicates (MinHash
signatures equal on 124/128 values); the stream mapped 85% of family members to their
family's pattern and left 15% in patterns of their own (missed merges to be repaired) and
1,000 rare fingerprints unmapped. Events follow a Zipf-like popularity over fingerprints,
spread over 60 days across 20 projects and 50k users, with 300-800-character stack traces.
Clean events carry an empty signature except the unmapped fingerprints' (the mapping table
holds the signatures; recompute never reads the events' signature column otherwise).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

FAMILY = 4
UNMAPPED = 1_000


def log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {msg}", flush=True)


def seed(client, n_events: int, n_fp: int, now: datetime) -> dict:
    rng = np.random.RandomState(42)
    families = n_fp // FAMILY
    base = rng.randint(0, 2**32, (families, 128), dtype=np.uint64).astype(np.uint32)
    sigs = np.repeat(base, FAMILY, axis=0)
    for k in range(1, FAMILY):  # member k differs from the family founder on 4 positions
        cols = rng.choice(128, 4, replace=False)
        sigs[k::FAMILY, cols] ^= np.uint32(0x5A5A)
    fps = [f"{i:016x}{(i * 2654435761) % 2**32:08x}" for i in range(n_fp)]
    errors = [
        "ValueError",
        "KeyError",
        "TypeError",
        "IndexError",
        "TimeoutError",
        "ConnectionError",
        "ZeroDivisionError",
        "AttributeError",
        "RuntimeError",
        "MemoryError",
        "SIGSEGV",
        "NullPointerException",
    ]
    t0 = time.perf_counter()
    client.command(
        "CREATE TABLE bench_fp (idx UInt32, fingerprint String, project LowCardinality(String), "
        "error_type LowCardinality(String), canonical_msg String, stack_trace String, "
        "level LowCardinality(String), "
        "signature Array(UInt32)) ENGINE = MergeTree ORDER BY idx"
    )
    rows = []
    for i, fp in enumerate(fps):
        fam = i // FAMILY
        etype = errors[fam % len(errors)]
        msg = f"{etype}: failed to process record <*> in stage {fam % 97} of job {fam} (variant {i % FAMILY})"
        frames = "\n".join(
            f'  File "/app/src/module_{(fam + j) % 300}.py", line <*>, in handler_{(fam * 7 + j) % 1000}'
            for j in range(4 + fam % 8)
        )
        unmapped = i >= n_fp - UNMAPPED
        rows.append(
            [
                i,
                fp,
                f"project-{fam % 20:02d}",
                etype,
                msg,
                f"Traceback (most recent call last):\n{frames}\n{msg}",
                "fatal" if fam % 500 == 0 else "error",
                sigs[i].tolist() if unmapped else [],
            ]
        )
    client.insert(
        "bench_fp",
        rows,
        column_names=[
            "idx",
            "fingerprint",
            "project",
            "error_type",
            "canonical_msg",
            "stack_trace",
            "level",
            "signature",
        ],
    )
    # The stream's mapping: 85% of members joined their family's pattern, 15% founded their own.
    mapping = []
    for i, fp in enumerate(fps[: n_fp - UNMAPPED]):
        founder = fps[(i // FAMILY) * FAMILY]
        own = i % FAMILY != 0 and rng.rand() < 0.15
        pid = "p" + (fp if own else founder)[:16]
        mapping.append([fp, pid, sigs[i].tolist(), now - timedelta(days=60), "stream"])
    for start in range(0, len(mapping), 20_000):
        client.insert(
            "fingerprint_patterns",
            mapping[start : start + 20_000],
            column_names=["fingerprint", "pattern_id", "signature", "assigned_at", "assigned_by"],
        )
    log(f"fingerprints + mapping: {time.perf_counter() - t0:.1f}s")

    t0 = time.perf_counter()
    chunk = 2_000_000
    for offset in range(0, n_events, chunk):
        size = min(chunk, n_events - offset)
        client.command(
            f"""
            INSERT INTO events_clean
                (event_id, timestamp, project, release, execution_id, user_id, language, level,
                 file_path, error_type, message, stack_trace, canonical_msg, fingerprint, signature,
                 pattern_id, ingested_at)
            SELECT
                generateUUIDv4(number) AS event_id,
                toDateTime64('{now:%Y-%m-%d %H:%M:%S}', 3, 'UTC')
                    - toIntervalMillisecond(cityHash64(number, 1) % (60 * 86400000)) AS ts,
                f.project, concat('1.', toString(cityHash64(number, 2) % 30)),
                concat('x', toString(intDiv(number, 3))),
                concat('u', toString(cityHash64(number, 3) % 50000)),
                'python', f.level, '/app/src/main.py', f.error_type,
                replaceOne(f.canonical_msg, '<*>', toString(cityHash64(number, 4) % 100000)),
                f.stack_trace, f.canonical_msg, f.fingerprint, f.signature, '', ts
            FROM
            (
                SELECT number,
                    toUInt32(floor({n_fp} * pow(cityHash64(number, 5) / 18446744073709551615.0, 2.5))) AS idx
                FROM numbers({offset}, {size})
            ) AS e
            INNER JOIN bench_fp AS f ON f.idx = e.idx
            """,
            settings={"max_insert_threads": 2},
        )
        log(f"events {offset + size:,}")
    log(f"events: {time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    n_exec = n_events // 3
    client.command(
        f"""
        INSERT INTO executions
            (execution_id, timestamp, project, user_id, language, status, duration_ms, record_id)
        SELECT concat('x', toString(number)),
               toDateTime64('{now:%Y-%m-%d %H:%M:%S}', 3, 'UTC')
                   - toIntervalMillisecond(cityHash64(number, 6) % (60 * 86400000)),
               concat('project-', leftPad(toString(cityHash64(number, 7) % 20), 2, '0')),
               concat('u', toString(cityHash64(number, 3) % 50000)), 'python',
               ['success', 'success', 'error', 'timeout', 'success'][1 + cityHash64(number, 8) % 5],
               cityHash64(number, 9) % 60000, generateUUIDv4(number)
        FROM numbers({n_exec})
        """
    )
    # Status history: 20% of patterns resolved, a quarter of those regressed, half of those resolved again.
    log_rows = []
    patterns = sorted({m[1] for m in mapping})
    for k, pid in enumerate(patterns[: len(patterns) // 5]):
        resolved = now - timedelta(days=int(rng.randint(2, 50)), minutes=int(rng.randint(0, 1440)))
        log_rows.append([pid, resolved, "bench", "Open", "Resolved", ""])
        if k % 4 == 0:
            regressed = resolved + timedelta(hours=int(rng.randint(1, 40)))
            log_rows.append([pid, regressed, "system", "Resolved", "Regressed", ""])
            if k % 8 == 0:
                log_rows.append(
                    [
                        pid,
                        regressed + timedelta(hours=int(rng.randint(1, 30))),
                        "bench",
                        "Regressed",
                        "Resolved",
                        "",
                    ]
                )
    client.insert(
        "pattern_status_log",
        log_rows,
        column_names=["pattern_id", "changed_at", "actor", "from_status", "to_status", "reason"],
    )
    log(f"executions {n_exec:,} + status log {len(log_rows):,}: {time.perf_counter() - t0:.1f}s")
    client.command("DROP TABLE bench_fp")
    return {"executions": n_exec, "status_changes": len(log_rows), "stream_patterns": len(patterns)}


_SERVER_PID = 0


def server_cpu() -> float:
    """CPU seconds used so far by the warehouse server (user + system)."""
    fields = Path(f"/proc/{_SERVER_PID}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(label: str, fn, results: list):
    t0, s0, p0 = time.perf_counter(), server_cpu(), own_cpu()
    out = fn()
    elapsed, server, own = time.perf_counter() - t0, server_cpu() - s0, own_cpu() - p0
    results.append((label, elapsed, server, own))
    log(f"{label}: {elapsed:.2f}s wall, {server:.2f}s warehouse CPU, {own:.2f}s Python CPU")
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dagster_bench")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--fingerprints", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="Data folder to keep (default: a temp folder, removed)")
    args = parser.parse_args(argv)

    from tests.fixtures.warehouse import running_warehouse

    with tempfile.TemporaryDirectory(prefix="dagster-bench-") as tmp:
        data_dir = args.keep or Path(tmp) / "data"
        with running_warehouse(data_dir) as wh:
            run(wh, args)


def run(wh, args) -> None:
    import dagster as dg

    from assets.defs.metrics.assets import metrics_daily, metrics_summary, pattern_counts, pattern_mttr
    from assets.defs.patterns.assets import pattern_clusters, patterns
    from assets.defs.resources import WarehouseResource
    from assets.lib import metrics
    from assets.lib.clustering import cluster
    from assets.lib.patterns import load_fingerprints, refresh_patterns, write_mapping
    from assets.lib.sql import utcnow
    from assets.lib.status import find_regressions
    from warehouse.migrate import migrate

    global _SERVER_PID
    _SERVER_PID = wh.pid

    admin = wh.client()
    admin.command("CREATE DATABASE bench")
    client = wh.client(database="bench", send_receive_timeout=1800)
    migrate(client)
    now = utcnow()
    log(
        f"warehouse {wh.url} pid {wh.pid}; seeding {args.events:,} events, {args.fingerprints:,} fingerprints"
    )
    facts = seed(client, args.events, args.fingerprints, now)
    disk = client.command(
        "SELECT formatReadableSize(sum(bytes_on_disk)) FROM system.parts WHERE database = 'bench' AND active"
    )
    log(f"seeded: {facts}, on disk {disk}")

    results: list[tuple[str, float]] = []
    now = utcnow()
    rows = timed("load fingerprints (events + mapping)", lambda: load_fingerprints(client), results)
    result = timed("LSH re-cluster + union (Python)", lambda: cluster(rows, 0.8), results)
    written = timed("write merged mapping", lambda: write_mapping(client, rows, result, now), results)
    stats = timed("patterns table (SQL)", lambda: refresh_patterns(client, now), results)
    n_counts = timed(
        "pattern_counts 1h/24h/7d (SQL)", lambda: metrics.refresh_pattern_counts(client, now), results
    )
    n_mttr = timed("pattern_mttr", lambda: metrics.refresh_pattern_mttr(client, now), results)
    summary = timed("metrics_summary", lambda: metrics.refresh_summary(client, now), results)
    daily = timed(
        "metrics_daily, one day",
        lambda: metrics.refresh_daily(client, (now - timedelta(days=1)).date(), now),
        results,
    )
    steps_total = sum(r[1] for r in results)
    cpu_total = sum(r[2] + r[3] for r in results)
    log(f"steps total: {steps_total:.1f}s wall, {cpu_total:.1f}s CPU")
    sensors: list = []
    timed("regression sensor query (find_regressions)", lambda: find_regressions(client), sensors)

    resource_ = WarehouseResource(url=wh.url, user=wh.user, password=wh.password, database="bench")
    with dg.instance_for_test() as instance:
        t0 = time.perf_counter()
        res = dg.materialize(
            [pattern_clusters, patterns, pattern_counts, pattern_mttr, metrics_summary],
            resources={"warehouse": resource_},
            instance=instance,
        )
        e2e = time.perf_counter() - t0
        t0 = time.perf_counter()
        steady = dg.materialize(
            [pattern_clusters, patterns], resources={"warehouse": resource_}, instance=instance
        )
        e2e_steady = time.perf_counter() - t0
        skipped = steady.asset_materializations_for_node("pattern_clusters")[0].metadata["skipped"].value
        t0 = time.perf_counter()
        day = dg.materialize(
            [metrics_daily],
            partition_key=(now - timedelta(days=1)).date().isoformat(),
            resources={"warehouse": resource_},
            instance=instance,
        )
        e2e_daily = time.perf_counter() - t0
    assert res.success and day.success
    log(f"materialize(patterns + hourly metrics): {e2e:.1f}s; daily partition: {e2e_daily:.1f}s")

    overall = next(s for s in summary if s.project == "(all)")
    print("\n## Results")
    print(
        f"- events: {args.events:,}; fingerprints: {len(rows):,} ({UNMAPPED:,} unmapped); "
        f"stream patterns: {facts['stream_patterns']:,}; executions: {facts['executions']:,}; "
        f"status changes: {facts['status_changes']:,}; on disk: {disk}"
    )
    print(
        f"- after merge: {result.patterns:,} patterns, {len(result.merges):,} merged away, "
        f"{written:,} mapping rows written; patterns rows: {stats.patterns:,}; "
        f"pattern_counts rows: {n_counts:,}; "
        f"MTTR cycles: {n_mttr:,}; daily rows: {len(daily)}"
    )
    print(
        f"- overall: reopen rate {overall.reopen_rate:.3f}, "
        f"MTTR mean {overall.mttr_avg_seconds / 3600:.1f} h, "
        f"failure rate 24h {overall.failure_rate_24h:.3f}"
    )
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (2 cores, shared with other work)")
    print("\n| step | wall s | warehouse CPU s | Python CPU s |\n|---|---:|---:|---:|")
    for label, t, server, own in results + sensors:
        print(f"| {label} | {t:.2f} | {server:.2f} | {own:.2f} |")
    print(f"| **all steps** | **{steps_total:.1f}** | | **{cpu_total:.1f}** (both) |")
    print(f"| `dagster.materialize` patterns + hourly metrics (in process, fresh instance) | {e2e:.1f} | | |")
    print(
        f"| `dagster.materialize` pattern_clusters + patterns again, nothing new "
        f"(LSH skipped: {skipped}) | {e2e_steady:.1f} | | |"
    )
    print(f"| `dagster.materialize` metrics_daily one partition | {e2e_daily:.1f} | | |")
    print(f"\npeak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
