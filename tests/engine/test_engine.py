"""Engine.clean / clean_batch contract: what the Flink job, Beam and Dagster rely on."""

from pathlib import Path

from pipelines.engine import Engine
from pipelines.engine.engine import _SET_FIELDS, _construct
from schemas.event import CleanEvent, ErrorEvent

SAMPLE = (Path(__file__).with_name("samples") / "python.txt").read_text()
EVENT = {
    "event_id": "f23eb07e-7192-525d-888c-1d9a1bb883fc",
    "message": "KeyError: 'port' for alice@example.com",
    "stack_trace": SAMPLE,
    "user_id": "alice@example.com",
    "env": {"HOME": "/home/alice", "API_TOKEN": "sk-" + "x" * 24},
    "tags": {"run": "7"},
}


def test_construct_matches_model_construct():
    clean = Engine().clean(EVENT)
    values = dict(clean.__dict__)
    reference = CleanEvent.model_construct(set(_SET_FIELDS), **dict(values))
    built = _construct(dict(values))
    assert type(built) is CleanEvent
    assert built.__dict__ == reference.__dict__
    assert list(built.__dict__) == list(CleanEvent.model_fields)  # field order, for dumps
    assert built.model_fields_set == reference.model_fields_set
    assert built.__pydantic_extra__ is reference.__pydantic_extra__
    assert built.__pydantic_private__ is reference.__pydantic_private__
    assert built.model_dump() == reference.model_dump()


def test_clean_event_is_valid_and_masked():
    clean = Engine().clean(EVENT)
    again = CleanEvent.model_validate(clean.model_dump())  # every field passes validation
    assert again.model_dump() == clean.model_dump()
    assert clean.user_id == "<email>"
    assert clean.env == {"HOME": "/home/<user>", "API_TOKEN": "<secret>"}
    assert "alice" not in clean.model_dump_json()
    assert len(clean.signature) == 128 and clean.pattern_id == ""
    assert clean.language == "python" and clean.error_type == "KeyError"


def test_batch_equals_single_and_accepts_models():
    engine = Engine()
    other = {**EVENT, "event_id": "187c4ab4-4da7-560f-bdbc-9cf2f11d4304", "message": "boom 42"}
    batch = engine.clean_batch([EVENT, ErrorEvent.model_validate(other), EVENT])
    single = [engine.clean(EVENT), engine.clean(other), engine.clean(EVENT)]
    strip = lambda e: e.model_dump(exclude={"ingested_at", "timestamp"})  # noqa: E731
    assert [strip(e) for e in batch] == [strip(e) for e in single]
    # events sharing a signature do not share the list object
    assert batch[0].signature == batch[2].signature and batch[0].signature is not batch[2].signature


def test_input_model_is_not_changed():
    event = ErrorEvent.model_validate(EVENT)
    Engine().clean(event)
    assert event.user_id == "alice@example.com" and event.env["HOME"] == "/home/alice"
