"""Pattern engine throughput: normalize + mask + fingerprint + MinHash + assign, one core.

    .venv/bin/python -m bench.engine_bench [--events 100000] [--batch 1000]

Events are built from the real-traceback corpus (eval/tracebacks/corpus.jsonl) and
log-style messages, with fresh users, addresses, ids and numbers in every event so the
masking and templating see realistic variety. Prints events/s and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import time
import uuid
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "eval" / "tracebacks" / "corpus.jsonl"
LOG_LINES = [
    "Failed password for {user} from {ip} port {n} ssh2",
    "Connection to {ip}:{n} timed out after {n} ms",
    "job {n} for {email} finished with exit code {small}",
    "Worker {small} restarted: memory {n} MB exceeds limit {n} MB",
    "GET /api/v1/users/{n}?token={hex} returned 500 in {n} ms",
    "session {uuid} expired for user {user}",
    "disk /dev/sd{small} usage {small}% on host node-{n}",
]
USERS = ["alice", "bob", "minji", "jdoe", "sato", "priya", "kwame", "li", "omar", "eva"]


def _events(count: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    traces = [json.loads(line) for line in CORPUS.open(encoding="utf-8")]
    events = []
    for i in range(count):
        user = rng.choice(USERS)
        if i % 2:
            t = rng.choice(traces)
            event = {
                "message": t["message"],
                "stack_trace": t["stack_trace"].replace("/home/", f"/home/{user}x/"),
                "language": t["language"],
            }
        else:
            line = rng.choice(LOG_LINES).format(
                user=user,
                ip=f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                n=rng.randint(1, 99999),
                small=rng.randint(0, 9),
                email=f"{user}@example.com",
                hex=f"{rng.getrandbits(64):016x}",
                uuid=uuid.UUID(int=rng.getrandbits(128)),
            )
            event = {"message": line, "language": "log"}
        event |= {
            "event_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "user_id": f"{user}@example.com",
            "env": {"HOME": f"/home/{user}", "API_TOKEN": "sk-" + "x" * 24},
            "tags": {"run": str(i)},
        }
        events.append(event)
    return events


def run(count: int, batch: int) -> dict:
    from pipelines.engine import Engine, EngineConfig, PatternIndex

    events = _events(count)
    engine = Engine(EngineConfig())
    index = PatternIndex(engine.config.lsh_threshold)
    engine.clean_batch(events[:batch])  # warm-up: regex compilation, numpy
    start, cpu_start = time.perf_counter(), time.process_time()
    patterns = set()
    for i in range(0, count, batch):
        for clean in engine.clean_batch(events[i : i + batch]):
            patterns.add(index.assign(clean.fingerprint, clean.signature).pattern_id)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return {
        "events": count,
        "seconds": round(elapsed, 2),
        "events_per_s": round(count / elapsed),
        # CPU time of this single-threaded process: throughput per core on a shared machine.
        "cpu_seconds": round(cpu, 2),
        "events_per_cpu_s": round(count / cpu),
        "patterns": len(patterns),
        "fingerprints": len(index),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=1000)
    args = ap.parse_args()
    print(json.dumps(run(args.events, args.batch)))


if __name__ == "__main__":
    main()
