"""Read a request body ahead of the engine: one thread takes bytes off the socket (and
decompresses them) while the handler's thread hands earlier chunks to chDB, which
releases the GIL while it parses. Bounded, so a slow engine still slows the client."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator

_END = object()


class ReadAhead:
    def __init__(self, chunks: Iterable[bytes], depth: int = 8):
        self._chunks = chunks
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="body-reader", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for chunk in self._chunks:
                if not self._put(chunk):
                    return
            self._put(_END)
        except BaseException as ex:  # handed to the consumer, raised there
            self._put(ex)

    def __iter__(self) -> Iterator[bytes]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        """Stop reading and wait for the reader, so the socket has one user again."""
        self._stop.set()
        self._thread.join()
