"""PII masking recall and over-masking on eval/pii_corpus.jsonl.

    .venv/bin/python -m eval.pii

Recall: positives whose value is gone from the masked text and whose placeholder is there.
Over-masking: near-misses (version numbers, timestamps, addresses, ids) that were changed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pipelines.engine import mask_text

CORPUS = Path(__file__).with_name("pii_corpus.jsonl")
PLACEHOLDER = {
    "email": "<email>",
    "ip": "<ip>",
    "user": "<user>",
    "secret": "<secret>",
    "token": "<token>",
    "card": "<card>",
    "phone": "<phone>",
    "rrn": "<rrn>",
}


def score(rows: list[dict]) -> tuple[list[dict], list[dict], int, int]:
    misses, over = [], []
    positives = [r for r in rows if r["kind"] != "none"]
    negatives = [r for r in rows if r["kind"] == "none"]
    for r in positives:
        masked = mask_text(r["text"])
        if r["value"] in masked or PLACEHOLDER[r["kind"]] not in masked:
            misses.append({**r, "masked": masked})
    for r in negatives:
        masked = mask_text(r["text"])
        if masked != r["text"]:
            over.append({**r, "masked": masked})
    return misses, over, len(positives), len(negatives)


def main() -> int:
    rows = [json.loads(line) for line in CORPUS.open(encoding="utf-8") if line.strip()]
    misses, over, n_pos, n_neg = score(rows)
    for m in misses:
        print(f"MISSED {m['kind']}: {m['text']!r} -> {m['masked']!r}")
    for o in over:
        print(f"OVER-MASKED: {o['text']!r} -> {o['masked']!r}")
    print(
        f"recall {(n_pos - len(misses)) / n_pos:.3f} ({n_pos - len(misses)}/{n_pos}); "
        f"over-masking {len(over) / n_neg:.3f} ({len(over)}/{n_neg} near-misses changed)"
    )
    return 0 if not misses else 1


if __name__ == "__main__":
    sys.exit(main())
