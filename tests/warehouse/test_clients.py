"""clickhouse-connect against the real warehouse service: types, compression, formats,
parameters, sessions, errors."""

from __future__ import annotations

import datetime as dt
import decimal
import gzip
import io
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

pytestmark = pytest.mark.integration

ROWS = 2000


def _rows(n: int = ROWS) -> list[list]:
    base = dt.datetime(2026, 11, 25, 12, 0, 0)
    return [
        [
            i,
            None if i % 3 == 0 else f"msg {i}",
            ["python", "node", "java"][i % 3],
            [i, -i],
            {"k": i % 7},
            base + dt.timedelta(milliseconds=1001 * i),
            uuid.UUID(int=i + 1),
            {"user": {"id": i}, "tags": ["a", "b"]},
            decimal.Decimal(i) / 100,
        ]
        for i in range(n)
    ]


COLUMNS = ["id", "message", "project", "nums", "attrs", "ts", "event_id", "payload", "amount"]
DDL = """CREATE TABLE {db}.{table} (
    id UInt32, message Nullable(String), project LowCardinality(String), nums Array(Int64),
    attrs Map(String, UInt8), ts DateTime64(3), event_id UUID, payload JSON, amount Decimal(12, 2)
) ENGINE = MergeTree ORDER BY id"""


@pytest.fixture
def table(warehouse, warehouse_db):
    client = warehouse.client()
    client.command(DDL.format(db=warehouse_db, table="events"))
    yield f"{warehouse_db}.events"
    client.close()


@pytest.mark.parametrize("compress", ["lz4", "zstd", "gzip", False])
def test_insert_then_read_back_every_type(warehouse, table, compress) -> None:
    client = warehouse.client(compress=compress)
    rows = _rows()
    summary = client.insert(table, rows, column_names=COLUMNS)
    assert summary.written_rows == ROWS
    back = client.query(f"SELECT {', '.join(COLUMNS)} FROM {table} ORDER BY id").result_rows
    assert len(back) == ROWS
    for got, want in zip(back[:50], rows[:50], strict=True):
        assert list(got[:7]) == want[:7]
        assert got[7]["user"]["id"] == want[7]["user"]["id"] and got[7]["tags"] == ["a", "b"]
        assert got[8] == want[8]
    check = client.query(
        f"SELECT count(), sum(id), countIf(message IS NULL), uniqExact(event_id) FROM {table}"
    )
    assert check.result_rows == [(ROWS, ROWS * (ROWS - 1) // 2, len(range(0, ROWS, 3)), ROWS)]


def test_query_df_and_arrow(warehouse, table) -> None:
    client = warehouse.client()
    client.insert(table, _rows(100), column_names=COLUMNS)
    df = client.query_df(f"SELECT id, message, project, nums, ts, event_id FROM {table} ORDER BY id")
    assert len(df) == 100 and df["message"].isna().sum() == 34
    assert list(df["nums"][5]) == [5, -5] and df["project"][4] == "node"
    assert df["ts"][1] == dt.datetime(2026, 11, 25, 12, 0, 1, 1000)
    arrow = client.query_arrow(f"SELECT id, project, ts FROM {table} ORDER BY id")
    assert isinstance(arrow, pa.Table) and arrow.num_rows == 100
    assert arrow.column("id").to_pylist() == list(range(100))


def test_insert_df_and_arrow(warehouse, warehouse_db) -> None:
    client = warehouse.client()
    client.command(f"CREATE TABLE {warehouse_db}.t (a UInt32, b String) ENGINE = MergeTree ORDER BY a")
    client.insert_arrow(f"{warehouse_db}.t", pa.table({"a": pa.array([1, 2], pa.uint32()), "b": ["x", "y"]}))
    df = client.query_df(f"SELECT * FROM {warehouse_db}.t ORDER BY a")
    client.insert_df(f"{warehouse_db}.t", df.assign(a=df["a"] + 10))
    assert client.query(f"SELECT sum(a), groupArray(b) FROM {warehouse_db}.t").result_rows[0][0] == 26


def test_server_side_parameters(warehouse) -> None:
    client = warehouse.client()
    result = client.query(
        "SELECT {n:UInt32} * 2, {s:String}, {d:DateTime}, {arr:Array(String)}",
        parameters={
            "n": 21,
            "s": "tab\there 'quoted'",
            "d": dt.datetime(2026, 1, 2, 3, 4, 5),
            "arr": ["x", "y"],
        },
    )
    assert result.result_rows == [(42, "tab\there 'quoted'", dt.datetime(2026, 1, 2, 3, 4, 5), ["x", "y"])]
    big = "x" * 10_000  # clickhouse-connect moves large parameters into a multipart form
    assert client.query("SELECT length({s:String})", parameters={"s": big}).result_rows == [(10_000,)]


def test_sessions_keep_temporary_tables_and_settings(warehouse) -> None:
    client = warehouse.client(session_id=f"s-{uuid.uuid4()}")
    client.command("CREATE TEMPORARY TABLE tmp (a UInt8)")
    client.command("INSERT INTO tmp VALUES (1), (2), (3)")
    client.command("SET max_threads = 3")
    assert client.query("SELECT sum(a), getSetting('max_threads') FROM tmp").result_rows == [(6, 3)]
    other = warehouse.client(session_id=f"s-{uuid.uuid4()}")
    with pytest.raises(DatabaseError) as info:
        other.query("SELECT * FROM tmp")
    assert info.value.code == 60


@pytest.mark.parametrize("in_session", [False, True])
def test_url_settings_and_database_apply_to_one_request(warehouse, warehouse_db, in_session) -> None:
    client = warehouse.client(autogenerate_session_id=in_session)
    default = client.query("SELECT getSetting('max_threads')").result_rows
    assert client.query("SELECT getSetting('max_threads')", settings={"max_threads": 1}).result_rows == [(1,)]
    assert client.query("SELECT getSetting('max_threads')").result_rows == default != [(1,)]
    if in_session:  # what the session SETs itself persists; URL settings don't override it for good
        client.command("SET max_threads = 2")
        assert client.query("SELECT getSetting('max_threads')", settings={"max_threads": 1}).result_rows == [
            (1,)
        ]
        assert client.query("SELECT getSetting('max_threads')").result_rows == [(2,)]
    client.database = warehouse_db
    assert client.query("SELECT currentDatabase()").result_rows == [(warehouse_db,)]
    client.database = None
    assert client.query("SELECT currentDatabase()").result_rows == [("default",)]


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("SELECT * FROM no_such_table_here", 60),
        ("SELEC 1", 62),
        ("SELECT no_such_function(1)", 46),
        ("SELECT * FROM no_such_db.t", 81),
        ("SELECT throwIf(1)", 395),
    ],
)
def test_errors_carry_clickhouse_codes(warehouse, sql, code) -> None:
    client = warehouse.client()
    with pytest.raises(DatabaseError) as info:
        client.query(sql)
    assert info.value.code == code
    assert f"Code: {code}. DB::Exception:" in str(info.value)
    assert client.query("SELECT 1").result_rows == [(1,)]  # the connection still works


def test_insert_into_unknown_table_fails_cleanly(warehouse, warehouse_db) -> None:
    client = warehouse.client()
    with pytest.raises(DatabaseError) as info:
        client.insert(f"{warehouse_db}.nope", [[1]], column_names=["a"], column_type_names=["UInt8"])
    assert info.value.code == 60


def test_raw_formats(warehouse, table) -> None:
    client = warehouse.client()
    client.insert(table, _rows(10), column_names=COLUMNS)
    q = f"SELECT id, project FROM {table} ORDER BY id LIMIT 3"
    assert client.raw_query(q, fmt="TabSeparated") == b"0\tpython\n1\tnode\n2\tjava\n"
    assert client.raw_query(q, fmt="JSONEachRow").splitlines()[0] == b'{"id":0,"project":"python"}'
    assert client.raw_query(q, fmt="CSVWithNames").splitlines()[0] == b'"id","project"'
    rbwnat = client.raw_query(q, fmt="RowBinaryWithNamesAndTypes")
    assert rbwnat.startswith(b"\x02\x02id\x07project\x06UInt32")
    parquet = client.raw_query(q, fmt="Parquet")
    assert pq.read_table(io.BytesIO(parquet)).column("id").to_pylist() == [0, 1, 2]


def test_raw_insert_text_formats(warehouse, warehouse_db) -> None:
    client = warehouse.client()
    client.command(f"CREATE TABLE {warehouse_db}.r (a UInt32, b String) ENGINE = MergeTree ORDER BY a")
    client.raw_insert(f"{warehouse_db}.r", ["a", "b"], "1\tone\n2\ttwo\n", fmt="TabSeparated")
    client.raw_insert(f"{warehouse_db}.r", ["a", "b"], b'{"a":3,"b":"three"}\n', fmt="JSONEachRow")
    # raw_insert sends a pre-compressed block as is, with Content-Encoding
    client.raw_insert(
        f"{warehouse_db}.r", ["a", "b"], gzip.compress(b"4,four\n"), fmt="CSV", compression="gzip"
    )
    assert client.query(f"SELECT count(), sum(a) FROM {warehouse_db}.r").result_rows == [(4, 10)]


@pytest.mark.parametrize("compress", ["lz4", "zstd", "gzip", False])
def test_streamed_results_arrive_whole(warehouse, compress) -> None:
    client = warehouse.client(compress=compress)
    total, rows = 0, 0
    with client.query_row_block_stream(
        "SELECT number, toString(number) FROM numbers(300000)", settings={"max_block_size": 10000}
    ) as stream:
        for block in stream:
            rows += len(block)
            total += sum(r[0] for r in block)
    assert (rows, total) == (300000, 300000 * 299999 // 2)
    sql = "SELECT number FROM numbers(100000)"
    with client.query_df_stream(sql, settings={"max_block_size": 7000}) as frames:
        assert sum(len(f) for f in frames) == 100000


def test_an_error_in_the_middle_of_a_stream_is_an_error(warehouse) -> None:
    client = warehouse.client()
    sql = "SELECT throwIf(number = 250000, 'boom') FROM numbers(400000)"
    with (
        pytest.raises(Exception, match="boom|Code: 395"),
        client.query_row_block_stream(sql, settings={"max_block_size": 1000}) as stream,
    ):
        for _ in stream:
            pass
    assert client.query("SELECT 1").result_rows == [(1,)]
