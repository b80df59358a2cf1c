"""The engine: normalise -> mask -> fingerprint -> MinHash, for one event or a batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipelines.engine.config import EngineConfig
from pipelines.engine.fingerprint import fingerprint, signature_text
from pipelines.engine.minhash import signatures
from pipelines.engine.normalize import Normalized, normalize
from pipelines.engine.pii import mask_event
from pipelines.engine.text import grouping_form
from schemas.event import CleanEvent, ErrorEvent
from schemas.types import Language

_LANGUAGES = {lang.value for lang in Language}


class Engine:
    """Stateless apart from its config, so one instance may be shared across threads."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()

    def analyze(self, masked: Any) -> tuple[Normalized, str, str]:
        """(normalized, fingerprint, signature text) of an already-masked event."""
        norm = normalize(masked, self.config.top_frames)
        client = masked.get("fingerprint", "") if isinstance(masked, Mapping) else masked.fingerprint
        template = grouping_form(norm.canonical_msg)
        fp = fingerprint("client", client, ()) if client else fingerprint(
            norm.error_type, template, norm.frames
        )
        text = signature_text(norm.error_type, template, norm.frames)
        return norm, fp, text[: self.config.max_signature_chars]

    def clean(self, event: ErrorEvent | Mapping[str, Any]) -> CleanEvent:
        return self.clean_batch([event])[0]

    def clean_batch(self, events: Sequence[ErrorEvent | Mapping[str, Any]]) -> list[CleanEvent]:
        masked = [mask_event(self._validated(e)) for e in events]
        analyzed = [self.analyze(m) for m in masked]
        sigs = signatures([text for _, _, text in analyzed], self.config.num_perm, self.config.seed)
        return [
            self._clean_event(m, norm, fp, sig.tolist())
            for m, (norm, fp, _), sig in zip(masked, analyzed, sigs, strict=True)
        ]

    @staticmethod
    def _validated(event: ErrorEvent | Mapping[str, Any]) -> ErrorEvent:
        return event if isinstance(event, ErrorEvent) else ErrorEvent.model_validate(event)

    @staticmethod
    def _clean_event(masked: ErrorEvent, norm: Normalized, fp: str, sig: list[int]) -> CleanEvent:
        # The event was validated as an ErrorEvent and only its strings were masked since,
        # so the CleanEvent is built without validating every field again.
        fields = {k: v for k, v in masked.__dict__.items() if k not in ("fingerprint", "pattern_id")}
        fields["error_type"] = norm.error_type
        if fields["language"] in ("", "other") and norm.language in _LANGUAGES:
            fields["language"] = norm.language
        return CleanEvent.model_construct(
            **fields,
            canonical_msg=norm.canonical_msg,
            frames=list(norm.frames),
            fingerprint=fp,
            signature=sig,
            pattern_id="",
        )
