"""Reading a request body off the socket: Content-Length or chunked transfer coding,
then Content-Encoding, then (with `decompress=1`) ClickHouse's compressed blocks.
A body that ends early or is framed wrongly raises a 400 error; nothing is dropped."""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Iterator, Mapping
from typing import BinaryIO

from warehouse.http.errors import ClickHouseError, bad_request

READ_SIZE = 4 << 20  # matches BodyStream.chunks(), so whole reads pass through uncopied
MAX_CHUNK_LINE = 1024


def read_length(rfile: BinaryIO, length: int) -> Iterator[bytes]:
    remaining = length
    while remaining > 0:
        data = rfile.read(min(READ_SIZE, remaining))
        if not data:
            raise bad_request(
                f"Unexpected end of request body: expected {length} bytes, got {length - remaining}", 33
            )
        remaining -= len(data)
        yield data


def read_chunked(rfile: BinaryIO) -> Iterator[bytes]:
    while True:
        line = rfile.readline(MAX_CHUNK_LINE)
        if not line.endswith(b"\n"):
            raise bad_request("Malformed chunked request body: chunk size line missing or too long", 33)
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError as ex:
            raise bad_request(f"Malformed chunked request body: bad chunk size {size_text!r}", 33) from ex
        if size < 0:
            raise bad_request("Malformed chunked request body: negative chunk size", 33)
        if size == 0:
            _skip_trailers(rfile)
            return
        yield from read_length(rfile, size)
        if rfile.readline(MAX_CHUNK_LINE).strip():
            raise bad_request("Malformed chunked request body: chunk not followed by CRLF", 33)


def _skip_trailers(rfile: BinaryIO) -> None:
    while True:
        line = rfile.readline(MAX_CHUNK_LINE)
        if not line:
            raise bad_request("Malformed chunked request body: missing final CRLF", 33)
        if not line.strip():
            return


def transfer_chunks(rfile: BinaryIO, headers: Mapping[str, str]) -> Iterator[bytes]:
    """The raw (still content-encoded) body bytes."""
    if "chunked" in headers.get("Transfer-Encoding", "").lower():
        return read_chunked(rfile)
    length_text = headers.get("Content-Length")
    if length_text is None:
        return iter(())
    try:
        length = int(length_text)
    except ValueError as ex:
        raise bad_request(f"Invalid Content-Length {length_text!r}", 36) from ex
    if length < 0:
        raise bad_request(f"Invalid Content-Length {length_text!r}", 36)
    return read_length(rfile, length)


class BodyStream:
    """Pull-style view over body chunks: read a head, then iterate the rest."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = iter(chunks)
        self._buffer = bytearray()
        self._done = False

    def _pull(self) -> bool:
        if self._done:
            return False
        for chunk in self._chunks:
            if chunk:
                self._buffer += chunk
                return True
        self._done = True
        return False

    def peek(self, size: int) -> bytes:
        """Up to `size` bytes from the start, without consuming them."""
        while len(self._buffer) < size and self._pull():
            pass
        return bytes(self._buffer[:size])

    def skip(self, size: int) -> None:
        self.peek(size)
        del self._buffer[:size]

    def read_all(self, limit: int) -> bytes:
        while self._pull():
            if len(self._buffer) > limit:
                raise ClickHouseError(307, f"Request body is larger than {limit} bytes", 413)
        data = bytes(self._buffer)
        self._buffer.clear()
        return data

    def chunks(self, min_size: int = 4 << 20) -> Iterator[bytes]:
        """The remaining bytes, re-batched into pieces of at least `min_size` (but the last)."""
        while True:
            if not self._buffer and not self._done:
                # Large pieces go through without a copy.
                chunk = next(self._chunks, None)
                if chunk is None:
                    self._done = True
                    return
                if len(chunk) >= min_size:
                    yield chunk
                    continue
                self._buffer += chunk
            while len(self._buffer) < min_size and self._pull():
                pass
            if not self._buffer:
                return
            data = bytes(self._buffer)
            self._buffer.clear()
            yield data

    def drain(self) -> None:
        for _ in self._chunks:
            pass
        self._buffer.clear()
        self._done = True


def parse_multipart(content_type: str, body: bytes) -> dict[str, str]:
    """Form fields of a multipart/form-data body (query, param_*); files are refused."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise bad_request("Malformed multipart/form-data request body", 36)
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename() is not None:
            raise ClickHouseError(48, "External data (file parts in multipart requests) is not supported")
        if name:
            payload = part.get_payload(decode=True) or b""
            try:
                fields[str(name)] = payload.decode("utf-8")
            except UnicodeDecodeError as ex:
                raise bad_request(f"Form field {name!r} is not valid UTF-8", 36) from ex
    return fields
