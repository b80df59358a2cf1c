"""Content-Type of each output format, as ClickHouse sends it."""

from __future__ import annotations

_TEXT = "text/plain; charset=UTF-8"
_BINARY = "application/octet-stream"
_JSON = "application/json; charset=UTF-8"

_EXACT = {
    "tabseparated": "text/tab-separated-values; charset=UTF-8",
    "tsv": "text/tab-separated-values; charset=UTF-8",
    "csv": "text/csv; charset=UTF-8; header=absent",
    "csvwithnames": "text/csv; charset=UTF-8; header=present",
    "csvwithnamesandtypes": "text/csv; charset=UTF-8; header=present",
    "xml": "application/xml; charset=UTF-8",
    "markdown": "text/markdown; charset=UTF-8",
    "md": "text/markdown; charset=UTF-8",
}
_BINARY_PREFIXES = (
    "native",
    "rowbinary",
    "arrow",
    "parquet",
    "orc",
    "avro",
    "protobuf",
    "capnproto",
    "msgpack",
    "npy",
    "bson",
)


def content_type(fmt: str) -> str:
    low = fmt.lower()
    if low in _EXACT:
        return _EXACT[low]
    if low.startswith("tabseparated") or low.startswith("tsv"):
        return "text/tab-separated-values; charset=UTF-8"
    if low.startswith("json") or low.startswith("ndjson"):
        return _JSON
    if low.startswith(_BINARY_PREFIXES):
        return _BINARY
    return _TEXT
