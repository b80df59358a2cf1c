"""Batch grouping of a set of events from scratch: masked, normalised, templates mined
across the whole set, then fingerprints merged by MinHash LSH into patterns.

Used by `errorhub cluster` and by batch re-grouping jobs. The order of the input decides
which fingerprint founds a pattern, so the same input always gives the same ids.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.engine.config import EngineConfig
from pipelines.engine.engine import Engine
from pipelines.engine.fingerprint import fingerprint, signature_text
from pipelines.engine.index import PatternIndex
from pipelines.engine.minhash import signatures
from pipelines.engine.pii import mask_event
from pipelines.engine.templates import MinerConfig, mine
from pipelines.engine.text import grouping_form, tokenize


def mined_fingerprints(
    events: Sequence[Mapping[str, Any]], config: EngineConfig
) -> tuple[list[str], dict[str, str]]:
    """Fingerprint per event from mined templates, and the signature text per fingerprint."""
    engine = Engine(config)
    analyzed = [engine.analyze(mask_event(dict(e))) for e in events]
    partitions: dict[tuple, list[int]] = defaultdict(list)
    for i, (norm, _, _) in enumerate(analyzed):
        partitions[(norm.error_type, norm.frames)].append(i)
    fps: list[str] = [""] * len(events)
    texts: dict[str, str] = {}
    miner = MinerConfig(max_constant_values=config.max_constant_values)
    for (error_type, frames), members in partitions.items():
        tokens = [tokenize(grouping_form(analyzed[i][0].canonical_msg)) for i in members]
        templates = mine(tokens, miner)
        for i, template in zip(members, templates, strict=True):
            text = " ".join(template)
            if events[i].get("fingerprint"):
                fps[i] = analyzed[i][1]
            else:
                fps[i] = fingerprint(error_type, text, frames)
            texts.setdefault(fps[i], signature_text(error_type, text, frames))
    return fps, texts


def cluster(events: Sequence[Mapping[str, Any]], config: EngineConfig | None = None) -> list[str]:
    """Pattern id per event."""
    config = config or EngineConfig()
    fps, texts = mined_fingerprints(events, config)
    order = list(dict.fromkeys(fps))
    sigs = signatures([texts[fp][: config.max_signature_chars] for fp in order], config.num_perm, config.seed)
    index = PatternIndex(config.lsh_threshold, config.num_perm)
    pattern = {fp: index.assign(fp, sig).pattern_id for fp, sig in zip(order, sigs, strict=True)}
    return [pattern[fp] for fp in fps]
