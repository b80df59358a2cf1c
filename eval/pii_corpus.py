"""The labelled PII corpus: (kind, text, value) — `value` must disappear from the masked
text and `<kind placeholder>` appear; kind "none" lines are near-misses that must stay
unchanged. Writes eval/pii_corpus.jsonl:  .venv/bin/python -m eval.pii_corpus"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).with_name("pii_corpus.jsonl")

POSITIVES = [
    ("email", "ValueError: user alice.kim@example.com already exists", "alice.kim@example.com"),
    ("email", "sent to ops+alerts@corp.co.kr failed", "ops+alerts@corp.co.kr"),
    ("email", "SMTP 550 <j.doe@mail.univ.edu>: mailbox unavailable", "j.doe@mail.univ.edu"),
    ("ip", "ConnectionRefusedError: connect to 192.168.10.24:5432 refused", "192.168.10.24"),
    ("ip", "request from 8.8.8.8 blocked", "8.8.8.8"),
    ("ip", "listening on fe80::1ff:fe23:4567:890a", "fe80::1ff:fe23:4567:890a"),
    ("ip", "peer 2001:0db8:85a3:0000:0000:8a2e:0370:7334 reset", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
    ("ip", "bind ::1 port 80 failed", "::1"),
    ("user", 'File "/home/minji/hw3/solve.py", line 4, in <module>', "minji"),
    ("user", "at Object.<anonymous> (/Users/jdoe/proj/index.js:3:9)", "jdoe"),
    ("user", r"FileNotFoundError: C:\Users\Sato\Desktop\data.csv", "Sato"),
    ("secret", "OperationalError: could not connect to postgres://admin:hunter2@db:5432/app", "hunter2"),
    ("user", "OperationalError: could not connect to postgres://admin:hunter2@db:5432/app", "admin:"),
    ("token", "headers: Authorization: Bearer abcDEF123456ghiJKL789mno", "abcDEF123456ghiJKL789mno"),
    ("token", "aws_access_key_id AKIAIOSFODNN7EXAMPLE rejected", "AKIAIOSFODNN7EXAMPLE"),
    (
        "token",
        "gcp key AIzaSyA1234567890abcdefghijklmnopqrstuv invalid",
        "AIzaSyA1234567890abcdefghijklmnopqrstuv",
    ),
    (
        "token",
        "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc123DEF456ghi789JKL012mno345==;",
        "abc123DEF456ghi789JKL012mno345==",
    ),
    (
        "token",
        "git push failed with ghp_0123456789abcdefghijABCDEFGHIJ012345",
        "ghp_0123456789abcdefghijABCDEFGHIJ012345",
    ),
    ("token", "gitlab token glpat-xxxxXXXX1111yyyy2222 expired", "glpat-xxxxXXXX1111yyyy2222"),
    (
        "token",
        "slack: xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    ),
    (
        "token",
        "openai.AuthenticationError: Incorrect API key provided: sk-proj-abcdefghijklmnopqrstuvwxyz012345",
        "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
    ),
    (
        "token",
        "anthropic key sk-ant-api03-abcdefghijklmnopqrstuvwxyz-0123456789 rejected",
        "sk-ant-api03-abcdefghijklmnopqrstuvwxyz-0123456789",
    ),
    (
        "token",
        "jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    ("card", "charge failed for card 4111111111111111", "4111111111111111"),
    ("card", "card 5500 0000 0000 0004 declined", "5500 0000 0000 0004"),
    ("card", "amex 3782-822463-10005 expired", "3782-822463-10005"),
    ("phone", "SMS to +82 10-1234-5678 failed", "+82 10-1234-5678"),
    ("phone", "call 010-9876-5432 now", "010-9876-5432"),
    ("phone", "office 02-123-4567", "02-123-4567"),
    ("phone", "US support +1 415 555 2671", "+1 415 555 2671"),
    ("phone", "contact (415) 555-2671", "(415) 555-2671"),
    ("rrn", "주민등록번호 900101-1234567 invalid", "900101-1234567"),
    ("rrn", "rrn=851231-2345678", "851231-2345678"),
    ("secret", "password=hunter2 login failed", "hunter2"),
    ("secret", "{'api_key': 'abc123secret', 'user': 'x'}", "abc123secret"),
    ("secret", 'DB_PASSWORD: "s3cr3t!" rejected', "s3cr3t!"),
    ("secret", "client_secret=QWERTY987654 expired", "QWERTY987654"),
]

NEAR_MISSES = [
    "Python 3.11.7 numpy 1.26.4 pandas 2.1.4",
    "at 2024-01-15T12:00:01Z took 12.5 s",
    "Segmentation fault at 0x7ffee3c0a8b0",
    'File "main.py", line 42, in process_token',
    "order 1234567890123 not found",
    "id 4111111111111112 not found",
    "KeyError: 'password'",
    "TokenError: unexpected token at line 3",
    "def get_api_key(self): raise NotImplementedError",
    "ImportError: cannot import name 'SecretStr' from 'pydantic'",
    "java.lang.NullPointerException at com.example.UserService.getEmail(UserService.java:17)",
    "timestamp 1514038530000 out of range",
    "version 10.2.0 released 2023-10-02",
    "matrix shape (1024, 768) does not match (768, 512)",
    "IndexError: list index out of range at 12:30:45",
    "sha256 3f786850e387550fdab836ed7e6dc881de23001b mismatch",
    "uuid 123e4567-e89b-12d3-a456-426614174000 unknown",
    "ratio 0.8 below threshold 0.9",
    "port 8080 in use",
    "build 20240115-1203 failed",
]


def main() -> None:
    with OUT.open("w", encoding="utf-8") as f:
        for kind, text, value in POSITIVES:
            f.write(json.dumps({"kind": kind, "text": text, "value": value}, ensure_ascii=False) + "\n")
        for text in NEAR_MISSES:
            f.write(json.dumps({"kind": "none", "text": text}, ensure_ascii=False) + "\n")
    print(f"wrote {len(POSITIVES)} positives and {len(NEAR_MISSES)} near-misses to {OUT}")


if __name__ == "__main__":
    main()
