"""Vectorised 128-permutation MinHash over token 3-gram shingles of a normalised text.

Follows datasketch 2.0's `affine32` scheme exactly: each shingle's 32-bit hash is mixed
by the MurmurHash3 finaliser, then permuted by `a * h + b mod 2**32` with (a, b) drawn
from `numpy.random.RandomState(seed)`. `datasketch.MinHash(seed=1, hashfunc=shingle_hash)`
updated with `shingles(text)` gives identical values (tests/engine/test_minhash.py).

Shingles are token 3-grams (tokens as the template miner sees them), not character
3-grams: one different word in a short message changes most of its shingles, so two
bugs whose messages differ by a word ("opened" / "closed") stay apart, while long
messages and stacks that differ in one place still share most shingles.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import xxhash

from pipelines.engine.text import tokenize

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


_BOUNDARY = ("\x02", "\x03")  # start and end tokens: a 1-word text still has shingles
_K1, _K2 = 0x9E3779B1, 0x85EBCA77


def _tokens(text: str) -> list[str]:
    tokens = [_BOUNDARY[0], *tokenize(text), _BOUNDARY[1]]
    return tokens if len(tokens) >= SHINGLE else [*tokens, _BOUNDARY[1]]


def shingles(text: str) -> list[tuple[str, str, str]]:
    t = _tokens(text)
    return [tuple(t[i : i + SHINGLE]) for i in range(len(t) - SHINGLE + 1)]  # type: ignore[misc]


def shingle_hash(shingle: tuple[str, str, str]) -> int:
    """32-bit hash of one shingle (usable as a datasketch `hashfunc`)."""
    h1, h2, h3 = (xxhash.xxh32_intdigest(t.encode("utf-8")) for t in shingle)
    return (h1 * _K1 + h2 * _K2 + h3) & 0xFFFFFFFF


def fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


@lru_cache(maxsize=65_536)
def _token_hash(token: str) -> int:
    return xxhash.xxh32_intdigest(token.encode("utf-8"))


def _shingle_hashes(text: str) -> np.ndarray:
    """`shingle_hash` of every shingle, with one (cached) hash per token, not per shingle."""
    h = np.array([_token_hash(t) for t in _tokens(text)], dtype=np.uint32)
    return h[:-2] * np.uint32(_K1) + h[1:-1] * np.uint32(_K2) + h[2:]


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
            h = _shingle_hashes(texts[stop])
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
