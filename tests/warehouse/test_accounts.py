"""The read-only account reads everything and writes nothing."""

from __future__ import annotations

import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

pytestmark = pytest.mark.integration


@pytest.fixture
def seeded(warehouse, warehouse_db):
    rw = warehouse.client()
    rw.command(f"CREATE TABLE {warehouse_db}.t (a UInt32) ENGINE = MergeTree ORDER BY a")
    rw.insert(f"{warehouse_db}.t", [[1], [2]], column_names=["a"])
    return f"{warehouse_db}.t"


def test_readonly_account_can_select(warehouse, seeded) -> None:
    ro = warehouse.client(readonly=True)
    assert ro.query(f"SELECT sum(a) FROM {seeded}").result_rows == [(3,)]
    assert ro.query("SELECT count() FROM system.tables WHERE name = 't'").result_rows[0][0] >= 1
    assert ro.query("SELECT getSetting('max_threads')", settings={"max_threads": 1}).result_rows == [(1,)]


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO {t} VALUES (9)",
        "CREATE TABLE {t}_new (a UInt8) ENGINE = Memory",
        "DROP TABLE {t}",
        "ALTER TABLE {t} DELETE WHERE 1",
        "TRUNCATE TABLE {t}",
        "OPTIMIZE TABLE {t}",
        "RENAME TABLE {t} TO {t}_renamed",
        "SET readonly = 0",
        "SYSTEM STOP MERGES",
        "INSERT INTO FUNCTION file('/tmp/errorhub_ro_escape.csv') SELECT 1",
        "SELECT * FROM file('/etc/hostname', LineAsString)",
    ],
)
def test_readonly_account_is_refused_writes(warehouse, seeded, statement) -> None:
    ro = warehouse.client(readonly=True)
    with pytest.raises(DatabaseError) as info:
        ro.command(statement.format(t=seeded))
    assert info.value.code in (164, 497)
    assert f"Code: {info.value.code}. DB::Exception:" in str(info.value)
    rw = warehouse.client()
    assert rw.query(f"SELECT sum(a) FROM {seeded}").result_rows == [(3,)]


def test_readonly_account_cannot_insert_through_the_client(warehouse, seeded) -> None:
    ro = warehouse.client(readonly=True)
    with pytest.raises(DatabaseError) as info:
        ro.insert(seeded, [[7]], column_names=["a"])
    assert info.value.code == 164
    assert warehouse.client().query(f"SELECT count() FROM {seeded}").result_rows == [(2,)]


def test_readonly_password_does_not_open_the_writer(warehouse) -> None:
    import clickhouse_connect

    with pytest.raises(DatabaseError) as info:
        clickhouse_connect.get_client(
            host=warehouse.host,
            port=warehouse.port,
            username=warehouse.user,
            password=warehouse.readonly_password,
        )
    assert info.value.code == 516
