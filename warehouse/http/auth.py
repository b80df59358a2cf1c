"""Credentials as ClickHouse's HTTP interface accepts them, and the two accounts."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from warehouse.http.errors import ClickHouseError, authentication_failed


@dataclass(frozen=True)
class Account:
    user: str
    password: str
    readonly: bool


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str
    given: bool  # False when the request carried no credentials at all


def extract_credentials(headers: Mapping[str, str], params: Mapping[str, str]) -> Credentials:
    """HTTP Basic, X-ClickHouse-User/Key headers, or user/password URL parameters."""
    auth = headers.get("Authorization", "")
    if auth.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(auth[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as ex:
            raise ClickHouseError(516, "Invalid Basic authorization header", 403) from ex
        user, _, password = decoded.partition(":")
        return Credentials(user or "default", password, True)
    header_user = headers.get("X-ClickHouse-User")
    header_key = headers.get("X-ClickHouse-Key")
    if header_user is not None or header_key is not None:
        return Credentials(header_user or "default", header_key or "", True)
    if "user" in params or "password" in params:
        return Credentials(params.get("user") or "default", params.get("password", ""), True)
    return Credentials("default", "", False)


class Authenticator:
    def __init__(self, accounts: list[Account]):
        if len({a.user for a in accounts}) != len(accounts):
            raise ValueError("warehouse accounts must have distinct user names")
        self._accounts = {a.user: a for a in accounts}

    def authenticate(self, creds: Credentials) -> Account:
        account = self._accounts.get(creds.user)
        expected = account.password if account else ""
        # Compare even for unknown users so timing does not reveal user names.
        ok = hmac.compare_digest(creds.password.encode(), expected.encode())
        if account is None or not ok or not account.password:
            err = authentication_failed(creds.user)
            if not creds.given:
                err.http_status = 401
            raise err
        return account
