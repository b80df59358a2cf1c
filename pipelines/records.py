"""Engine-agnostic glue shared by the Flink stream job and the Beam batch job.

raw message -> `parse` -> ErrorEvent | ExecutionRecord | DeadLetter
ErrorEvent  -> Engine.clean -> CleanEvent -> PatternIndex.assign -> `clean_row` (a ClickHouse row)
rows        -> `WarehouseWriter.write` (idempotent by event_id / record_id)

Rows are plain tuples in the column order of the pydantic models (never a hand-written copy),
so they pickle cheaply between Flink operators and Beam stages.

Exactly-once as seen by queries: `events_clean` is a ReplacingMergeTree keyed by event_id
(`error_events` reads it FINAL). On top of that the writer, before inserting a batch, asks which
event_ids are already stored and inserts only the others, with an `insert_deduplication_token`
derived from the batch's ids, so a replay after a crash (the source rewinds to the last
checkpoint) or a client retry of a timed-out insert adds no second row even to plain
`count()` queries. Mappings (fingerprint -> pattern) are written before the events that use
them, so every pattern_id stored in `events_clean` has its row in `fingerprint_patterns`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from schemas import CleanEvent, DeadLetter, ErrorEvent, ExecutionRecord
from schemas.pattern import FingerprintPattern

log = logging.getLogger(__name__)

KIND_EVENT = "event"
KIND_EXECUTION = "execution"
KIND_DEAD = "dead"
KIND_MAPPING = "mapping"

CLEAN_COLUMNS: list[str] = list(CleanEvent.model_fields)
EXECUTION_COLUMNS: list[str] = list(ExecutionRecord.model_fields)
DEAD_COLUMNS: list[str] = list(DeadLetter.model_fields)
MAPPING_COLUMNS: list[str] = list(FingerprintPattern.model_fields)

_IDX = {name: i for i, name in enumerate(CLEAN_COLUMNS)}
EVENT_ID = _IDX["event_id"]
TIMESTAMP = _IDX["timestamp"]
FINGERPRINT = _IDX["fingerprint"]
SIGNATURE = _IDX["signature"]
PATTERN_ID = _IDX["pattern_id"]
INGESTED_AT = _IDX["ingested_at"]
RECORD_ID = EXECUTION_COLUMNS.index("record_id")

MAX_PAYLOAD = 65_536  # dead letters keep at most this much of the payload


# ----------------------------------------------------------------------------- engine


def engine_api():
    """(Engine, EngineConfig, PatternIndex) from pipelines.engine, imported lazily (heavy)."""
    try:
        from pipelines.engine import Engine, EngineConfig, PatternIndex
    except ImportError:  # package without its __init__ re-exports: use the modules
        from pipelines.engine.config import EngineConfig
        from pipelines.engine.engine import Engine
        from pipelines.engine.index import PatternIndex
    return Engine, EngineConfig, PatternIndex


def make_engine(threshold: float | None = None):
    Engine, EngineConfig, _ = engine_api()
    config = EngineConfig() if threshold is None else EngineConfig(lsh_threshold=threshold)
    return Engine(config)


def make_index(threshold: float):
    return engine_api()[2](threshold)


# ----------------------------------------------------------------------------- parsing


def _as_text(value: bytes | str) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


def _summary(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        loc = ".".join(str(p) for p in item.get("loc", ())) or "(root)"
        parts.append(f"{loc}: {item.get('msg', '')}")
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def detect_kind(obj: dict[str, Any], hint: str | None = None) -> str:
    """Events and executions share the raw topic (ingest/WIRE.md); the `eh-type` header says
    which. Flink's Python KafkaSource delivers values only; WIRE.md guarantees `record_id` only
    in executions (hand-written ones without it: a run `status` and no `message`)."""
    if hint in (KIND_EVENT, KIND_EXECUTION):
        return hint
    if "record_id" in obj or ("status" in obj and "message" not in obj):
        return KIND_EXECUTION
    return KIND_EVENT


def parse(
    value: bytes | str | None,
    *,
    kind_hint: str | None = None,
    source: str = "",
    offset: int = -1,
) -> ErrorEvent | ExecutionRecord | DeadLetter:
    """Validate one raw message; anything unacceptable becomes a DeadLetter with the reason."""
    text = _as_text(value) if value is not None else ""

    def dead(reason: str) -> DeadLetter:
        return DeadLetter(payload=text[:MAX_PAYLOAD], reason=reason, source=source, source_offset=offset)

    if not text.strip():
        return dead("empty message")
    try:
        obj = json.loads(text)
    except ValueError as error:
        return dead(f"invalid JSON: {error}")
    if not isinstance(obj, dict):
        return dead(f"not a JSON object but {type(obj).__name__}")
    kind = detect_kind(obj, kind_hint)
    model = ExecutionRecord if kind == KIND_EXECUTION else ErrorEvent
    id_field = "record_id" if kind == KIND_EXECUTION else "event_id"
    if id_field not in obj:
        # The schema would draw a random id, so a replay would store the message twice:
        # derive the id from the payload instead (same message, same id).
        obj[id_field] = str(UUID(bytes=hashlib.sha256(text.encode()).digest()[:16], version=4))
    try:
        return model.model_validate(obj)
    except ValidationError as error:
        return dead(f"invalid {kind}: {_summary(error)}")


# ----------------------------------------------------------------------------- rows


def clean_row(event: CleanEvent) -> tuple:
    return tuple(getattr(event, name) for name in CLEAN_COLUMNS)


def execution_row(record: ExecutionRecord) -> tuple:
    return tuple(getattr(record, name) for name in EXECUTION_COLUMNS)


def dead_row(letter: DeadLetter) -> tuple:
    return tuple(getattr(letter, name) for name in DEAD_COLUMNS)


def mapping_row(fingerprint: str, pattern_id: str, signature: Sequence[int], assigned_by: str) -> tuple:
    values = {
        "fingerprint": fingerprint,
        "pattern_id": pattern_id,
        "signature": [int(x) for x in signature],
        "assigned_at": datetime.now(UTC),
        "assigned_by": assigned_by,
    }
    return tuple(values[name] for name in MAPPING_COLUMNS)


def with_pattern(row: tuple, pattern_id: str) -> tuple:
    return row[:PATTERN_ID] + (pattern_id,) + row[PATTERN_ID + 1 :]


def _json_default(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def row_json(columns: Sequence[str], row: Sequence[Any]) -> str:
    """A row as the JSON object the `error_clean` / `error_dead` topics carry."""
    return json.dumps(dict(zip(columns, row, strict=True)), default=_json_default, ensure_ascii=False)


def clean_message(engine, value, source: str, offset: int = -1, kind_hint: str | None = None):
    """One raw message to a tagged row; shared by Flink and Beam."""
    return clean_parsed(engine, [(parse(value, source=source, offset=offset, kind_hint=kind_hint), value)])[0]


def clean_parsed(engine, items: Sequence[tuple[Any, Any]]) -> list[tuple[str, tuple]]:
    """[(parsed, raw value)] -> [(kind, row)] in the same order, events cleaned in one batch
    (`Engine.clean_batch` is ~2.5x faster than one event at a time). An event the engine
    cannot clean becomes a dead letter instead of failing the batch."""
    out: list[tuple[str, tuple] | None] = [None] * len(items)
    events: list[tuple[int, ErrorEvent]] = []
    for i, (parsed, _) in enumerate(items):
        if isinstance(parsed, DeadLetter):
            out[i] = (KIND_DEAD, dead_row(parsed))
        elif isinstance(parsed, ExecutionRecord):
            out[i] = (KIND_EXECUTION, execution_row(parsed))
        else:
            events.append((i, parsed))
    if events:
        try:
            cleaned = engine.clean_batch([e for _, e in events])
            for (i, _), event in zip(events, cleaned, strict=True):
                out[i] = (KIND_EVENT, clean_row(event))
        except Exception:  # find the culprit(s) one by one
            for i, event in events:
                try:
                    out[i] = (KIND_EVENT, clean_row(engine.clean(event)))
                except Exception as error:  # an engine bug on one event must not stop the stream
                    letter = DeadLetter(
                        payload=_as_text(items[i][1] or "")[:MAX_PAYLOAD] or event.model_dump_json(),
                        reason=f"engine failed: {type(error).__name__}: {error}",
                        source="engine",
                    )
                    out[i] = (KIND_DEAD, dead_row(letter))
    return out  # type: ignore[return-value]


# ----------------------------------------------------------------------------- pattern step


class PatternStep:
    """Single-writer pattern assignment over rows of CleanEvent; remembers new mappings."""

    def __init__(self, index: Any, assigned_by: str = "stream"):
        self.index = index
        self.assigned_by = assigned_by

    def assign(self, row: tuple) -> tuple[tuple, list[tuple]]:
        """(row with pattern_id, mapping rows this assignment created)."""
        assignment = self.index.assign(row[FINGERPRINT], row[SIGNATURE])
        mappings = [mapping_row(fp, pid, sig, self.assigned_by) for fp, pid, sig in self.index.drain_new()]
        return with_pattern(row, assignment.pattern_id), mappings


# ----------------------------------------------------------------------------- warehouse


class WarehouseUnavailable(RuntimeError):
    """The warehouse kept failing for longer than the writer's patience."""


@dataclass
class WriteResult:
    events: int = 0
    events_skipped: int = 0
    executions: int = 0
    executions_skipped: int = 0
    dead: int = 0
    mappings: int = 0


@dataclass
class WarehouseConfig:
    """What a worker needs to reach the warehouse (picklable: shipped with Flink/Beam functions)."""

    host: str
    port: int
    user: str
    password: str
    database: str
    secure: bool = False

    @classmethod
    def from_settings(cls, settings: Any) -> WarehouseConfig:
        return cls(
            host=settings.warehouse_host,
            port=settings.warehouse_port,
            user=settings.warehouse_user,
            password=settings.warehouse_password.get_secret_value(),
            database=settings.warehouse_database,
            secure=settings.warehouse_url.startswith("https"),
        )

    def client(self):
        import clickhouse_connect

        return clickhouse_connect.get_client(
            host=self.host,
            port=self.port,
            username=self.user,
            password=self.password,
            database=self.database,
            secure=self.secure,
            connect_timeout=5,
            send_receive_timeout=60,
        )


def batch_token(table: str, ids: Iterable[str]) -> str:
    return hashlib.sha256((table + "|" + ",".join(sorted(ids))).encode()).hexdigest()


@dataclass
class WarehouseWriter:
    """Idempotent writes of pipeline output to the warehouse, with bounded retries."""

    config: WarehouseConfig
    patience_s: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    _client: Any = field(default=None, repr=False)

    # -- connection and retries
    def client(self):
        if self._client is None:
            self._client = self.config.client()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):  # closing a broken client must not mask the real error
                self._client.close()
            self._client = None

    def _retry(self, what: str, fn: Callable[[Any], Any]) -> Any:
        deadline = time.monotonic() + self.patience_s
        delay = 0.2
        while True:
            try:
                return fn(self.client())
            except Exception as error:  # clickhouse-connect raises several families; all retried
                self.close()
                if time.monotonic() + delay > deadline:
                    raise WarehouseUnavailable(
                        f"{what} failed for {self.patience_s:.0f}s: {error}"
                    ) from error
                log.warning("warehouse %s failed (%s); retrying in %.1fs", what, error, delay)
                self.sleep(delay)
                delay = min(delay * 2, 5.0)

    # -- reads
    def load_patterns(self) -> list[tuple[str, str, list[int]]]:
        """The persisted fingerprint -> pattern mapping, oldest assignment first."""
        result = self._retry(
            "load patterns",
            lambda c: c.query(
                "SELECT fingerprint, pattern_id, signature FROM fingerprint_patterns FINAL "
                "ORDER BY assigned_at, fingerprint"
            ),
        )
        return [(fp, pid, list(sig)) for fp, pid, sig in result.result_rows]

    def existing_event_ids(self, rows: Sequence[tuple]) -> set[str]:
        if not rows:
            return set()
        ids = [str(r[EVENT_ID]) for r in rows]
        lo = min(r[TIMESTAMP] for r in rows)
        hi = max(r[TIMESTAMP] for r in rows)
        result = self._retry(
            "check event ids",
            lambda c: c.query(
                "SELECT DISTINCT toString(event_id) FROM events_clean "
                "WHERE timestamp >= {lo:DateTime64(3, 'UTC')} AND timestamp <= {hi:DateTime64(3, 'UTC')} "
                "AND event_id IN {ids:Array(UUID)}",
                parameters={"lo": lo, "hi": hi, "ids": ids},
            ),
        )
        return {r[0] for r in result.result_rows}

    def existing_record_ids(self, rows: Sequence[tuple]) -> set[str]:
        if not rows:
            return set()
        ids = [str(r[RECORD_ID]) for r in rows]
        result = self._retry(
            "check record ids",
            lambda c: c.query(
                "SELECT DISTINCT toString(record_id) FROM executions WHERE record_id IN {ids:Array(UUID)}",
                parameters={"ids": ids},
            ),
        )
        return {r[0] for r in result.result_rows}

    # -- writes
    def _insert(self, table: str, columns: list[str], rows: list[tuple], token: str | None) -> None:
        if not rows:
            return
        settings = {"insert_deduplication_token": token} if token else None
        self._retry(
            f"insert into {table}",
            lambda c: c.insert(table, rows, column_names=columns, settings=settings),
        )

    def write(
        self,
        *,
        events: Sequence[tuple] = (),
        executions: Sequence[tuple] = (),
        dead: Sequence[tuple] = (),
        mappings: Sequence[tuple] = (),
        replace: bool = False,
    ) -> WriteResult:
        """Persist one batch: mappings, then executions and events (skipping ids already
        stored unless `replace`), then dead letters. Raises WarehouseUnavailable after the
        writer's patience; the caller's retry (Flink restart, Beam bundle retry) repeats the
        whole batch harmlessly."""
        result = WriteResult()
        if mappings:
            fps = [m[0] for m in mappings]
            self._insert("fingerprint_patterns", MAPPING_COLUMNS, list(mappings), batch_token("fp", fps))
            result.mappings = len(mappings)

        unique_exec = list({str(r[RECORD_ID]): r for r in executions}.values())
        if unique_exec:
            present = set() if replace else self.existing_record_ids(unique_exec)
            fresh = [r for r in unique_exec if str(r[RECORD_ID]) not in present]
            ids = [str(r[RECORD_ID]) for r in fresh]
            self._insert("executions", EXECUTION_COLUMNS, fresh, None if replace else batch_token("ex", ids))
            result.executions, result.executions_skipped = len(fresh), len(executions) - len(fresh)

        unique_events = list({str(r[EVENT_ID]): r for r in events}.values())
        if unique_events:
            present = set() if replace else self.existing_event_ids(unique_events)
            fresh = [r for r in unique_events if str(r[EVENT_ID]) not in present]
            ids = [str(r[EVENT_ID]) for r in fresh]
            # A replacing write must not be swallowed by the dedup window of an earlier write.
            token = None if replace else batch_token("ev", ids)
            self._insert("events_clean", CLEAN_COLUMNS, fresh, token)
            result.events, result.events_skipped = len(fresh), len(events) - len(fresh)

        if dead:
            self._insert("dead_letters", DEAD_COLUMNS, list(dead), None)
            result.dead = len(dead)
        return result
