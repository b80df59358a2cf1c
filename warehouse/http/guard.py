"""Which statements an account (or a GET request) may run.

The read-only account's handles also run with the engine setting `readonly = 2`, which
the engine enforces for writes, DDL and changing `readonly`; this check adds what chDB
does not enforce for its built-in user: SYSTEM/KILL statements, INSERT INTO FUNCTION
and table functions that reach files, the network or programs."""

from __future__ import annotations

from warehouse.http.auth import Account
from warehouse.http.errors import ClickHouseError, readonly_refused
from warehouse.http.sql import external_table_function, is_read_only

GET_IS_READONLY = (
    ". For queries over HTTP, method GET implies readonly. You should use method POST for modifying queries"
)


def check_statement(sql: str, account: Account, method: str) -> None:
    if account.readonly:
        if not is_read_only(sql):
            raise readonly_refused(account.user)
        function = external_table_function(sql)
        if function:
            raise ClickHouseError(
                497,
                f"{account.user}: Not enough privileges. To execute this query, "
                f"it's necessary to have the grant READ ON {function.upper()}",
            )
    if method == "GET" and not is_read_only(sql):
        raise readonly_refused(account.user, GET_IS_READONLY)
