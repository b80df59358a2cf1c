"""The warehouse service: one process that owns the chDB data folder and speaks
ClickHouse's HTTP interface, so every component talks to it as to a ClickHouse server.

    python -m warehouse.server [--host H] [--port P] [--data-dir D] [--user U] [--password X]
                               [--readonly-user U] [--readonly-password X]

Defaults come from errorhub.settings (ERRORHUB_WAREHOUSE_* variables or .env).
Health: GET /ping (and GET / without a query) answer `Ok.` outside the engine; GET /health
gives counters as JSON. One log line per request (duration, status, code, rows, bytes).

Protocol (warehouse/http/): query in the URL and/or body; INSERT ... FORMAT data streamed
into the engine as it arrives (Content-Length or chunked; Content-Encoding lz4/zstd/gzip/
deflate, concatenated frames allowed; acknowledged only after the engine committed it);
settings as URL parameters (transport ones skipped), param_* binding (also multipart),
sessions (session_id/timeout/check; URL settings scoped to one request), database,
default_format, query_id, enable_http_compression + Accept-Encoding, results streamed in
block-wise formats unless wait_end_of_query=1, X-ClickHouse-* headers, ClickHouse error
bodies and status codes, Basic/X-ClickHouse-User+Key/URL credentials, two accounts
(the read-only one runs with readonly=2 plus a statement guard), GET implies readonly.
Not supported (answered with code 48, HTTP 501): compress=1/decompress=1 (ClickHouse's
native compressed blocks) and external data tables.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

from warehouse.engine import DataDirInUse, Engine
from warehouse.http.auth import Account, Authenticator
from warehouse.http.errors import ClickHouseError
from warehouse.http.handler import WarehouseHandler

log = logging.getLogger("warehouse")

GRACEFUL_STOP_SECONDS = 30
MAX_CONCURRENT_QUERIES = 64  # beyond this, queries are refused with code 202 (as ClickHouse does)


@dataclass(frozen=True)
class ServerConfig:
    host: str
    port: int
    data_dir: Path
    user: str
    password: str
    readonly_user: str
    readonly_password: str


class App:
    """State shared by request handlers: engine, accounts, counters, shutdown gate."""

    def __init__(self, engine: Engine, auth: Authenticator):
        self.engine = engine
        self.auth = auth
        self.display_name = socket.gethostname()
        self.started = time.time()
        self._lock = threading.Condition()
        self._inflight = 0
        self._stopping = False
        self.requests = 0
        self.errors = 0

    def begin_request(self) -> None:
        """Admit a query, or raise 503 when stopping or too many queries run at once."""
        with self._lock:
            if self._stopping:
                raise ClickHouseError(202, "The warehouse is shutting down", 503)
            if self._inflight >= MAX_CONCURRENT_QUERIES:
                raise ClickHouseError(
                    202, f"Too many simultaneous queries. Maximum: {MAX_CONCURRENT_QUERIES}", 503
                )
            self._inflight += 1

    def end_request(self) -> None:
        with self._lock:
            self._inflight -= 1
            self._lock.notify_all()

    def count_request(self, status: int) -> None:
        with self._lock:
            self.requests += 1
            self.errors += status >= 400

    def stop(self, timeout: float) -> bool:
        """Refuse new queries and wait for in-flight ones; True if all finished."""
        with self._lock:
            self._stopping = True
            return self._lock.wait_for(lambda: self._inflight == 0, timeout)

    def health(self) -> dict:
        return {
            "status": "stopping" if self._stopping else "ok",
            "engine_version": self.engine.version,
            "uptime_s": round(time.time() - self.started, 1),
            "requests": self.requests,
            "errors": self.errors,
            "in_flight": self._inflight,
            "sessions": self.engine.session_count,
            "rss_mb": round(_rss_bytes() / 2**20, 1),
        }


class WarehouseHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, app: App):
        self.app = app
        super().__init__(address, WarehouseHandler)


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def config_from_settings(settings) -> ServerConfig:
    return ServerConfig(
        host=settings.warehouse_host,
        port=settings.warehouse_port,
        data_dir=Path(settings.warehouse_data_dir),
        user=settings.warehouse_user,
        password=settings.warehouse_password.get_secret_value(),
        readonly_user=settings.warehouse_readonly_user,
        readonly_password=settings.warehouse_readonly_password.get_secret_value(),
    )


def check_config(config: ServerConfig) -> None:
    """Refuse to start without passwords, naming the setting to fix."""
    if not config.password:
        raise SystemExit("warehouse: ERRORHUB_WAREHOUSE_PASSWORD is empty; set it (or pass --password)")
    if not config.readonly_password:
        raise SystemExit(
            "warehouse: ERRORHUB_WAREHOUSE_READONLY_PASSWORD is empty; set it (or pass --readonly-password)"
        )
    if config.user == config.readonly_user:
        raise SystemExit("warehouse: the read-write and read-only users must differ")


def serve(settings) -> None:
    """Run the service until SIGTERM/SIGINT. `settings` is an errorhub Settings or a ServerConfig."""
    config = settings if isinstance(settings, ServerConfig) else config_from_settings(settings)
    check_config(config)
    run(config)


def run(config: ServerConfig) -> None:
    started = time.monotonic()
    try:
        engine = Engine(config.data_dir)
    except DataDirInUse as ex:
        raise SystemExit(f"warehouse: cannot start: {ex}") from None
    auth = Authenticator(
        [
            Account(config.user, config.password, readonly=False),
            Account(config.readonly_user, config.readonly_password, readonly=True),
        ]
    )
    app = App(engine, auth)
    try:
        server = WarehouseHTTPServer((config.host, config.port), app)
    except OSError as ex:
        engine.close()
        raise SystemExit(f"warehouse: cannot listen on {config.host}:{config.port}: {ex}") from None
    _install_signal_handlers(server)
    log.info(
        "warehouse ready on http://%s:%d data=%s engine=%s startup_ms=%.0f pid=%d",
        config.host,
        server.server_address[1],
        engine.path,
        engine.version,
        (time.monotonic() - started) * 1000,
        os.getpid(),
    )
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        finished = app.stop(GRACEFUL_STOP_SECONDS)
        if not finished:
            log.warning("stopping with queries still running after %ss", GRACEFUL_STOP_SECONDS)
        engine.close()
        log.info("warehouse stopped")


def _install_signal_handlers(server: WarehouseHTTPServer) -> None:
    def stop(signum, _frame):
        log.info("received %s, stopping", signal.Signals(signum).name)
        # shutdown() waits for serve_forever to return: call it off the main thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m warehouse.server", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--readonly-user")
    parser.add_argument("--readonly-password")
    parser.add_argument("--log-level", default=os.environ.get("ERRORHUB_WAREHOUSE_LOG_LEVEL", "INFO"))
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    given = {
        "host": args.host,
        "port": args.port,
        "data_dir": args.data_dir,
        "user": args.user,
        "password": args.password,
        "readonly_user": args.readonly_user,
        "readonly_password": args.readonly_password,
    }
    if any(value is None for value in given.values()):
        # Only what the command line leaves out comes from the settings (env, .env).
        from errorhub.settings import get_settings

        base = config_from_settings(get_settings())
        given = {k: v if v is not None else getattr(base, k) for k, v in given.items()}
    serve(ServerConfig(**given))


if __name__ == "__main__":
    main()
