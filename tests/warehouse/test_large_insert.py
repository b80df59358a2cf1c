"""A 1,000,000-row insert reads back 1,000,000 rows with equal checksums."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

N = 1_000_000


@pytest.mark.parametrize("compress", ["lz4", "zstd"])
def test_million_row_insert_checksums(warehouse, warehouse_db, compress) -> None:
    table = f"{warehouse_db}.big"
    client = warehouse.client(compress=compress, send_receive_timeout=600)
    client.command(f"CREATE TABLE {table} (id UInt64, v Float64, msg String) ENGINE = MergeTree ORDER BY id")
    ids = np.arange(N, dtype=np.uint64)
    values = np.random.default_rng(7).random(N)
    messages = [
        f"error {i}: connection refused by upstream service #{i % 977} " + "x" * (i % 120) for i in range(N)
    ]
    summary = client.insert(
        table, [ids, values, messages], column_names=["id", "v", "msg"], column_oriented=True
    )
    assert summary.written_rows == N
    row = client.query(
        f"SELECT count(), sum(id), uniqExact(id), sum(CRC32(msg)), sum(length(msg)), sum(v) FROM {table}"
    ).result_rows[0]
    expected_crc = sum(zlib.crc32(m.encode()) for m in messages)
    assert row[:5] == (N, int(ids.sum()), N, expected_crc, sum(len(m) for m in messages))
    assert row[5] == pytest.approx(float(values.sum()), rel=1e-9)
