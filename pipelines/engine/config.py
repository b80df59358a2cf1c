"""Engine configuration: one frozen object, passed explicitly (no globals)."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.engine.minhash import NUM_PERM, SEED


@dataclass(frozen=True)
class EngineConfig:
    # Estimated Jaccard similarity at which a new fingerprint joins an existing pattern.
    # 0.9, not 0.8: at 0.8 one different word in a 30-token message still merges.
    lsh_threshold: float = 0.9
    num_perm: int = NUM_PERM
    seed: int = SEED
    # In-app frames (innermost first) that take part in the fingerprint.
    top_frames: int = 3
    # Template mining: a column with more distinct values than this is a variable.
    max_constant_values: int = 3
    # Longest canonical text fed to MinHash; long stacks are summarised by their frames.
    max_signature_chars: int = 512

    @classmethod
    def from_settings(cls) -> EngineConfig:
        from errorhub.settings import get_settings

        return cls(lsh_threshold=get_settings().lsh_threshold)
