"""The engine: normalise -> mask -> fingerprint -> MinHash, for one event or a batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from pipelines.engine.config import EngineConfig
from pipelines.engine.fingerprint import fingerprint, hash_text, signature_text
from pipelines.engine.minhash import signatures
from pipelines.engine.normalize import Normalized, normalize
from pipelines.engine.pii import mask_fields
from pipelines.engine.text import grouping_form
from schemas.event import CleanEvent, ErrorEvent
from schemas.types import Language, utcnow

_LANGUAGES = {lang.value for lang in Language}
# Every CleanEvent field is given; `ingested_at` still counts as unset (it used to be defaulted).
_SET_FIELDS = frozenset(CleanEvent.model_fields) - {"ingested_at"}
# `_construct` is model_construct minus its per-field loop, which is valid while CleanEvent has
# no aliases, extra fields, private attributes or post-init hook.
_PLAIN_MODEL = (
    not CleanEvent.__pydantic_post_init__
    and not CleanEvent.__private_attributes__
    and CleanEvent.model_config.get("extra") != "allow"
    and all(f.alias is None and f.validation_alias is None for f in CleanEvent.model_fields.values())
)


class Engine:
    """Stateless apart from its config, so one instance may be shared across threads."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()

    def analyze(self, masked: Any) -> tuple[Normalized, str, str]:
        """(normalized, fingerprint, signature text) of an already-masked event."""
        norm = normalize(masked, self.config.top_frames)
        if type(masked) is dict or isinstance(masked, Mapping):
            client = masked.get("fingerprint", "")
        else:
            client = masked.fingerprint
        fp, text = _grouping_keys(norm)
        if client:
            fp = fingerprint("client", client, ())
        return norm, fp, text[: self.config.max_signature_chars]

    def clean(self, event: ErrorEvent | Mapping[str, Any]) -> CleanEvent:
        return self.clean_batch([event])[0]

    def clean_batch(self, events: Sequence[ErrorEvent | Mapping[str, Any]]) -> list[CleanEvent]:
        # The validated event's fields, masked, as a plain dict: no intermediate model copy.
        masked = [mask_fields(self._validated(e)) for e in events]
        analyzed = [self.analyze(m) for m in masked]
        sigs = self._signatures([text for _, _, text in analyzed])
        return [
            _clean_event(m, norm, fp, sig)
            for m, (norm, fp, _), sig in zip(masked, analyzed, sigs, strict=True)
        ]

    def _signatures(self, texts: list[str]) -> list[list[int]]:
        """One signature per text; events of one bug in a batch share their text, which is
        hashed once (each event still gets its own list)."""
        distinct = list(dict.fromkeys(texts))
        rows = signatures(distinct, self.config.num_perm, self.config.seed).tolist()
        by_text = dict(zip(distinct, rows, strict=True))
        return [by_text[text].copy() for text in texts]

    @staticmethod
    def _validated(event: ErrorEvent | Mapping[str, Any]) -> ErrorEvent:
        return event if isinstance(event, ErrorEvent) else ErrorEvent.model_validate(event)


# Many events of one bug share their normalised form, which holds masked text only.
@lru_cache(maxsize=16_384)
def _grouping_keys(norm: Normalized) -> tuple[str, str]:
    """(fingerprint, signature text): type, template (typed placeholders folded) and frames."""
    text = signature_text(norm.error_type, grouping_form(norm.canonical_msg), norm.frames)
    return hash_text(text), text


def _clean_event(fields: dict[str, Any], norm: Normalized, fp: str, sig: list[int]) -> CleanEvent:
    # `fields` is a fresh dict of an ErrorEvent's validated values with its strings masked, so
    # the CleanEvent is built without validating every field again.
    del fields["fingerprint"], fields["pattern_id"]
    fields["error_type"] = norm.error_type
    if fields["language"] in ("", "other") and norm.language in _LANGUAGES:
        fields["language"] = norm.language
    fields.update(
        canonical_msg=norm.canonical_msg,
        frames=list(norm.frames),
        fingerprint=fp,
        signature=sig,
        pattern_id="",
        ingested_at=utcnow(),
    )
    return _construct(fields)


def _construct(values: dict[str, Any]) -> CleanEvent:
    """`CleanEvent.model_construct(set(_SET_FIELDS), **values)`, `values` holding every field in
    field order: sets the same four attributes without model_construct's per-field Python loop
    (6 us per event). Checked against model_construct in tests/engine/test_engine.py."""
    if not _PLAIN_MODEL:
        return CleanEvent.model_construct(set(_SET_FIELDS), **values)
    event = CleanEvent.__new__(CleanEvent)
    object.__setattr__(event, "__dict__", values)
    object.__setattr__(event, "__pydantic_fields_set__", set(_SET_FIELDS))
    object.__setattr__(event, "__pydantic_extra__", None)
    object.__setattr__(event, "__pydantic_private__", None)
    return event
