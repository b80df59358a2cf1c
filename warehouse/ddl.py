"""ClickHouse DDL derived from the pydantic models in `schemas/`.

A table's columns are never written by hand: `columns(Model)` maps each field's Python type
(or its `CH("...")` hint) to a ClickHouse type, and `create_table` wraps them in a statement.
"""

from __future__ import annotations

import types
import typing
from datetime import datetime
from enum import Enum
from uuid import UUID

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from schemas.types import CH

# Order matters: bool is a subclass of int.
_SCALARS: dict[type, str] = {
    bool: "Bool",
    str: "String",
    int: "Int64",
    float: "Float64",
    UUID: "UUID",
    datetime: "DateTime64(3, 'UTC')",
}


def clickhouse_type(annotation: typing.Any) -> str:
    """ClickHouse type for a Python annotation (as pydantic stores it, metadata stripped)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        hint = next((m for m in args[1:] if isinstance(m, CH)), None)
        return hint.type if hint else clickhouse_type(args[0])
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:
            raise TypeError(f"no ClickHouse type for union {annotation!r}")
        return f"Nullable({clickhouse_type(inner[0])})"
    if origin is list:
        return f"Array({clickhouse_type(args[0])})"
    if origin is dict:
        return f"Map({clickhouse_type(args[0])}, {clickhouse_type(args[1])})"
    if origin is typing.Literal:
        return "LowCardinality(String)" if isinstance(args[0], str) else "Int8"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "LowCardinality(String)"
    for python_type, ch_type in _SCALARS.items():
        if isinstance(annotation, type) and issubclass(annotation, python_type):
            return ch_type
    raise TypeError(f"no ClickHouse type for {annotation!r}")


def field_type(field: FieldInfo) -> str:
    hint = next((m for m in field.metadata if isinstance(m, CH)), None)
    return hint.type if hint else clickhouse_type(field.annotation)


def columns(model: type[BaseModel], exclude: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """(name, ClickHouse type) for every field of the model, in declaration order."""
    return [(name, field_type(field)) for name, field in model.model_fields.items() if name not in exclude]


def column_names(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def create_table(
    name: str,
    model: type[BaseModel],
    *,
    engine: str,
    order_by: str,
    partition_by: str | None = None,
    ttl: str | None = None,
    exclude: tuple[str, ...] = (),
    extra_columns: tuple[tuple[str, str], ...] = (),
    indexes: tuple[str, ...] = (),
    settings: str | None = None,
) -> str:
    cols = [f"    `{col}` {typ}" for col, typ in [*columns(model, exclude), *extra_columns]]
    cols += [f"    INDEX {index}" for index in indexes]
    lines = [f"CREATE TABLE IF NOT EXISTS {name}\n(\n" + ",\n".join(cols) + "\n)", f"ENGINE = {engine}"]
    if partition_by:
        lines.append(f"PARTITION BY {partition_by}")
    lines.append(f"ORDER BY {order_by}")
    if ttl:
        lines.append(f"TTL {ttl}")
    if settings:
        lines.append(f"SETTINGS {settings}")
    return "\n".join(lines)
