"""Pattern engine throughput: normalize + mask + fingerprint + MinHash + assign, one core.

    .venv/bin/python -m bench.engine_bench [--events 100000] [--batch 1000]

Events are built from the real-traceback corpus (eval/tracebacks/corpus.jsonl) and
log-style messages, with fresh users, addresses, ids and numbers in every event so the
masking and templating see realistic variety. Prints events/s and peak RSS.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import re
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


# Many users (a course or a company), not ten: the raw trace of one bug differs by user folder.
USER_POOL = 5_000
# Home folders as the corpus writes them: /home/<name>/ and /Users/<name>/.
_HOME = re.compile(r"(/home/|/Users/)[^/\s\"]+")
# Line numbers in frames: `line 12`, `main.rs:5:9`, `Main.java:12)`, `app.js:3:7`.
_LINE = re.compile(r"(line |\.(?:py|java|kt|rs|js|ts|go|c|cc|cpp|h):)(\d+)")


def _user(rng: random.Random) -> str:
    k = rng.randrange(USER_POOL)
    return f"{USERS[k % len(USERS)]}{k}"


def _trace_event(t: dict, user: str, rng: random.Random) -> dict:
    """A corpus trace as another user's run of a slightly edited file sends it: own home
    folder, lines shifted by 0-30 (the same bug moves as code is edited above it)."""
    shift = rng.randint(0, 30)
    stack = _HOME.sub(lambda m: m.group(1) + user, t["stack_trace"])
    stack = _LINE.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + shift}", stack)
    return {"message": t["message"], "stack_trace": stack, "language": t["language"]}


def _log_event(user: str, rng: random.Random) -> dict:
    line = rng.choice(LOG_LINES).format(
        user=user,
        ip=f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        n=rng.randint(1, 99999),
        small=rng.randint(0, 9),
        email=f"{user}@example.com",
        hex=f"{rng.getrandbits(64):016x}",
        uuid=uuid.UUID(int=rng.getrandbits(128)),
    )
    return {"message": line, "language": "log"}


def _events(count: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    traces = [json.loads(line) for line in CORPUS.open(encoding="utf-8")]
    events = []
    for i in range(count):
        user = _user(rng)
        event = _trace_event(rng.choice(traces), user, rng) if i % 2 else _log_event(user, rng)
        event |= {
            "event_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "user_id": f"{user}@example.com",
            "env": {"HOME": f"/home/{user}", "API_TOKEN": f"sk-{rng.getrandbits(128):032x}"},
            "tags": {"run": str(i)},
        }
        events.append(event)
    return events


def distinct_share(events: list[dict]) -> float:
    """Share of distinct raw stack traces among the events that have one."""
    stacks = [e["stack_trace"] for e in events if e.get("stack_trace")]
    return len(set(stacks)) / max(1, len(stacks))


def run(count: int, batch: int) -> dict:
    from pipelines.engine import Engine, EngineConfig, PatternIndex

    events = _events(count)
    engine = Engine(EngineConfig())
    index = PatternIndex(engine.config.lsh_threshold)
    # Warm-up (regex compilation, numpy) on other events, so no timed input is pre-cached.
    engine.clean_batch(_events(batch, seed=2))
    # The 100k input events stay alive for the whole run, which no stream worker does (it
    # holds one batch); keep them out of the cyclic GC's full collections. The engine's own
    # objects are collected as usual.
    gc.collect()
    gc.freeze()
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
        "distinct_stack_share": round(distinct_share(events), 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=1000)
    args = ap.parse_args()
    result = run(args.events, args.batch)
    print(
        f"{result['events_per_cpu_s']:,} events/s per core (CPU time), "
        f"{result['events_per_s']:,} events/s wall, peak RSS {result['peak_rss_mb']} MB"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
