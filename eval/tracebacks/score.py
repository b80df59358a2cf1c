"""Score grouping on the real-traceback corpus: batch (`errorhub cluster`) and online
(`Engine.clean` + `PatternIndex`, as the stream job runs it).

    .venv/bin/python -m eval.tracebacks.score [eval/tracebacks/corpus.jsonl]
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from eval.metrics import grouping_accuracy, pairwise
from pipelines.engine import Engine, EngineConfig, PatternIndex, cluster

CORPUS = Path(__file__).with_name("corpus.jsonl")


def online(events: list[dict], config: EngineConfig) -> list[str]:
    engine, index = Engine(config), PatternIndex(config.lsh_threshold)
    inputs = [{k: v for k, v in e.items() if k != "label"} for e in events]
    return [index.assign(c.fingerprint, c.signature).pattern_id for c in engine.clean_batch(inputs)]


def report(name: str, truth: list[str], pred: list[str]) -> float:
    p, r, f1 = pairwise(truth, pred)
    ga = grouping_accuracy(truth, pred)
    print(
        f"{name:7s} precision {p:.3f} recall {r:.3f} F1 {f1:.3f} GA {ga:.3f} "
        f"bugs {len(set(truth))} patterns {len(set(pred))}"
    )
    return f1


def show_errors(events: list[dict], pred: list[str]) -> None:
    by_label = defaultdict(set)
    by_pattern = defaultdict(set)
    for e, p in zip(events, pred, strict=True):
        by_label[e["label"]].add(p)
        by_pattern[p].add(e["label"])
    for label, patterns in sorted(by_label.items()):
        merged = set().union(*(by_pattern[p] for p in patterns)) - {label}
        if len(patterns) > 1 or merged:
            print(f"  {label}: split into {len(patterns)}, merged with {sorted(merged)}")


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS
    events = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    truth = [e["label"] for e in events]
    config = EngineConfig.from_settings()
    print(f"{len(events)} events, {len(set(truth))} bugs, threshold {config.lsh_threshold}")
    for name, pred in (("batch", cluster(events, config)), ("online", online(events, config))):
        report(name, truth, pred)
        show_errors(events, pred)
    return 0


if __name__ == "__main__":
    sys.exit(main())
