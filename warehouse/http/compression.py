"""Content encodings for request and response bodies.

Request bodies: clickhouse-connect compresses each insert block separately, so a body
is a concatenation of complete LZ4 frames, zstd frames or gzip members; the decoders
below accept any number of them, incrementally, and fail loudly on truncated or corrupt
input (never returning a silently shortened body).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

import lz4.frame
import zstandard

from warehouse.http.errors import ClickHouseError, bad_request

try:  # optional, like ClickHouse builds without brotli
    import brotli  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

RESPONSE_ENCODINGS = ("zstd", "lz4", "gzip", "deflate") + (("br",) if brotli else ())


class _Frames:
    """Any number of concatenated frames (LZ4 frames, zstd frames, gzip members)."""

    def __init__(self, factory, name: str) -> None:
        self._factory = factory
        self._name = name
        self._d = factory()
        self._open = False  # inside a frame that has not ended yet

    def feed(self, data: bytes) -> list[bytes]:
        out = []
        while data:
            self._open = True
            out.append(self._d.decompress(data))
            if not self._d.eof:
                break
            data = self._d.unused_data
            self._d = self._factory()
            self._open = False
        return out

    def finish(self) -> None:
        if self._open:
            raise bad_request(f"Unexpected end of {self._name}-compressed body (incomplete frame)", 271)


class _Brotli:
    def __init__(self) -> None:
        self._d = brotli.Decompressor()

    def feed(self, data: bytes) -> list[bytes]:
        return [self._d.process(data)]

    def finish(self) -> None:
        if not self._d.is_finished():
            raise bad_request("Unexpected end of brotli-compressed body", 271)


def _decoder(encoding: str):
    if encoding == "lz4":
        return _Frames(lz4.frame.LZ4FrameDecompressor, "lz4")
    if encoding == "zstd":
        return _Frames(lambda: zstandard.ZstdDecompressor().decompressobj(), "zstd")
    if encoding in ("gzip", "x-gzip"):
        return _Frames(lambda: zlib.decompressobj(wbits=31), "gzip")
    if encoding == "deflate":
        return _Frames(lambda: zlib.decompressobj(wbits=15), "deflate")
    if encoding == "br" and brotli is not None:
        return _Brotli()
    raise ClickHouseError(36, f"Unknown HTTP Content-Encoding '{encoding}'", 415)


def decode_stream(chunks: Iterable[bytes], content_encoding: str | None) -> Iterator[bytes]:
    """Decompress a body given as chunks, according to Content-Encoding."""
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("", "identity", "none"):
        yield from chunks
        return
    decoder = _decoder(encoding)
    try:
        for chunk in chunks:
            for out in decoder.feed(chunk):
                if out:
                    yield out
        decoder.finish()
    except ClickHouseError:
        raise
    except (RuntimeError, ValueError, zlib.error, zstandard.ZstdError) as ex:
        raise bad_request(f"Cannot decompress {encoding} request body: {ex}", 271) from ex


def choose_response_encoding(accept_encoding: str | None) -> str | None:
    """First encoding of Accept-Encoding (in the client's order) that we can produce."""
    for token in (accept_encoding or "").split(","):
        name = token.split(";", 1)[0].strip().lower()
        if name in RESPONSE_ENCODINGS:
            return name
    return None


def compress_body(body: bytes, encoding: str) -> bytes:
    if encoding == "lz4":
        return lz4.frame.compress(body)
    if encoding == "zstd":
        return zstandard.ZstdCompressor(level=1).compress(body)
    if encoding == "gzip":
        c = zlib.compressobj(1, wbits=31)
        return c.compress(body) + c.flush()
    if encoding == "deflate":
        return zlib.compress(body, 1)
    if encoding == "br" and brotli is not None:
        return brotli.compress(body, quality=1)
    raise ValueError(f"unsupported encoding {encoding}")


class StreamCompressor:
    """Compresses a streamed response as one frame/member, which clients decode with a
    single decompressor."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._prefix = b""
        if encoding == "lz4":
            self._c = lz4.frame.LZ4FrameCompressor()
            self._prefix = self._c.begin()
        elif encoding == "zstd":
            self._c = zstandard.ZstdCompressor(level=1).compressobj()
        elif encoding == "gzip":
            self._c = zlib.compressobj(1, wbits=31)
        elif encoding == "deflate":
            self._c = zlib.compressobj(1)
        elif encoding == "br" and brotli is not None:
            self._c = brotli.Compressor(quality=1)
        else:
            raise ValueError(f"unsupported encoding {encoding}")

    def compress(self, data: bytes) -> bytes:
        out = self._c.process(data) if self.encoding == "br" else self._c.compress(data)
        if self._prefix:
            out, self._prefix = self._prefix + out, b""
        return out

    def flush(self) -> bytes:
        out = self._c.finish() if self.encoding == "br" else self._c.flush()
        return self._prefix + out
