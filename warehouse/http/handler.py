"""One HTTP request: authenticate, shape, run on a chDB handle, answer like ClickHouse."""

from __future__ import annotations

import itertools
import json
import logging
import socket
import time
import traceback
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from warehouse.engine import Outcome
from warehouse.http import body as body_mod
from warehouse.http.auth import Account, extract_credentials
from warehouse.http.compression import (
    StreamCompressor,
    choose_response_encoding,
    compress_body,
    decode_stream,
)
from warehouse.http.errors import ClickHouseError, bad_request
from warehouse.http.formats import content_type
from warehouse.http.guard import check_statement
from warehouse.http.params import RequestParams, parse_params
from warehouse.http.readahead import ReadAhead
from warehouse.http.sql import insert_with_format, output_format, produces_result

log = logging.getLogger("warehouse.request")

HEAD_BYTES = 512 * 1024  # the statement of an INSERT must start within this (ClickHouse: 256 KiB)
MAX_QUERY_BODY = 1 << 30  # non-INSERT bodies (e.g. huge VALUES) are held in memory up to this
DRAIN_LIMIT = 256 << 20
# Formats whose per-block outputs concatenate into a valid result: streamed unless the client
# asks for wait_end_of_query=1 (clickhouse-connect does for its non-streaming calls).
STREAMABLE_FORMATS = frozenset(
    {
        "native",
        "tabseparated",
        "tsv",
        "tabseparatedraw",
        "tsvraw",
        "csv",
        "rowbinary",
        "jsoneachrow",
        "jsoncompacteachrow",
        "jsonlines",
        "ndjson",
    }
)  # on early errors, read up to this much of the body so the client sees the error


@dataclass
class RequestRecord:
    """What the per-request log line reports."""

    started: float = field(default_factory=time.monotonic)
    user: str = "-"
    status: int = 0
    code: int = 0
    query: str = ""
    query_id: str = ""
    session: str = ""
    outcome: Outcome | None = None
    bytes_out: int = 0
    streamed: bool = False  # the response was already sent block by block


class RawBody:
    """Counts what was read off the socket so an unread remainder can be drained."""

    def __init__(self, chunks):
        self._chunks = chunks
        self.finished = False
        self.broken = False  # the framing was bad: the connection can't be reused

    def __iter__(self):
        try:
            yield from self._chunks
        except BaseException:
            self.broken = True
            raise
        self.finished = True

    def drain(self, limit: int) -> bool:
        if self.broken:
            return False
        read = 0
        try:
            for chunk in self._chunks:
                read += len(chunk)
                if read > limit:
                    return False
        except (ClickHouseError, OSError):
            return False
        self.finished = True
        return True


class WarehouseHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "errorhub-warehouse"
    sys_version = ""
    timeout = 300  # idle keep-alive connections and stalled bodies

    # ---- plumbing -------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return None  # one line per request is written by _log_request

    @property
    def app(self):
        return self.server.app  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        record = RequestRecord()
        url = urlsplit(self.path)
        path = url.path
        try:
            # Like ClickHouse: /ping, and GET / without a query, answer "Ok." with no auth.
            if path == "/ping" or (path in ("/", "") and self.command != "POST" and not url.query):
                self._send(200, b"Ok.\n", {"Content-Type": "text/html; charset=UTF-8"}, record)
            elif path == "/health":
                body = json.dumps(self.app.health()).encode() + b"\n"
                self._send(200, body, {"Content-Type": "application/json"}, record)
            elif path in ("/", ""):
                self._query(record)
            else:
                self._refuse_body()
                err = ClickHouseError(1000, f"There is no handle {path}", 404)
                self._send_error(err, record)
        finally:
            self._log_request(record)

    # ---- the query path --------------------------------------------------------

    def _query(self, record: RequestRecord) -> None:
        raw = None
        try:
            pairs = parse_qsl(urlsplit(self.path).query, keep_blank_values=True)
            creds = extract_credentials(self.headers, dict(pairs))
            record.user = creds.user
            account = self.app.auth.authenticate(creds)
            req = parse_params(pairs)
            record.query_id = req.query_id or str(uuid.uuid4())
            record.session = req.session_id or ""
            raw = RawBody(body_mod.transfer_chunks(self.rfile, self.headers))
            stream = body_mod.BodyStream(self._decoded(raw, req))
            stream = self._apply_form(stream, req)
            self.app.begin_request()
            try:
                outcome, fmt = self._execute(account, req, stream, record)
            finally:
                self.app.end_request()
            if not record.streamed:
                self._send_result(outcome, fmt, req, record)
        except ClickHouseError as err:
            self._finish_body(raw)
            self._send_error(err, record)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
            record.status = 499
        except Exception as ex:  # never let a request take the process down
            log.error("internal error: %s", traceback.format_exc())
            self._finish_body(raw)
            self._send_error(ClickHouseError(1001, f"{type(ex).__name__}: {ex}", 500), record)

    def _decoded(self, raw: RawBody, req: RequestParams):
        if req.decompress:
            raise ClickHouseError(
                48, "decompress=1 (native compressed request bodies) is not supported; use Content-Encoding"
            )
        return decode_stream(raw, self.headers.get("Content-Encoding"))

    def _apply_form(self, stream: body_mod.BodyStream, req: RequestParams) -> body_mod.BodyStream:
        ctype = self.headers.get("Content-Type", "")
        if not ctype.lower().startswith("multipart/form-data"):
            return stream
        fields = body_mod.parse_multipart(ctype, stream.read_all(MAX_QUERY_BODY))
        form = parse_params(fields.items())
        req.query_params.update(form.query_params)
        req.settings.update(form.settings)
        if form.query:
            req.query = form.query
        return body_mod.BodyStream(iter(()))

    def _execute(self, account: Account, req: RequestParams, stream, record: RequestRecord):
        if req.compress:
            raise ClickHouseError(
                48, "compress=1 (native compressed responses) is not supported; use enable_http_compression=1"
            )
        prefix = (req.query + "\n").encode() if req.query else b""
        head = prefix + stream.peek(HEAD_BYTES)
        shape = insert_with_format(head.decode("latin-1"))
        engine = self.app.engine
        session = (req.session_id, req.session_timeout, req.session_check)
        with (
            engine.handle(account.user, account.readonly, *session) as handle,
            handle.request_scope(req.database, req.settings, restore=req.session_id is not None),
        ):
            if shape is not None:
                return self._insert(handle, account, shape, prefix, stream, record), None
            return self._select(handle, account, req, prefix, stream, record)

    def _insert(self, handle, account, shape, prefix: bytes, stream, record) -> Outcome:
        try:
            statement = shape.statement.encode("latin-1").decode("utf-8")
        except UnicodeDecodeError as ex:
            raise bad_request(f"Query is not valid UTF-8: {ex}", 36) from ex
        record.query = f"{statement} FORMAT {shape.fmt}"
        check_statement(statement, account, self.command)
        if shape.data_start >= len(prefix):
            stream.skip(shape.data_start - len(prefix))
            first = []
        else:
            first = [prefix[shape.data_start :]]
        reader = ReadAhead(stream.chunks())
        try:
            return handle.insert(statement, shape.fmt, itertools.chain(first, reader))
        finally:
            reader.close()

    def _select(self, handle, account, req: RequestParams, prefix: bytes, stream, record):
        try:
            sql = (prefix + stream.read_all(MAX_QUERY_BODY)).decode("utf-8")
        except UnicodeDecodeError as ex:
            raise bad_request(f"Query is not valid UTF-8: {ex}", 36) from ex
        record.query = sql
        if not sql.strip():
            raise ClickHouseError(62, "Empty query", 400)
        check_statement(sql, account, self.command)
        fmt = (output_format(sql) or req.default_format) if produces_result(sql) else None
        if fmt and not req.wait_end_of_query and fmt.lower() in STREAMABLE_FORMATS:
            self._stream_result(handle.stream(sql, req.default_format, req.query_params), fmt, req, record)
            return Outcome(), fmt
        return handle.execute(sql, req.default_format, req.query_params), fmt

    def _stream_result(self, blocks, fmt: str, req: RequestParams, record: RequestRecord) -> None:
        """Send blocks as they come (chunked). An engine error before the first block is a
        normal error response; after it, the error text ends the body and the connection is
        closed without the final chunk, so the client sees a failed, not a short, result."""
        first = next(blocks, b"")  # errors raised here still get a proper error response
        headers = self._common_headers(record)
        headers["Content-Type"] = content_type(fmt)
        headers["X-ClickHouse-Format"] = fmt
        # As ClickHouse does when it streams: the summary known when the headers leave.
        headers["X-ClickHouse-Summary"] = json.dumps(_summary(Outcome()), separators=(",", ":"))
        headers["Transfer-Encoding"] = "chunked"
        compressor = None
        if req.http_compression:
            encoding = choose_response_encoding(self.headers.get("Accept-Encoding"))
            if encoding:
                compressor = StreamCompressor(encoding)
                headers["Content-Encoding"] = encoding
        record.streamed, record.status = True, 200
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            for block in itertools.chain([first], blocks):
                self._write_chunk(compressor.compress(block) if compressor else block, record)
            if compressor:
                self._write_chunk(compressor.flush(), record)
            self.wfile.write(b"0\r\n\r\n")
        except ClickHouseError as err:
            record.code = err.code
            self._write_chunk(b"\n" + err.body(), record)
            self.close_connection = True
        finally:
            blocks.close()  # stops the engine's stream before the handle is released

    def _write_chunk(self, data: bytes, record: RequestRecord) -> None:
        if data:
            self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")
            record.bytes_out += len(data)

    # ---- responses -------------------------------------------------------------

    def _common_headers(self, record: RequestRecord) -> dict[str, str]:
        headers = {
            "X-ClickHouse-Server-Display-Name": self.app.display_name,
            "X-ClickHouse-Timezone": self.app.engine.timezone,
            "Keep-Alive": f"timeout={self.timeout}",
        }
        if record.query_id:
            headers["X-ClickHouse-Query-Id"] = record.query_id
        if record.session:
            headers["X-ClickHouse-Session-Id"] = record.session
        return headers

    def _send_result(self, outcome: Outcome, fmt: str | None, req: RequestParams, record) -> None:
        record.outcome = outcome
        body = outcome.body
        headers = self._common_headers(record)
        headers["Content-Type"] = content_type(fmt) if fmt else "text/plain; charset=UTF-8"
        if fmt:
            headers["X-ClickHouse-Format"] = fmt
        headers["X-ClickHouse-Summary"] = json.dumps(_summary(outcome), separators=(",", ":"))
        encoding = None
        if req.http_compression:
            encoding = choose_response_encoding(self.headers.get("Accept-Encoding"))
        if encoding and len(body):
            body = compress_body(bytes(body), encoding)
            headers["Content-Encoding"] = encoding
        self._send(200, body, headers, record)

    def _send_error(self, err: ClickHouseError, record: RequestRecord) -> None:
        record.code = err.code
        headers = self._common_headers(record)
        headers["Content-Type"] = "text/plain; charset=UTF-8"
        headers["X-ClickHouse-Exception-Code"] = str(err.code)
        if err.http_status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="ClickHouse server"'
        self._send(err.http_status, err.body(), headers, record)

    def _send(self, status: int, body, headers: dict[str, str], record: RequestRecord) -> None:
        record.status = status
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and len(body):
                self.wfile.write(body)
            record.bytes_out = len(body)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _finish_body(self, raw: RawBody | None) -> None:
        """After an error, read the rest of the body (bounded) or close the connection."""
        if raw is None:
            self._refuse_body()
        elif not raw.finished and not raw.drain(DRAIN_LIMIT):
            self.close_connection = True

    def _refuse_body(self) -> None:
        if self.headers.get("Content-Length") not in (None, "0") or self.headers.get("Transfer-Encoding"):
            try:
                raw = RawBody(body_mod.transfer_chunks(self.rfile, self.headers))
                if not raw.drain(DRAIN_LIMIT):
                    self.close_connection = True
            except ClickHouseError:
                self.close_connection = True

    def _log_request(self, record: RequestRecord) -> None:
        elapsed_ms = (time.monotonic() - record.started) * 1000
        self.app.count_request(record.status)
        out = record.outcome
        rows = f" read_rows={out.read_rows} written_rows={out.written_rows}" if out else ""
        query = " ".join(record.query.split())[:160]
        log.info(
            '%s %s %s user=%s status=%d code=%d ms=%.1f bytes_out=%d%s%s query="%s"',
            self.client_address[0],
            self.command,
            urlsplit(self.path).path,
            record.user,
            record.status,
            record.code,
            elapsed_ms,
            record.bytes_out,
            rows,
            f" session={record.session}" if record.session else "",
            query,
        )


def _summary(outcome: Outcome) -> dict[str, str]:
    return {
        "read_rows": str(outcome.read_rows),
        "read_bytes": str(outcome.read_bytes),
        "written_rows": str(outcome.written_rows),
        "written_bytes": str(outcome.written_bytes),
        "total_rows_to_read": str(outcome.read_rows),
        "result_rows": "0",
        "result_bytes": str(len(outcome.body)),
        "elapsed_ns": str(int(outcome.elapsed * 1e9)),
    }
