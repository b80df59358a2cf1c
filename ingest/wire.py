"""What the API writes to the broker: one message per record. The format is specified in WIRE.md."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from schemas import ErrorEvent, ExecutionRecord

SCHEMA_VERSION = "1"
KIND_EVENT = "event"
KIND_EXECUTION = "execution"


@dataclass(frozen=True)
class Message:
    topic: str
    key: str
    value: str
    headers: tuple[tuple[str, str], ...]

    def as_dict(self) -> dict:
        return {"t": self.topic, "k": self.key, "v": self.value, "h": [list(h) for h in self.headers]}

    @classmethod
    def from_dict(cls, data: dict) -> Message:
        return cls(data["t"], data["k"], data["v"], tuple((n, v) for n, v in data["h"]))


def _headers(kind: str, source: str) -> tuple[tuple[str, str], ...]:
    return (
        ("eh-type", kind),
        ("eh-schema", SCHEMA_VERSION),
        ("eh-source", source),
        ("eh-received-at", datetime.now(UTC).isoformat(timespec="milliseconds")),
        ("content-type", "application/json"),
    )


def event_message(event: ErrorEvent, topic: str, project: str, source: str) -> Message:
    event.project = project
    event.timestamp = event.timestamp.astimezone(UTC)
    key = event.execution_id or str(event.event_id)
    return Message(topic, key, event.model_dump_json(), _headers(KIND_EVENT, source))


def execution_message(record: ExecutionRecord, topic: str, project: str, source: str) -> Message:
    record.project = project
    record.timestamp = record.timestamp.astimezone(UTC)
    return Message(topic, record.execution_id, record.model_dump_json(), _headers(KIND_EXECUTION, source))
