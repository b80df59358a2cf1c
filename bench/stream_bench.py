"""Stream benchmark: Kafka -> Flink -> ClickHouse throughput and latency, Beam replay rate.

    envs/stream/.venv/bin/python -m bench.stream_bench [--events 30000] [--rate 200]
        [--latency-seconds 30] [--replay-events 20000] [--out bench/RESULTS-stream.md]

Starts its own durable broker (SeaweedFS + Tansu), warehouse server and stream job on free
loopback ports in a temp dir, and stops them (by PID) at the end.

* throughput: `--events` produced as fast as possible while the job runs; rate = events /
  (time the last one is visible in a ClickHouse query - time the first one was produced).
* latency: a steady `--rate` events/s for `--latency-seconds`; per event, time from the
  produce call to the first 100 ms poll of the warehouse that returns it (p50/p95/p99; the
  poll interval adds up to 0.1 s).
* Beam replay: `--replay-events` from a JSONL file into an empty database (FnApiRunner).
* memory: peak RSS of the job's process group (runner + JVM + Python workers), warehouse,
  broker processes, and of the replay process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from errorhub.procstat import total_rss_mb  # noqa: E402
from tests.fixtures.broker import running_broker  # noqa: E402
from tests.fixtures.warehouse import running_warehouse  # noqa: E402


def event(i: int, project: str) -> dict:
    shape = i % 4
    messages = [
        f"KeyError: 'user_{i}' not found in cache for alice{i}@corp.example at 10.1.{i % 250}.7",
        f"Request to https://api.partner.example/v2/orders/{1000 + i} timed out after {3000 + i} ms",
        f"division by zero in invoice {i} for tenant {i % 97}",
        f"Connection refused: db-{i % 5}.internal:5432 (attempt {i % 3}) for job {uuid.uuid4()}",
    ]
    return {
        "event_id": str(uuid.uuid4()),
        "timestamp": datetime.now(UTC).isoformat(),
        "project": project,
        "execution_id": f"run-{i % 101}",
        "user_id": f"user-{i % 37}",
        "language": "python",
        "error_type": ["KeyError", "TimeoutError", "ZeroDivisionError", "ConnectionRefusedError"][shape],
        "message": messages[shape],
        "stack_trace": (
            "Traceback (most recent call last):\n"
            f'  File "/srv/app/mod{shape}.py", line {10 + i % 7}, in handler\n'
            "    do_work()\n"
            f"{['KeyError', 'TimeoutError', 'ZeroDivisionError', 'ConnectionRefusedError'][shape]}: boom"
        ),
    }


def group_pids(pgid: int) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                    pids.append(int(proc.name))
            except (OSError, IndexError, ValueError):
                pass
    return pids


class PeakSampler(threading.Thread):
    def __init__(self, pids_fn):
        super().__init__(daemon=True)
        self.pids_fn = pids_fn
        self.peak = 0.0
        self.stop_flag = threading.Event()

    def run(self):
        while not self.stop_flag.is_set():
            self.peak = max(self.peak, total_rss_mb(self.pids_fn()))
            time.sleep(0.5)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--latency-seconds", type=int, default=30)
    parser.add_argument("--replay-events", type=int, default=20_000)
    parser.add_argument("--out", default=str(REPO_ROOT / "bench" / "RESULTS-stream.md"))
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="stream-bench-") as tmp:
        tmp = Path(tmp)
        with running_warehouse(tmp / "wh" / "data") as wh, running_broker(tmp / "broker") as broker:
            from warehouse.migrate import migrate

            admin = wh.client()
            admin.command("CREATE DATABASE bench")
            admin.command("CREATE DATABASE bench_replay")
            admin.close()
            for db in ("bench", "bench_replay"):
                client = wh.client(database=db)
                migrate(client)
                client.close()
            settings = broker.settings.model_copy(
                update={
                    "home": tmp / "home",
                    "warehouse_url": wh.url,
                    "warehouse_user": wh.user,
                    "warehouse_password": SecretStr(wh.password),
                    "warehouse_database": "bench",
                }
            )
            results.update(run_stream(settings, wh, broker, args))
            results.update(run_replay(settings, wh, args, tmp))
            results["warehouse_rss_mb"] = round(total_rss_mb([wh.pid]), 0)
            results["broker_rss_mb"] = {
                name: round(total_rss_mb([broker.pid(name)]), 0)
                for name in broker.services
                if broker.pid(name)
            }
    results["load_before"] = round(load_before, 1)
    results["load_after"] = round(os.getloadavg()[0], 1)
    print(json.dumps(results, indent=2))
    write_results(Path(args.out), results, args)


def run_stream(settings, wh, broker, args) -> dict:
    from pipelines.flink.service import service_env

    home = Path(settings.home)
    (home / "log").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **service_env(settings), "ERRORHUB_FLINK_PYTHON": sys.executable}
    log = (home / "log" / "stream.log").open("ab")
    started = time.monotonic()
    job = subprocess.Popen(
        [sys.executable, "-m", "pipelines.flink.job", "run"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    sampler = PeakSampler(lambda: group_pids(job.pid))
    sampler.start()
    client = wh.client(database="bench")
    out: dict[str, object] = {}
    try:
        status_path = home / "run" / "stream-status.json"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if json.loads(status_path.read_text()).get("state") == "RUNNING":
                    break
            except (OSError, ValueError):
                pass
            if job.poll() is not None:
                raise SystemExit(f"stream job exited with {job.returncode}; see {home / 'log'}")
            time.sleep(0.2)
        else:
            raise SystemExit("stream job not RUNNING after 300 s")
        out["job_start_s"] = round(time.monotonic() - started, 1)
        producer = broker.producer({"acks": "all", "enable.idempotence": True, "linger.ms": 5})

        # Warm-up: the first events pay for worker start and index load.
        for i in range(200):
            producer.produce(settings.topic_raw, json.dumps(event(i, "warmup")))
        producer.flush(60)
        wait_count(client, "warmup", 200, 300)

        # Sustained throughput.
        n = args.events
        payloads = [json.dumps(event(i, "throughput")) for i in range(n)]
        first = time.monotonic()
        for payload in payloads:
            while True:
                try:
                    producer.produce(settings.topic_raw, payload)
                    break
                except BufferError:
                    producer.poll(0.05)
            producer.poll(0)
        producer.flush(120)
        produced = time.monotonic()
        wait_count(client, "throughput", n, 1200)
        done = time.monotonic()
        out["throughput_events"] = n
        out["produce_s"] = round(produced - first, 2)
        out["end_to_end_s"] = round(done - first, 1)
        out["throughput_eps"] = round(n / (done - first), 0)

        # Latency at a steady rate.
        sent: dict[str, float] = {}
        seen: dict[str, float] = {}
        stop = threading.Event()

        def poll():
            while not stop.is_set() or len(seen) < len(sent):
                rows = client.query(
                    "SELECT toString(event_id) FROM events_clean WHERE project = 'latency'"
                ).result_rows
                now = time.monotonic()
                for (eid,) in rows:
                    seen.setdefault(eid, now)
                if stop.is_set() and now - stopped_at[0] > 60:
                    break
                time.sleep(0.1)

        stopped_at = [0.0]
        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        interval = 1.0 / args.rate
        total = args.rate * args.latency_seconds
        t0 = time.monotonic()
        for i in range(total):
            target = t0 + i * interval
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            e = event(i, "latency")
            sent[e["event_id"]] = time.monotonic()
            producer.produce(settings.topic_raw, json.dumps(e))
            producer.poll(0)
        producer.flush(60)
        stopped_at[0] = time.monotonic()
        stop.set()
        poller.join(120)
        latencies = [seen[k] - sent[k] for k in sent if k in seen]
        out["latency_rate_eps"] = args.rate
        out["latency_events"] = total
        out["latency_seen"] = len(latencies)
        if latencies:
            out["latency_p50_s"] = round(statistics.median(latencies), 3)
            out["latency_p95_s"] = round(percentile(latencies, 0.95), 3)
            out["latency_p99_s"] = round(percentile(latencies, 0.99), 3)
            out["latency_max_s"] = round(max(latencies), 3)
        count, unique = client.query("SELECT count(), uniqExact(event_id) FROM events_clean").result_rows[0]
        out["rows_total"], out["rows_unique"] = count, unique
        out["job_rss_now_mb"] = round(total_rss_mb(group_pids(job.pid)), 0)
        out["job_processes"] = len(group_pids(job.pid))
    finally:
        sampler.stop_flag.set()
        out["job_rss_peak_mb"] = round(sampler.peak, 0)
        client.close()
        try:
            os.killpg(job.pid, signal.SIGTERM)
            job.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(job.pid, signal.SIGKILL)
        log.close()
    return out


def wait_count(client, project: str, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = client.query(f"SELECT count() FROM events_clean WHERE project = '{project}'").result_rows[0][0]
        if got >= n:
            return
        time.sleep(0.1)
    raise SystemExit(f"only {got}/{n} {project} events visible after {timeout}s")


def run_replay(settings, wh, args, tmp: Path) -> dict:
    from pipelines.flink.service import service_env

    path = tmp / "replay.jsonl"
    with path.open("w") as f:
        for i in range(args.replay_events):
            f.write(json.dumps(event(i, "replay")) + "\n")
    env = {**os.environ, **service_env(settings.model_copy(update={"warehouse_database": "bench_replay"}))}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.beam.replay", "--source", f"jsonl:{path}"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"replay failed: {done.stderr[-3000:]}")
    counters = json.loads(done.stdout[done.stdout.index("{") :])
    client = wh.client(database="bench_replay")
    stored = client.query("SELECT count() FROM events_clean").result_rows[0][0]
    client.close()
    return {
        "replay_events": args.replay_events,
        "replay_written": counters.get("events_written"),
        "replay_stored": stored,
        "replay_s": round(elapsed, 1),
        "replay_eps": round(args.replay_events / elapsed, 0),
        "replay_cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
        "replay_rss_peak_mb": round(after.ru_maxrss / 1024, 0),
    }


def write_results(path: Path, r: dict, args) -> None:
    cmd = (
        f"envs/stream/.venv/bin/python -m bench.stream_bench --events {args.events} --rate {args.rate} "
        f"--latency-seconds {args.latency_seconds} --replay-events {args.replay_events}"
    )
    g = r.get
    rows = [
        ("job start until RUNNING (JVM, submission)", f"{g('job_start_s')} s"),
        (
            f"sustained throughput, {g('throughput_events')} events produced at full speed",
            f"**{g('throughput_eps')} events/s** (produce {g('produce_s')} s, "
            f"last visible after {g('end_to_end_s')} s)",
        ),
        (
            f"latency produce -> visible in a query, {g('latency_rate_eps')} events/s "
            f"for {args.latency_seconds} s",
            f"p50 **{g('latency_p50_s')} s**, p95 **{g('latency_p95_s')} s**, p99 {g('latency_p99_s')} s, "
            f"max {g('latency_max_s')} s ({g('latency_seen')}/{g('latency_events')} seen)",
        ),
        ("rows in events_clean / distinct event_id", f"{g('rows_total')} / {g('rows_unique')}"),
        (
            f"job memory (runner + JVM + Python workers, {g('job_processes')} processes)",
            f"peak {g('job_rss_peak_mb')} MB, end {g('job_rss_now_mb')} MB",
        ),
        ("warehouse server RSS at the end", f"{g('warehouse_rss_mb')} MB"),
        ("broker RSS at the end (MB)", f"{g('broker_rss_mb')}"),
        (
            f"Beam replay (FnApiRunner), {g('replay_events')} events JSONL -> warehouse",
            f"**{g('replay_eps')} events/s** ({g('replay_s')} s wall incl. start-up, "
            f"{g('replay_cpu_s')} s CPU; "
            f"written {g('replay_written')}, stored {g('replay_stored')})",
        ),
        ("Beam replay peak RSS", f"{g('replay_rss_peak_mb')} MB"),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    text = (
        "# Stream benchmark (Kafka -> Flink -> ClickHouse, Beam replay)\n\n"
        f"Command: `{cmd}`\n"
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.platform()}, {os.cpu_count()} cores "
        f"shared with other engineers' work (1-min load average {g('load_before')} before, "
        f"{g('load_after')} after).\n"
        "Durable broker (Tansu on SeaweedFS S3), warehouse server (chDB), PyFlink 2.3 mini-cluster,\n"
        "parallelism 1, checkpoints every 3 s, Python bundles of 500 or 50 ms, store flush at 2,000 rows\n"
        "or 250 ms. All on loopback; the job is one process group (runner with PyFlink's loopback\n"
        "Python worker, JVM).\n\n"
        f"| metric | value |\n|---|---|\n{table}\n\nRaw figures: `{json.dumps(r)}`\n"
    )
    path.write_text(text)


if __name__ == "__main__":
    main()
