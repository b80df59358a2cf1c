"""Masking: every PII kind from the labelled corpus is masked, near-misses are untouched."""

import json
from pathlib import Path

import pytest

from eval.pii import PLACEHOLDER
from pipelines.engine import mask_event, mask_text
from schemas.event import ErrorEvent

CORPUS = [json.loads(line) for line in (Path(__file__).parents[2] / "eval" / "pii_corpus.jsonl").open()]


@pytest.mark.parametrize("row", [r for r in CORPUS if r["kind"] != "none"], ids=lambda r: r["kind"])
def test_positive_is_masked(row):
    masked = mask_text(row["text"])
    assert row["value"] not in masked
    assert PLACEHOLDER[row["kind"]] in masked


@pytest.mark.parametrize("row", [r for r in CORPUS if r["kind"] == "none"], ids=lambda r: r["text"][:30])
def test_near_miss_is_not_masked(row):
    assert mask_text(row["text"]) == row["text"]


def test_card_needs_luhn():
    assert mask_text("card 4111111111111111") == "card <card>"
    assert mask_text("card 4111111111111112") == "card 4111111111111112"


def test_error_types_and_functions_survive():
    text = 'TokenError in get_password_hash: File "/home/kim/app/auth.py", line 3'
    assert mask_text(text) == 'TokenError in get_password_hash: File "/home/<user>/app/auth.py", line 3'


def test_mask_event_masks_every_string_field():
    event = ErrorEvent(
        message="login failed for kim@example.com",
        stack_trace='File "/home/kim/x.py", line 1',
        snippet="password = 'hunter2'",
        file_path="/Users/kim/x.py",
        user_id="kim@example.com",
        env={"DB_PASSWORD": "hunter2", "HOST": "10.1.2.3"},
        tags={"phone": "010-1234-5678"},
        error_type="AuthError",
    )
    masked = mask_event(event)
    dumped = masked.model_dump_json()
    for secret in ("kim", "hunter2", "10.1.2.3", "1234-5678"):
        assert secret not in dumped
    assert masked.env == {"DB_PASSWORD": "<secret>", "HOST": "<ip>"}
    assert masked.error_type == "AuthError"
    assert mask_event(event.model_dump())["env"] == masked.env
