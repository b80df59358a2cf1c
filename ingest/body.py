"""ASGI middleware: cap request bodies (413) and undo gzip/deflate/br Content-Encoding.

It buffers the whole body before the app sees it, so every route reads plain bytes and no
route can be tricked into unbounded reads or decompression bombs.
"""

from __future__ import annotations

import json
import zlib

try:  # sentry-sdk sends brotli when the `brotli` module is installed on the client side
    import brotli  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None


class BodyError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip"):
        return _inflate(body, 16 + zlib.MAX_WBITS, limit)
    if encoding == "deflate":
        try:
            return _inflate(body, zlib.MAX_WBITS, limit)
        except BodyError as error:
            if error.status == 413:
                raise
            return _inflate(body, -zlib.MAX_WBITS, limit)  # raw deflate, as some clients send
    if encoding == "br" and brotli is not None:
        return _unbrotli(body, limit)
    raise BodyError(415, f"unsupported Content-Encoding {encoding!r}; use gzip or deflate")


def _inflate(body: bytes, wbits: int, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as error:
        raise BodyError(400, f"body is not valid compressed data: {error}") from None
    if len(out) > limit:
        raise BodyError(413, f"decompressed body exceeds {limit} bytes")
    if not inflater.eof:
        raise BodyError(400, "compressed body is truncated")
    return out


def _unbrotli(body: bytes, limit: int) -> bytes:
    inflater = brotli.Decompressor()
    try:
        out = inflater.process(body, output_buffer_limit=limit + 1)
    except TypeError:  # older brotli without output_buffer_limit
        out = inflater.process(body)
    except brotli.error as error:
        raise BodyError(400, f"body is not valid brotli data: {error}") from None
    if len(out) > limit:
        raise BodyError(413, f"decompressed body exceeds {limit} bytes")
    return out


class BodyLimits:
    def __init__(self, app, max_body_bytes: int, max_decompressed_bytes: int):
        self.app = app
        self.max_body = max_body_bytes
        self.max_decompressed = max_decompressed_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            body = await self._read(headers, receive)
            body = decompress(body, headers.get("content-encoding", ""), self.max_decompressed)
        except BodyError as error:
            return await _send_error(send, error.status, str(error))
        scope = dict(scope)
        scope["headers"] = [
            (k, v) for k, v in scope["headers"] if k.lower() not in (b"content-encoding", b"content-length")
        ] + [(b"content-length", str(len(body)).encode())]
        return await self.app(scope, _replay(body, receive), send)

    async def _read(self, headers: dict[str, str], receive) -> bytes:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            raise BodyError(413, f"body of {declared} bytes exceeds {self.max_body} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise BodyError(400, "client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise BodyError(413, f"body exceeds {self.max_body} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, original_receive):
    sent = False

    async def receive():
        nonlocal sent
        if sent:  # later calls wait for the real disconnect, as the server would
            return await original_receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _send_error(send, status: int, message: str) -> None:
    payload = json.dumps({"detail": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if status == 413:
        headers.append((b"connection", b"close"))  # the unread rest of the body is discarded
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
