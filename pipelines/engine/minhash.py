"""Vectorised 128-permutation MinHash over byte 3-gram shingles.

Follows datasketch 2.0's `affine32` scheme exactly: each shingle's 32-bit hash is mixed
by the MurmurHash3 finaliser, then permuted by `a * h + b mod 2**32` with (a, b) drawn
from `numpy.random.RandomState(seed)`. A byte 3-gram is its own exact 24-bit hash
(`int.from_bytes(shingle, "big")`), so no per-shingle Python call is needed:
`datasketch.MinHash(seed=1, hashfunc=shingle_hash)` updated with the same shingles gives
identical values (tests/engine/test_minhash.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

NUM_PERM = 128
SEED = 1
SHINGLE = 3
MAX_HASH = np.uint32(0xFFFFFFFF)
# Shingles processed per numpy step: bounds the (perm x shingle) temporary to ~32 MB.
_CHUNK_SHINGLES = 65_536


@lru_cache(maxsize=8)
def permutations(num_perm: int = NUM_PERM, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint64).astype(np.uint32)
    return a, b


def shingle_hash(shingle: bytes) -> int:
    """The per-shingle hash this module uses, for use as a datasketch `hashfunc`."""
    return int.from_bytes(shingle, "big")


def fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def _shingles(data: bytes) -> np.ndarray:
    """Hash of every byte 3-gram; a text shorter than 3 bytes is one padded shingle."""
    if len(data) < SHINGLE:
        data = data.ljust(SHINGLE, b"\0")
    b = np.frombuffer(data, dtype=np.uint8).astype(np.uint32)
    return (b[:-2] << np.uint32(16)) | (b[1:-1] << np.uint32(8)) | b[2:]


def signatures(texts: Sequence[str], num_perm: int = NUM_PERM, seed: int = SEED) -> np.ndarray:
    """MinHash signatures, one row of `num_perm` uint32 per text."""
    a, b = permutations(num_perm, seed)
    out = np.full((len(texts), num_perm), MAX_HASH, dtype=np.uint32)
    start = 0
    while start < len(texts):
        hashes, lengths = [], []
        total = 0
        stop = start
        while stop < len(texts) and (total == 0 or total < _CHUNK_SHINGLES):
            h = _shingles(texts[stop].encode("utf-8"))
            hashes.append(h)
            lengths.append(len(h))
            total += len(h)
            stop += 1
        mixed = fmix32(np.concatenate(hashes))
        permuted = a[:, None] * mixed[None, :] + b[:, None]
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        out[start:stop] = np.minimum.reduceat(permuted, offsets, axis=1).T
        start = stop
    return out


def signature(text: str) -> list[int]:
    return signatures([text])[0].tolist()


def jaccard(sig_a: Sequence[int] | np.ndarray, sig_b: Sequence[int] | np.ndarray) -> float:
    """Estimated Jaccard similarity: the share of equal MinHash values."""
    return float(np.mean(np.asarray(sig_a, dtype=np.uint32) == np.asarray(sig_b, dtype=np.uint32)))
