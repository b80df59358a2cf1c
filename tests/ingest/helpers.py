"""Reading what the API wrote to the broker."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Written:
    key: str
    kind: str
    headers: dict[str, str]
    value: dict
    partition: int
    offset: int


def written(broker, topic: str, idle: float = 3.0) -> list[Written]:
    """Every message on `topic`, ordered by (partition, offset)."""
    out = []
    for message in broker.read(topic, idle=idle):
        headers = {name: value.decode() for name, value in message.headers() or []}
        out.append(
            Written(
                key=message.key().decode(),
                kind=headers.get("eh-type", ""),
                headers=headers,
                value=json.loads(message.value()),
                partition=message.partition(),
                offset=message.offset(),
            )
        )
    return sorted(out, key=lambda w: (w.partition, w.offset))


def event(message: str = "boom", **fields) -> dict:
    return {"message": message, **fields}
