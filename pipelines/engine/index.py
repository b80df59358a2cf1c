"""Online grouping of fingerprints into patterns: exact match first, then MinHash LSH.

State is an append-only fingerprint -> pattern mapping. A new fingerprint joins the
pattern of its most similar known fingerprint when their estimated Jaccard similarity
is at least `threshold`, otherwise it founds a pattern named after itself. Existing
rows are never reassigned, so merges are never undone and replaying the same input
(in the same order) gives the same ids.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from pipelines.engine.fingerprint import pattern_id_for
from pipelines.engine.minhash import NUM_PERM


@dataclass(frozen=True)
class Assignment:
    pattern_id: str
    new_fingerprint: bool
    new_pattern: bool
    similarity: float = 1.0


# numpy 2 renamed trapz; the Flink environment may still have numpy 1.x.
_integrate = getattr(np, "trapezoid", None) or np.trapz


def _false_positive(threshold: float, bands: int, rows: int) -> float:
    s = np.linspace(0.0, threshold, 200)
    return float(_integrate(1 - (1 - s**rows) ** bands, s))


def _false_negative(threshold: float, bands: int, rows: int) -> float:
    s = np.linspace(threshold, 1.0, 200)
    return float(_integrate((1 - s**rows) ** bands, s))


@lru_cache(maxsize=32)
def lsh_params(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows) minimising false positives + false negatives, as datasketch does."""
    best = (1, num_perm)
    best_err = float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            err = _false_positive(threshold, bands, rows) + _false_negative(threshold, bands, rows)
            if err < best_err:
                best, best_err = (bands, rows), err
    return best


class PatternIndex:
    """Fingerprint -> pattern mapping with LSH candidate retrieval. Thread-safe."""

    def __init__(self, threshold: float = 0.9, num_perm: int = NUM_PERM) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self.bands, self.band_rows = lsh_params(round(threshold, 4), num_perm)
        self._pattern: dict[str, str] = {}
        # The (immutable) answer for each known fingerprint, built once: most events are known.
        self._known: dict[str, Assignment] = {}
        self._signature: dict[str, np.ndarray] = {}
        self._buckets: list[dict[bytes, list[str]]] = [{} for _ in range(self.bands)]
        self._new: list[tuple[str, str, list[int]]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pattern)

    def pattern_of(self, fingerprint: str) -> str | None:
        return self._pattern.get(fingerprint)

    def load(self, rows: Iterable[tuple[str, str, Sequence[int]]]) -> None:
        """Restore persisted (fingerprint, pattern_id, signature) rows; first row wins."""
        with self._lock:
            for fingerprint, pattern_id, signature in rows:
                if fingerprint not in self._pattern:
                    self._add(fingerprint, pattern_id, self._as_array(signature))

    def assign(self, fingerprint: str, signature: Sequence[int] | np.ndarray) -> Assignment:
        # Rows are never changed or removed, so a known fingerprint needs no lock.
        known = self._known.get(fingerprint)
        if known is not None:
            return known
        with self._lock:
            known = self._known.get(fingerprint)
            if known is not None:
                return known
            sig = self._as_array(signature)
            match, similarity = self._best_match(sig)
            new_pattern = match is None
            pattern_id = pattern_id_for(fingerprint) if new_pattern else self._pattern[match]
            self._add(fingerprint, pattern_id, sig)
            self._new.append((fingerprint, pattern_id, sig.tolist()))
            return Assignment(pattern_id, True, new_pattern, 1.0 if new_pattern else similarity)

    def drain_new(self) -> list[tuple[str, str, list[int]]]:
        """Rows added by `assign` since the last call, to persist in the mapping table."""
        with self._lock:
            rows, self._new = self._new, []
            return rows

    def rows(self) -> list[tuple[str, str, list[int]]]:
        """The whole mapping, in insertion order."""
        with self._lock:
            return [(fp, pid, self._signature[fp].tolist()) for fp, pid in self._pattern.items()]

    def _as_array(self, signature: Sequence[int] | np.ndarray) -> np.ndarray:
        sig = np.asarray(signature, dtype=np.uint32)
        if sig.shape != (self.num_perm,):
            raise ValueError(f"signature must have {self.num_perm} values, got {sig.shape}")
        return sig

    def _band_keys(self, sig: np.ndarray) -> list[bytes]:
        r = self.band_rows
        return [sig[i * r : (i + 1) * r].tobytes() for i in range(self.bands)]

    def _best_match(self, sig: np.ndarray) -> tuple[str | None, float]:
        candidates: dict[str, None] = {}
        for bucket, key in zip(self._buckets, self._band_keys(sig), strict=True):
            for fp in bucket.get(key, ()):
                candidates[fp] = None
        best, best_sim = None, -1.0
        for fp in candidates:  # insertion order: ties go to the earliest fingerprint
            sim = float(np.count_nonzero(self._signature[fp] == sig)) / self.num_perm
            if sim >= self.threshold and sim > best_sim:
                best, best_sim = fp, sim
        return best, best_sim

    def _add(self, fingerprint: str, pattern_id: str, sig: np.ndarray) -> None:
        self._pattern[fingerprint] = pattern_id
        self._signature[fingerprint] = sig
        self._known[fingerprint] = Assignment(pattern_id, new_fingerprint=False, new_pattern=False)
        for bucket, key in zip(self._buckets, self._band_keys(sig), strict=True):
            bucket.setdefault(key, []).append(fingerprint)
