"""Write messages to the broker and answer only once it acknowledged; spool when it cannot.

Two modes. Direct: produce, wait for the delivery reports, done. Spooling: entered when a
write fails or the broker is known to be down; every new write is appended to the disk
spool (so order is kept), and a replay thread feeds the spool to the broker in order,
returning to direct mode once the spool is empty.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass

from confluent_kafka import KafkaError, KafkaException, Producer

from errorhub.settings import Settings
from ingest.spool import Spool
from ingest.wire import Message

log = logging.getLogger("ingest.publisher")

REPLAY_BATCH = 500
PROBE_INTERVAL_S = 2.0


def producer_settings(settings: Settings, delivery_timeout_s: float) -> dict:
    """The project-wide producer config (acks=all, idempotent) with the ingest path's overrides."""
    from errorhub.broker import producer_config

    return producer_config(
        settings,
        {
            # A request waits for its ack; a long linger would be pure latency.
            "linger.ms": 2,
            # A request waits at most this long for the broker before its messages are spooled.
            "message.timeout.ms": int(delivery_timeout_s * 1000),
            "socket.connection.setup.timeout.ms": 3000,
            "reconnect.backoff.max.ms": 1000,
        },
    )


@dataclass
class _Batch:
    """Delivery reports for one write; `failed` keeps the messages the broker refused, in order."""

    messages: list[Message]
    pending: int
    failed: list[int]
    done: threading.Event


class Publisher:
    def __init__(self, config: dict, spool: Spool):
        self._config = config
        self._spool = spool
        self._producer = Producer({**config, "error_cb": self._on_error})
        self._producer_broken = False
        self._mode_lock = threading.Lock()
        self._spooling = spool.depth > 0
        self._wake = threading.Event()
        self._wake.set()  # probe the broker (and replay a leftover spool) right away
        self._stop = threading.Event()
        self.broker_up: bool | None = None
        self._threads = [
            threading.Thread(target=self._poll_loop, name="ingest-poll", daemon=True),
            threading.Thread(target=self._replay_loop, name="ingest-replay", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # --- the request path ------------------------------------------------------------------
    async def publish(self, messages: list[Message]) -> str:
        """Returns "broker" when acknowledged, "spool" when durably spooled instead."""
        if self._spooling or self.broker_up is False or self._producer_broken:
            await asyncio.to_thread(self._to_spool, messages)
            return "spool"
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        batch = self._produce(messages, lambda: loop.call_soon_threadsafe(done.set))
        try:
            await asyncio.wait_for(done.wait(), self._delivery_timeout_s + 5)
        except TimeoutError:  # never expected (librdkafka times messages out first); be safe
            batch.failed = list(range(len(messages)))
        if not batch.failed:
            return "broker"
        await asyncio.to_thread(self._to_spool, [messages[i] for i in sorted(batch.failed)])
        return "spool"

    @property
    def _delivery_timeout_s(self) -> float:
        return self._config["message.timeout.ms"] / 1000

    def _produce(self, messages: list[Message], on_done) -> _Batch:
        batch = _Batch(messages, len(messages), [], threading.Event())
        lock = threading.Lock()

        def report(index: int, error) -> None:
            with lock:
                if error is not None:
                    batch.failed.append(index)
                batch.pending -= 1
                finished = batch.pending == 0
            if error is None:
                self.broker_up = True
            else:
                log.warning("delivery failed: %s", error)
                self.broker_up = False
            if finished:
                batch.done.set()
                on_done()

        producer = self._producer
        for index, message in enumerate(messages):
            try:
                self._produce_one(producer, message, lambda err, _msg, i=index: report(i, err))
            except (KafkaException, BufferError, RuntimeError) as error:
                report(index, error)
        return batch

    def _produce_one(self, producer: Producer, message: Message, callback) -> None:
        for _ in range(50):
            try:
                producer.produce(
                    message.topic,
                    value=message.value.encode(),
                    key=message.key.encode(),
                    headers=list(message.headers),
                    on_delivery=callback,
                )
                return
            except BufferError:  # local queue full: let the poll thread drain it a little
                time.sleep(0.01)
        raise BufferError("producer queue stays full")

    def _to_spool(self, messages: list[Message]) -> None:
        with self._mode_lock:
            self._spool.append(messages)
            self._spooling = True
        self._wake.set()

    # --- background ------------------------------------------------------------------------
    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(0.05)

    def _replay_loop(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            self._wake.wait(PROBE_INTERVAL_S)
            self._wake.clear()
            if self._stop.is_set():
                return
            if self._producer_broken:
                self._renew_producer()
            if not self._spooling:
                self._probe()
                continue
            if self._probe() and self._replay_some():
                backoff = 0.5
                self._wake.set()  # more may be waiting: go on without sleeping
            else:
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)

    def _probe(self) -> bool:
        try:
            self._producer.list_topics(timeout=1.0)
        except KafkaException:
            self.broker_up = False
            return False
        self.broker_up = True
        return True

    def _replay_some(self) -> bool:
        """Replay one batch from the spool; True when all of it was acknowledged."""
        pending = self._spool.read(REPLAY_BATCH)
        if not pending:
            self._leave_spooling_if_empty()
            return True
        batch = self._produce([m for m, _ in pending], lambda: None)
        batch.done.wait(self._delivery_timeout_s + 5)
        delivered = min(batch.failed) if batch.failed else len(pending)
        if delivered:  # commit the acknowledged prefix; the rest is retried (at-least-once)
            self._spool.commit(pending[delivered - 1][1], delivered)
        self._leave_spooling_if_empty()
        return not batch.failed

    def _leave_spooling_if_empty(self) -> None:
        with self._mode_lock:
            if self._spool.depth == 0:
                self._spooling = False

    def _on_error(self, error: KafkaError) -> None:
        if error.code() in (KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT):
            self.broker_up = False
        if error.fatal():
            log.error("fatal producer error, renewing the producer: %s", error)
            self._producer_broken = True
            self._wake.set()
        else:
            log.info("producer: %s", error)

    def _renew_producer(self) -> None:
        old = self._producer
        self._producer = Producer({**self._config, "error_cb": self._on_error})
        self._producer_broken = False
        old.purge()  # in-flight messages fail and their requests spool them
        old.flush(1.0)

    # --- state -----------------------------------------------------------------------------
    @property
    def spool_depth(self) -> int:
        return self._spool.depth

    def close(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._producer.flush(timeout)
        self._spool.close()
