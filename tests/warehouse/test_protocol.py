"""Unit tests for the pure protocol pieces (no engine, no network)."""

from __future__ import annotations

import base64
import gzip
import io
import zlib

import lz4.frame
import pytest
import zstandard

from warehouse.http import body, compression, errors, params, sql
from warehouse.http.auth import Account, Authenticator, Credentials, extract_credentials
from warehouse.http.errors import ClickHouseError

PAYLOAD = [bytes([i % 251]) * (10_000 + i) for i in range(5)]


def _split(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _frames(encoding: str) -> bytes:
    if encoding == "lz4":  # clickhouse-connect: one LZ4 frame per insert block
        return b"".join(lz4.frame.compress(p) for p in PAYLOAD)
    if encoding == "zstd":
        return b"".join(zstandard.ZstdCompressor().compress(p) for p in PAYLOAD)
    if encoding == "gzip":
        return b"".join(gzip.compress(p) for p in PAYLOAD)
    return zlib.compress(b"".join(PAYLOAD))


@pytest.mark.parametrize("encoding", ["lz4", "zstd", "gzip", "deflate"])
@pytest.mark.parametrize("piece", [1, 7, 4096, 1 << 20])
def test_concatenated_frames_decode_whole_in_any_chunking(encoding: str, piece: int) -> None:
    encoded = _frames(encoding)
    out = b"".join(compression.decode_stream(iter(_split(encoded, piece)), encoding))
    assert out == b"".join(PAYLOAD)


@pytest.mark.parametrize("encoding", ["lz4", "zstd", "gzip"])
def test_truncated_compressed_body_is_an_error_not_a_short_body(encoding: str) -> None:
    encoded = _frames(encoding)
    with pytest.raises(ClickHouseError) as info:
        b"".join(compression.decode_stream(iter([encoded[:-7]]), encoding))
    assert info.value.code == 271 and info.value.http_status == 400


@pytest.mark.parametrize("encoding", ["lz4", "zstd", "gzip", "deflate"])
def test_garbage_compressed_body_is_a_400(encoding: str) -> None:
    with pytest.raises(ClickHouseError) as info:
        b"".join(compression.decode_stream(iter([b"this is not compressed at all" * 10]), encoding))
    assert info.value.http_status == 400


def test_unknown_content_encoding_is_refused() -> None:
    with pytest.raises(ClickHouseError) as info:
        list(compression.decode_stream(iter([b"x"]), "snappy"))
    assert info.value.http_status == 415


@pytest.mark.parametrize("encoding", ["lz4", "zstd", "gzip", "deflate"])
def test_response_compression_round_trips(encoding: str) -> None:
    data = b"some result rows\n" * 1000
    packed = compression.compress_body(data, encoding)
    assert b"".join(compression.decode_stream(iter([packed]), encoding)) == data


def test_response_encoding_follows_client_order_and_support() -> None:
    assert compression.choose_response_encoding("br;q=1, zstd, gzip") in ("br", "zstd")
    assert compression.choose_response_encoding("gzip, lz4") == "gzip"
    assert compression.choose_response_encoding("identity") is None
    assert compression.choose_response_encoding(None) is None


def _chunked(parts: list[bytes]) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def test_chunked_body_reassembles() -> None:
    parts = [b"INSERT INTO t FORMAT TSV\n", b"1\n" * 5000, b"2\n"]
    out = b"".join(body.read_chunked(io.BytesIO(_chunked(parts))))
    assert out == b"".join(parts)


@pytest.mark.parametrize(
    "raw",
    [
        b"5\r\nabc",  # body ends inside a chunk
        b"zz\r\nabc\r\n0\r\n\r\n",  # bad size
        b"3\r\nabcXX0\r\n\r\n",  # no CRLF after data
        b"3\r\nabc\r\n",  # no terminating chunk
    ],
)
def test_malformed_chunked_body_is_a_400(raw: bytes) -> None:
    with pytest.raises(ClickHouseError) as info:
        b"".join(body.read_chunked(io.BytesIO(raw)))
    assert info.value.http_status == 400


def test_content_length_body_that_ends_early_is_a_400() -> None:
    with pytest.raises(ClickHouseError) as info:
        b"".join(body.transfer_chunks(io.BytesIO(b"abc"), {"Content-Length": "10"}))
    assert info.value.http_status == 400 and "expected 10 bytes, got 3" in info.value.message


def test_body_stream_peek_skip_and_rebatch() -> None:
    stream = body.BodyStream(iter([b"ab", b"cd", b"", b"efgh"]))
    assert stream.peek(3) == b"abc"
    stream.skip(1)
    assert b"".join(stream.chunks(min_size=2)) == b"bcdefgh"


def test_multipart_form_fields() -> None:
    boundary = "XyZ"
    raw = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="query"\r\n\r\nSELECT {{x:String}}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="param_x"\r\n\r\nhello\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    fields = body.parse_multipart(f"multipart/form-data; boundary={boundary}", raw)
    assert fields == {"query": "SELECT {x:String}", "param_x": "hello"}


def test_params_split_transport_settings_and_query_params() -> None:
    req = params.parse_params(
        [
            ("query", "SELECT 1"),
            ("database", "db"),
            ("client_protocol_version", "54405"),
            ("session_id", "s1"),
            ("session_timeout", "120"),
            ("param_x", "5"),
            ("max_threads", "2"),
            ("wait_end_of_query", "1"),
            ("enable_http_compression", "1"),
            ("default_format", "JSON"),
            ("query_id", "q1"),
        ]
    )
    assert (req.query, req.database, req.session_id, req.session_timeout) == ("SELECT 1", "db", "s1", 120)
    assert req.settings == {"max_threads": "2"}
    assert req.query_params == {"x": "5"}
    assert req.http_compression and req.default_format == "JSON" and req.query_id == "q1"


def test_params_reject_bad_session_timeout_and_setting_names() -> None:
    with pytest.raises(ClickHouseError):
        params.parse_params([("session_timeout", "abc")])
    with pytest.raises(ClickHouseError):
        params.parse_params([("session_timeout", "999999")])
    with pytest.raises(ClickHouseError) as info:
        params.parse_params([("max threads; DROP", "1")])
    assert info.value.code == 115


def test_set_statement_quotes_values() -> None:
    assert params.set_statement({}) is None
    assert params.set_statement({"a": "1", "b": "it's\\"}) == "SET a = '1', b = 'it\\'s\\\\'"


def test_insert_shape_finds_data_after_first_newline() -> None:
    text = "INSERT INTO db.t (`a`, `format`) FORMAT Native\n\n\x0arest"
    shape = sql.insert_with_format(text)
    assert shape is not None and shape.fmt == "Native"
    assert shape.statement == "INSERT INTO db.t (`a`, `format`)"
    assert text[shape.data_start :] == "\n\nrest"  # only one newline belongs to the statement


def test_insert_shape_without_newline_starts_at_first_non_blank() -> None:
    text = "INSERT INTO t SETTINGS async_insert=0 FORMAT TSV   1\t2\n"
    shape = sql.insert_with_format(text)
    assert shape is not None and shape.fmt == "TSV" and text[shape.data_start :] == "1\t2\n"
    assert shape.statement == "INSERT INTO t SETTINGS async_insert=0"


@pytest.mark.parametrize(
    "text",
    [
        "INSERT INTO t VALUES (1)",
        "INSERT INTO t SELECT 1 FORMAT x",
        "SELECT 1 FORMAT JSON",
        "",
        "INSERT INTO t (a) VALUES ('FORMAT Native')",
    ],
)
def test_insert_shape_ignores_other_statements(text: str) -> None:
    assert sql.insert_with_format(text) is None


def test_output_format_and_statement_kinds() -> None:
    assert sql.output_format("SELECT 'FORMAT CSV' FORMAT JSONEachRow") == "JSONEachRow"
    assert sql.output_format("SELECT 1 -- FORMAT CSV\n") is None
    assert sql.is_read_only("  /* c */ with x as (select 1) select * from x")
    assert sql.is_read_only("(SELECT 1)")
    for statement in ("INSERT INTO t VALUES (1)", "DROP TABLE t", "SYSTEM STOP MERGES", "KILL QUERY WHERE 1"):
        assert not sql.is_read_only(statement)
    assert sql.produces_result("SHOW DATABASES") and not sql.produces_result("CREATE TABLE t (a UInt8)")


def test_external_table_functions_are_found_outside_strings() -> None:
    assert sql.external_table_function("SELECT * FROM file('/etc/passwd', LineAsString)") == "file"
    assert sql.external_table_function("select * from URL ('http://x')") == "URL"
    assert sql.external_table_function("SELECT 'file(x)', profile(1)") is None


def test_engine_messages_become_clickhouse_errors() -> None:
    err = errors.from_engine_message(
        "Streaming insert finish failed: Code: 33. DB::Exception: Cannot read all data. "
        "(CANNOT_READ_ALL_DATA) "
        "(version 26.9.2.1)"
    )
    assert err.code == 33 and err.http_status == 400
    assert err.body().decode().startswith("Code: 33. DB::Exception: Cannot read all data.")
    unknown = errors.from_engine_message(
        "Code: 60. DB::Exception: Unknown table expression identifier 'x'. (UNKNOWN_TABLE)"
    )
    assert unknown.http_status == 404
    assert unknown.body().decode() == (
        "Code: 60. DB::Exception: Unknown table expression identifier 'x'. (UNKNOWN_TABLE) "
        "(version 26.9.2.1)\n"
    )
    assert errors.from_engine_message("Code: 62. DB::Exception: Syntax error").http_status == 400
    assert errors.from_engine_message("weird failure").code == 1001


def test_credentials_from_basic_headers_and_params() -> None:
    basic = "Basic " + base64.b64encode(b"errorhub:pw:with:colons").decode()
    assert extract_credentials({"Authorization": basic}, {}) == Credentials(
        "errorhub", "pw:with:colons", True
    )
    assert extract_credentials({"X-ClickHouse-User": "u", "X-ClickHouse-Key": "k"}, {}) == Credentials(
        "u", "k", True
    )
    assert extract_credentials({}, {"user": "u", "password": "p"}) == Credentials("u", "p", True)
    assert extract_credentials({}, {}) == Credentials("default", "", False)


def test_authenticator_refuses_wrong_unknown_and_missing() -> None:
    auth = Authenticator([Account("rw", "secret", False), Account("ro", "other", True)])
    assert auth.authenticate(Credentials("ro", "other", True)).readonly
    for creds, status in [
        (Credentials("rw", "nope", True), 403),
        (Credentials("ghost", "secret", True), 403),
        (Credentials("default", "", False), 401),
    ]:
        with pytest.raises(ClickHouseError) as info:
            auth.authenticate(creds)
        assert (info.value.code, info.value.http_status) == (516, status)


def test_read_ahead_keeps_order_and_raises_reader_errors() -> None:
    from warehouse.http.readahead import ReadAhead

    pieces = [bytes([i]) * 1000 for i in range(50)]
    reader = ReadAhead(iter(pieces), depth=3)
    assert list(reader) == pieces
    reader.close()

    def failing():
        yield b"ok"
        raise errors.bad_request("Malformed chunked request body", 33)

    reader = ReadAhead(failing())
    with pytest.raises(ClickHouseError) as info:
        list(reader)
    assert info.value.code == 33
    reader.close()


def test_read_ahead_close_stops_the_reader_early() -> None:
    from warehouse.http.readahead import ReadAhead

    consumed = []

    def endless():
        for i in range(10_000):
            consumed.append(i)
            yield b"x"

    reader = ReadAhead(endless(), depth=2)
    next(iter(reader))
    reader.close()
    assert len(consumed) < 10


@pytest.mark.parametrize("encoding", ["lz4", "zstd", "gzip", "deflate"])
def test_streamed_response_is_one_frame_a_single_decompressor_reads(encoding: str) -> None:
    blocks = [b"%d\n" % i * 500 for i in range(30)]
    compressor = compression.StreamCompressor(encoding)
    wire = b"".join(compressor.compress(b) for b in blocks) + compressor.flush()
    if encoding == "lz4":
        decoded = lz4.frame.LZ4FrameDecompressor().decompress(wire)
    elif encoding == "zstd":
        decoded = zstandard.ZstdDecompressor().decompressobj().decompress(wire)
    else:
        decoded = zlib.decompressobj(wbits=31 if encoding == "gzip" else 15).decompress(wire)
    assert decoded == b"".join(blocks)


def test_command_line_takes_passwords_that_start_with_a_dash() -> None:
    from warehouse.server import parse_args

    args = parse_args(["--password=-x-secret", "--readonly-password=--y", "--port=9"])
    assert (args.password, args.readonly_password, args.port) == ("-x-secret", "--y", 9)
