"""The pattern engine: pure Python (numpy, xxhash), no Flink, Beam or Dagster imports.

    from pipelines.engine import Engine, EngineConfig, PatternIndex, Assignment, mask_text, mask_event

    engine = Engine(EngineConfig())            # thread-safe, stateless apart from config
    clean = engine.clean(event)                # ErrorEvent | dict -> CleanEvent (pattern_id "")
    cleans = engine.clean_batch(events)        # same, MinHash vectorised over the batch

    index = PatternIndex(threshold=0.9)        # online grouping state
    index.load(rows)                           # (fingerprint, pattern_id, signature) rows
    a = index.assign(clean.fingerprint, clean.signature)
    a.pattern_id, a.new_fingerprint, a.new_pattern
    index.drain_new()                          # new rows to persist, then cleared

    cluster(events, config) -> list[str]       # batch: group a set of events from scratch

Per event (`Engine.clean`): every string field is masked (`mask_event`), the stack is
parsed by the language adapter that recognises it (`adapters.REGISTRY`), the message is
generalised into `canonical_msg`, and `fingerprint` = hash(error type, template, top
in-app frames); `signature` = 128 MinHash values over token 3-grams of the same text.

Online (`PatternIndex`): a known fingerprint keeps its pattern; a new one joins the pattern
of its most similar known fingerprint (estimated Jaccard >= threshold, LSH candidates) or
founds a pattern named after itself. The mapping is append-only: merges are never undone.
Its only state is the (fingerprint, pattern_id, signature) rows, so `load` on start and
persisting `drain_new()` is all a stream or batch job needs.

Batch (`cluster`): additionally mines token-level templates across the whole input
(`templates.mine`), so variables that a single message cannot reveal (user names, host
names) are found by comparing messages; used by `errorhub cluster` and re-grouping jobs.
"""

from pipelines.engine.cluster import cluster
from pipelines.engine.config import EngineConfig
from pipelines.engine.engine import Engine
from pipelines.engine.index import Assignment, PatternIndex
from pipelines.engine.pii import mask_event, mask_text

__all__ = [
    "Assignment",
    "Engine",
    "EngineConfig",
    "PatternIndex",
    "cluster",
    "mask_event",
    "mask_text",
]
