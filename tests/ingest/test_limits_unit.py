"""Keys, rate limits and body decoding, without a server."""

from __future__ import annotations

import gzip
import zlib

import pytest

from ingest.auth import AuthError, TokenBucket, authenticate, key_from_request, parse_sentry_auth
from ingest.body import BodyError, decompress
from ingest.config import Project

KEYS = {"secret": Project(7, "default")}


def test_sentry_auth_header_is_parsed():
    header = "Sentry sentry_version=7, sentry_client=sentry.python/2.75.0, sentry_key=abc"
    assert parse_sentry_auth(header)["sentry_key"] == "abc"
    assert key_from_request({"x-sentry-auth": header}, {}) == "abc"
    assert key_from_request({}, {"sentry_key": "q"}) == "q"
    assert key_from_request({"authorization": "Bearer tok"}, {"sentry_key": "q"}) == "tok"


@pytest.mark.parametrize(
    ("key", "project_id", "status"), [(None, None, 401), ("wrong", None, 401), ("secret", "8", 403)]
)
def test_refusals(key, project_id, status):
    with pytest.raises(AuthError) as refused:
        authenticate(KEYS, key, project_id)
    assert refused.value.status == status


def test_a_key_maps_to_its_project():
    assert authenticate(KEYS, "secret", "7") == Project(7, "default")
    assert authenticate(KEYS, "secret", None).name == "default"


def test_token_bucket_refuses_beyond_burst_and_says_how_long_to_wait():
    bucket = TokenBucket(rate=1.0, burst=3)
    assert [bucket.take(1) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = bucket.take(2)
    assert 1.0 < wait <= 2.0


def test_gzip_and_both_deflate_flavours_decode():
    body = b'{"message":"x"}' * 100
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert decompress(gzip.compress(body), "gzip", 10_000) == body
    assert decompress(zlib.compress(body), "deflate", 10_000) == body
    assert decompress(raw_deflate.compress(body) + raw_deflate.flush(), "deflate", 10_000) == body


def test_decompression_bomb_is_refused_with_413():
    with pytest.raises(BodyError) as refused:
        decompress(gzip.compress(b"0" * 1_000_000), "gzip", 10_000)
    assert refused.value.status == 413


def test_corrupt_or_unknown_encoding_is_refused():
    with pytest.raises(BodyError) as corrupt:
        decompress(b"not gzip", "gzip", 1000)
    with pytest.raises(BodyError) as unknown:
        decompress(b"x", "compress", 1000)
    assert (corrupt.value.status, unknown.value.status) == (400, 415)
