"""Exact grouping key of an event: error type + message template + top in-app frames."""

from __future__ import annotations

from collections.abc import Sequence

import xxhash

TOP_FRAMES = 3


def signature_text(error_type: str, template: str, frames: Sequence[str]) -> str:
    """The text whose shingles feed the MinHash signature."""
    return "\n".join([error_type, template, *frames[:TOP_FRAMES]])


def fingerprint(error_type: str, template: str, frames: Sequence[str]) -> str:
    """128-bit hex hash; stable across processes and machines (no Python `hash()`)."""
    return hash_text(signature_text(error_type, template, frames))


def hash_text(text: str) -> str:
    """`fingerprint` of the signature text it is computed from."""
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8"))


def pattern_id_for(founding_fingerprint: str) -> str:
    """A pattern is named after the fingerprint that founded it."""
    return "p" + founding_fingerprint[:16]
