"""Append-only, fsync'd disk spool for messages the broker could not take yet.

Layout under the spool folder: numbered segment files of JSON lines (one message a line)
and `position.json` naming the first message not yet replayed (segment, byte offset).
Replay reads from the position in order and commits a new position once the broker has
acknowledged; fully replayed segments are deleted. One process owns a folder (flock).
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from pathlib import Path

from ingest.wire import Message

SEGMENT_BYTES = 64 * 1024 * 1024
_SUFFIX = ".jsonl"


class SpoolLocked(RuntimeError):
    """Another process owns this spool folder."""


class Spool:
    def __init__(self, directory: Path, segment_bytes: int = SEGMENT_BYTES):
        self.directory = directory
        self.segment_bytes = segment_bytes
        directory.mkdir(parents=True, exist_ok=True)
        self._lock_file = _acquire(directory / "lock")
        self._lock = threading.Lock()
        self._position_file = directory / "position.json"
        self._segment, self._offset = self._load_position()
        for segment in self._segments():
            _drop_partial_tail(self._path(segment))
        self.depth = self._count_pending()
        self._writer = None
        self._writer_segment = -1

    # --- writing -------------------------------------------------------------------------
    def append(self, messages: list[Message]) -> None:
        """Write messages durably (one fsync per call) before returning."""
        data = "".join(json.dumps(m.as_dict(), separators=(",", ":")) + "\n" for m in messages)
        with self._lock:
            writer = self._active_writer()
            writer.write(data.encode())
            writer.flush()
            os.fsync(writer.fileno())
            self.depth += len(messages)

    def _active_writer(self):
        segments = self._segments()
        last = segments[-1] if segments else self._segment
        if self._writer is not None and self._writer.tell() >= self.segment_bytes:
            self._close_writer()
            last += 1
        if self._writer is None or self._writer_segment != last:
            self._close_writer()
            path = self._path(last)
            created = not path.exists()
            self._writer = path.open("ab")
            self._writer_segment = last
            if created:
                _fsync_dir(self.directory)
        return self._writer

    def _close_writer(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # --- replay --------------------------------------------------------------------------
    def read(self, limit: int) -> list[tuple[Message, tuple[int, int]]]:
        """Up to `limit` pending messages in order, each with the position just after it."""
        with self._lock:
            segment, offset = self._segment, self._offset
            out: list[tuple[Message, tuple[int, int]]] = []
            for number in self._segments():
                if number < segment:
                    continue
                start = offset if number == segment else 0
                out.extend(self._read_segment(number, start, limit - len(out)))
                if len(out) >= limit:
                    break
            return out

    def _read_segment(self, number: int, start: int, limit: int):
        out = []
        with self._path(number).open("rb") as f:
            f.seek(start)
            while len(out) < limit:
                line = f.readline()
                if not line.endswith(b"\n"):
                    break  # end, or a write in progress (appends hold the lock, so: end)
                out.append((Message.from_dict(json.loads(line)), (number, f.tell())))
        return out

    def commit(self, position: tuple[int, int], count: int) -> None:
        """Mark everything before `position` (`count` messages) as delivered."""
        with self._lock:
            self._segment, self._offset = position
            self.depth = max(0, self.depth - count)
            self._drop_replayed_segments()
            position_json = json.dumps({"segment": self._segment, "offset": self._offset})
            _write_atomically(self._position_file, position_json)

    def _drop_replayed_segments(self) -> None:
        segments = self._segments()
        for number in segments:
            path = self._path(number)
            finished = number < self._segment or (
                number == self._segment and self._offset >= path.stat().st_size
            )
            if not finished:
                continue
            if number == self._writer_segment:
                self._close_writer()
            path.unlink()
            if number == self._segment:  # the next append starts a new segment
                self._segment, self._offset = number + 1, 0

    # --- helpers -------------------------------------------------------------------------
    def _segments(self) -> list[int]:
        return sorted(int(p.stem) for p in self.directory.glob(f"*{_SUFFIX}") if p.stem.isdigit())

    def _path(self, number: int) -> Path:
        return self.directory / f"{number:012d}{_SUFFIX}"

    def _load_position(self) -> tuple[int, int]:
        try:
            data = json.loads(self._position_file.read_text())
            return int(data["segment"]), int(data["offset"])
        except (OSError, ValueError, KeyError):
            segments = self._segments()
            return (segments[0] if segments else 1), 0

    def _count_pending(self) -> int:
        total = 0
        for number in self._segments():
            if number < self._segment:
                continue
            with self._path(number).open("rb") as f:
                if number == self._segment:
                    f.seek(self._offset)
                total += sum(1 for _ in f)
        return total

    def close(self) -> None:
        with self._lock:
            self._close_writer()
        self._lock_file.close()


def _acquire(path: Path):
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise SpoolLocked(f"spool {path.parent} is used by another process") from None
    return handle


def _drop_partial_tail(path: Path) -> None:
    """A crash mid-append can leave a line without its newline: it was never acknowledged."""
    with path.open("rb+") as f:
        data_end = f.seek(0, os.SEEK_END)
        if data_end == 0:
            return
        f.seek(max(0, data_end - 1))
        if f.read(1) == b"\n":
            return
        f.seek(0)
        keep = f.read().rfind(b"\n") + 1
        f.truncate(keep)
        os.fsync(f.fileno())


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
