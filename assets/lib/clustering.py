"""Merge near-duplicate fingerprints into patterns across the whole history.

The stream assigns patterns online, in arrival order, with its own `PatternIndex`; parallel
workers, restarts and out-of-order backfills leave near-duplicate fingerprints in different
patterns. Here every fingerprint is re-clustered from scratch in first-seen order with the
same LSH index, and each fresh cluster is *unioned* with the existing patterns it touches:

- a component holding several existing patterns merges into the oldest of them (by the
  earliest first_seen of its fingerprints; ties by pattern id);
- a component with no existing pattern gets the fresh index's id (named after its founder);
- nothing is ever split, so a fingerprint moves only when its pattern is merged into an
  older one, and a merged fingerprint never moves back on its own.

LSH work is over fingerprints (about 100k), never over events.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from pipelines.engine import PatternIndex
from pipelines.engine.fingerprint import pattern_id_for


@dataclass(frozen=True)
class FingerprintRow:
    fingerprint: str
    signature: Sequence[int]
    first_seen: datetime
    pattern_id: str = ""  # current mapping; "" when the fingerprint is not mapped yet


@dataclass
class ClusterResult:
    mapping: dict[str, str]  # fingerprint -> pattern_id, for every input fingerprint
    changed: dict[str, str] = field(default_factory=dict)  # fingerprints whose pattern is new or moved
    merges: dict[str, str] = field(default_factory=dict)  # absorbed pattern -> surviving pattern

    @property
    def patterns(self) -> int:
        return len(set(self.mapping.values()))


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def cluster(rows: Iterable[FingerprintRow], threshold: float) -> ClusterResult:
    ordered = sorted(rows, key=lambda r: (r.first_seen, r.fingerprint))
    index = PatternIndex(threshold)
    uf = _UnionFind()
    fresh: dict[str, str] = {}
    for row in ordered:
        if len(row.signature) == index.num_perm:  # numpy arrays avoid a copy per fingerprint
            label = index.assign(row.fingerprint, row.signature).pattern_id
        else:  # no usable signature: exact grouping only
            label = f"exact:{row.fingerprint}"
        fresh[row.fingerprint] = label
        node = "F:" + label
        uf.find(node)
        if row.pattern_id:
            uf.union("P:" + row.pattern_id, node)

    # Survivor per component: the existing pattern with the earliest first_seen.
    pattern_first: dict[str, tuple[datetime, str]] = {}
    for row in ordered:
        if row.pattern_id:
            key = (row.first_seen, row.pattern_id)
            if row.pattern_id not in pattern_first or key < pattern_first[row.pattern_id]:
                pattern_first[row.pattern_id] = key
    survivor: dict[str, str] = {}
    for pid, _first in sorted(pattern_first.items(), key=lambda kv: kv[1]):
        survivor.setdefault(uf.find("P:" + pid), pid)

    result = ClusterResult(mapping={})
    for row in ordered:
        root = uf.find("F:" + fresh[row.fingerprint])
        pattern_id = survivor.get(root)
        if pattern_id is None:  # a brand-new component: the fresh id of its founder
            label = fresh[row.fingerprint]
            pattern_id = pattern_id_for(row.fingerprint) if label.startswith("exact:") else label
            survivor[root] = pattern_id
        result.mapping[row.fingerprint] = pattern_id
        if pattern_id != row.pattern_id:
            result.changed[row.fingerprint] = pattern_id
            if row.pattern_id:
                result.merges[row.pattern_id] = pattern_id
    return result
