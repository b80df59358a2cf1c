"""The HTTP interface as curl or any HTTP client sees it: ping, GET/POST, headers,
authentication forms, response compression, chunked and malformed bodies."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import socket
import zlib
from urllib.parse import urlencode

import lz4.frame
import pytest
import zstandard

pytestmark = pytest.mark.integration


def request(wh, method="POST", params=None, body=None, headers=None, auth=True, path="/"):
    headers = dict(headers or {})
    if auth:
        token = base64.b64encode(f"{wh.user}:{wh.password}".encode()).decode()
        headers.setdefault("Authorization", f"Basic {token}")
    url = path + ("?" + urlencode(params) if params else "")
    conn = http.client.HTTPConnection(wh.host, wh.port, timeout=60)
    try:
        conn.request(method, url, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


@pytest.mark.parametrize(("method", "path"), [("GET", "/ping"), ("HEAD", "/ping"), ("GET", "/")])
def test_ping_needs_no_auth(warehouse, method, path) -> None:
    status, _, body = request(warehouse, method, path=path, auth=False)
    assert (status, body) == (200, b"Ok.\n" if method == "GET" else b"")


def test_health_reports_counters(warehouse) -> None:
    status, _, body = request(warehouse, "GET", path="/health", auth=False)
    health = json.loads(body)
    assert status == 200 and health["status"] == "ok" and health["rss_mb"] > 0


def test_get_query_and_clickhouse_headers(warehouse) -> None:
    status, headers, body = request(
        warehouse,
        "GET",
        {"query": "SELECT 1 AS x FORMAT JSONEachRow", "query_id": "q-42", "wait_end_of_query": "1"},
    )
    assert status == 200 and body == b'{"x":1}\n'
    assert headers["X-ClickHouse-Format"] == "JSONEachRow"
    assert headers["X-ClickHouse-Query-Id"] == "q-42"
    assert headers["X-ClickHouse-Timezone"]
    assert headers["Content-Type"].startswith("application/json")
    summary = json.loads(headers["X-ClickHouse-Summary"])
    assert summary["read_rows"] == "1" and "elapsed_ns" in summary


def test_post_body_is_the_query_and_default_format_applies(warehouse) -> None:
    status, headers, body = request(warehouse, body=b"SELECT 1, 'a'", params={"default_format": "CSV"})
    assert (status, body, headers["X-ClickHouse-Format"]) == (200, b'1,"a"\n', "CSV")
    status, headers, body = request(warehouse, body=b"SELECT number FROM numbers(3)")
    assert (status, body, headers["X-ClickHouse-Format"]) == (200, b"0\n1\n2\n", "TabSeparated")


def test_query_param_and_body_data_concatenate_for_inserts(warehouse, warehouse_db) -> None:
    t = f"{warehouse_db}.c"
    assert (
        request(warehouse, body=f"CREATE TABLE {t} (a UInt32, s String) ENGINE = MergeTree ORDER BY a")[0]
        == 200
    )
    assert request(warehouse, params={"query": f"INSERT INTO {t} FORMAT TSV"}, body=b"1\tx\n2\ty\n")[0] == 200
    assert request(warehouse, params={"query": f"INSERT INTO {t} VALUES"}, body=b"(3, 'z')")[0] == 200
    status, _, body = request(warehouse, body=f"SELECT count(), sum(a) FROM {t}")
    assert (status, body) == (200, b"3\t6\n")


def test_chunked_transfer_insert(warehouse, warehouse_db) -> None:
    t = f"{warehouse_db}.ch"
    request(warehouse, body=f"CREATE TABLE {t} (a UInt32) ENGINE = MergeTree ORDER BY a")
    lines = (f"{i}\n".encode() for i in range(100_000))  # no length: http.client sends it chunked
    status, headers, _ = request(warehouse, params={"query": f"INSERT INTO {t} FORMAT TSV"}, body=lines)
    assert status == 200 and json.loads(headers["X-ClickHouse-Summary"])["written_rows"] == "100000"
    assert request(warehouse, body=f"SELECT count(), sum(a) FROM {t}")[2] == b"100000\t4999950000\n"


@pytest.mark.parametrize(
    ("encoding", "decode"),
    [
        ("gzip", gzip.decompress),
        ("deflate", zlib.decompress),
        ("zstd", lambda b: zstandard.ZstdDecompressor().decompressobj().decompress(b)),
        ("lz4", lz4.frame.decompress),
    ],
)
def test_response_compression(warehouse, encoding, decode) -> None:
    q = "SELECT number FROM numbers(10000)"
    status, headers, body = request(
        warehouse, params={"enable_http_compression": "1"}, body=q, headers={"Accept-Encoding": encoding}
    )
    assert status == 200 and headers["Content-Encoding"] == encoding
    assert decode(body) == b"".join(b"%d\n" % i for i in range(10000))
    _, headers, plain = request(warehouse, body=q, headers={"Accept-Encoding": encoding})
    assert "Content-Encoding" not in headers and plain.startswith(b"0\n1\n")


def test_compressed_request_body(warehouse) -> None:
    status, _, body = request(
        warehouse, body=gzip.compress(b"SELECT 40 + 2"), headers={"Content-Encoding": "gzip"}
    )
    assert (status, body) == (200, b"42\n")


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Content-Encoding": "lz4"}, b"definitely not an lz4 frame"),
        ({"Content-Encoding": "zstd"}, zstandard.ZstdCompressor().compress(b"SELECT 1" * 100)[:-5]),
        ({"Content-Encoding": "br-unknown"}, b"SELECT 1"),
    ],
)
def test_malformed_bodies_are_client_errors(warehouse, headers, body) -> None:
    status, resp_headers, text = request(warehouse, body=body, headers=headers)
    assert 400 <= status < 500
    assert text.startswith(b"Code: ") and resp_headers["X-ClickHouse-Exception-Code"]


def test_malformed_native_insert_body_is_400_and_nothing_written(warehouse, warehouse_db) -> None:
    t = f"{warehouse_db}.m"
    request(warehouse, body=f"CREATE TABLE {t} (a UInt32) ENGINE = MergeTree ORDER BY a")
    status, headers, text = request(
        warehouse, params={"query": f"INSERT INTO {t} FORMAT Native"}, body=b"\x01\x05garbage"
    )
    assert status == 400 and headers["X-ClickHouse-Exception-Code"] == "33"
    assert request(warehouse, body=f"SELECT count() FROM {t}")[2] == b"0\n"


def test_truncated_chunked_body_gets_an_error_or_a_closed_connection(warehouse, warehouse_db) -> None:
    t = f"{warehouse_db}.tc"
    request(warehouse, body=f"CREATE TABLE {t} (a UInt32) ENGINE = MergeTree ORDER BY a")
    raw = (
        f"POST /?query={f'INSERT INTO {t} FORMAT TSV'.replace(' ', '%20')} HTTP/1.1\r\nHost: x\r\n"
        f"X-ClickHouse-User: {warehouse.user}\r\nX-ClickHouse-Key: {warehouse.password}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n4\r\n1\n2\n\r\nZZ\r\n"
    ).encode()
    with socket.create_connection((warehouse.host, warehouse.port), timeout=30) as s:
        s.sendall(raw)
        reply = b""
        while chunk := s.recv(65536):  # the server answers, then closes: the framing is lost
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 400") and b"Malformed chunked request body" in reply
    assert b"Connection: close" in reply
    assert request(warehouse, body=f"SELECT count() FROM {t}")[2] == b"0\n"


def test_errors_look_like_clickhouse(warehouse) -> None:
    status, headers, body = request(warehouse, body=b"SELECT * FROM system.no_such_table")
    assert status == 404 and headers["X-ClickHouse-Exception-Code"] == "60"
    assert body.startswith(b"Code: 60. DB::Exception: ") and body.rstrip().endswith(b")")
    status, headers, body = request(warehouse, body=b"SELEC 1")
    assert status == 400 and headers["X-ClickHouse-Exception-Code"] == "62"
    status, headers, _ = request(warehouse, body=b"   ")
    assert status == 400


def test_get_implies_readonly(warehouse, warehouse_db) -> None:
    status, headers, body = request(
        warehouse, "GET", {"query": f"CREATE TABLE {warehouse_db}.g (a UInt8) ENGINE = Memory"}
    )
    assert (
        status == 500
        and headers["X-ClickHouse-Exception-Code"] == "164"
        and b"method GET implies readonly" in body
    )


def test_unknown_path_is_404(warehouse) -> None:
    assert request(warehouse, "GET", path="/nope")[0] == 404


@pytest.mark.parametrize(
    "creds",
    [
        lambda wh: ({}, {"user": wh.user, "password": wh.password}),
        lambda wh: ({"X-ClickHouse-User": wh.user, "X-ClickHouse-Key": wh.password}, {}),
        lambda wh: (
            {"Authorization": "Basic " + base64.b64encode(f"{wh.user}:{wh.password}".encode()).decode()},
            {},
        ),
    ],
)
def test_every_credential_form_is_accepted(warehouse, creds) -> None:
    headers, params = creds(warehouse)
    status, _, body = request(
        warehouse, params={**params, "query": "SELECT currentDatabase()"}, headers=headers, auth=False
    )
    assert (status, body) == (200, b"default\n")


@pytest.mark.parametrize(
    ("headers", "params", "status"),
    [
        ({}, {}, 401),
        ({"X-ClickHouse-User": "errorhub", "X-ClickHouse-Key": "wrong"}, {}, 403),
        ({}, {"user": "nobody", "password": "x"}, 403),
        ({"Authorization": "Basic " + base64.b64encode(b"errorhub:").decode()}, {}, 403),
    ],
)
def test_refused_without_valid_credentials(warehouse, headers, params, status) -> None:
    got, resp_headers, body = request(
        warehouse, params={**params, "query": "SELECT 1"}, headers=headers, auth=False
    )
    assert got == status and resp_headers["X-ClickHouse-Exception-Code"] == "516"
    assert body.startswith(b"Code: 516. DB::Exception:") and b"AUTHENTICATION_FAILED" in body


def test_empty_and_inline_insert_data(warehouse, warehouse_db) -> None:
    t = f"{warehouse_db}.e"
    request(warehouse, body=f"CREATE TABLE {t} (a UInt32) ENGINE = MergeTree ORDER BY a")
    status, headers, _ = request(warehouse, params={"query": f"INSERT INTO {t} FORMAT Native"}, body=b"")
    assert status == 200 and json.loads(headers["X-ClickHouse-Summary"])["written_rows"] == "0"
    status, _, _ = request(warehouse, params={"query": f'INSERT INTO {t} FORMAT JSONEachRow {{"a": 5}}'})
    assert status == 200
    assert request(warehouse, body=f"INSERT INTO {t} SELECT number FROM numbers(3)")[0] == 200
    assert request(warehouse, body=f"SELECT count(), sum(a) FROM {t}")[2] == b"4\t8\n"


def test_session_errors(warehouse) -> None:
    params = {"session_id": "never-created", "session_check": "1", "query": "SELECT 1"}
    status, headers, _ = request(warehouse, params=params)
    assert status == 500 and headers["X-ClickHouse-Exception-Code"] == "372"
    status, headers, _ = request(warehouse, params={"session_timeout": "99999", "query": "SELECT 1"})
    assert status == 400 and headers["X-ClickHouse-Exception-Code"] == "36"


@pytest.mark.parametrize("body", [b"SELECT '\xff\xfe'", b"INSERT INTO t_\xff FORMAT TSV\n1\n"])
def test_query_that_is_not_utf8_is_a_400(warehouse, body) -> None:
    status, headers, text = request(warehouse, body=body)
    assert status == 400 and b"not valid UTF-8" in text and headers["X-ClickHouse-Exception-Code"] == "36"


def test_results_stream_unless_wait_end_of_query(warehouse) -> None:
    q = "SELECT number FROM numbers(200000) SETTINGS max_block_size = 1000"
    status, headers, body = request(warehouse, body=q)
    assert status == 200 and headers.get("Transfer-Encoding") == "chunked"
    assert body == b"".join(b"%d\n" % i for i in range(200000))
    status, headers, buffered = request(warehouse, body=q, params={"wait_end_of_query": "1"})
    assert "Transfer-Encoding" not in headers and buffered == body
    status, headers, packed = request(
        warehouse, body=q, params={"enable_http_compression": "1"}, headers={"Accept-Encoding": "zstd"}
    )
    assert headers["Content-Encoding"] == "zstd"
    assert zstandard.ZstdDecompressor().decompressobj().decompress(packed) == body
