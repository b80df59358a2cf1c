"""Test events: a few distinct error shapes with personal data and varying values."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

SHAPES = {
    "keyerror": lambda i: {
        "language": "python",
        "error_type": "KeyError",
        "message": (f"KeyError: 'user_{i}' not found in cache for alice{i}@corp.example at 10.1.{i % 250}.7"),
        "stack_trace": (
            "Traceback (most recent call last):\n"
            f'  File "/srv/app/cache.py", line {40 + i % 5}, in get\n'
            "    return self.store[key]\n"
            f"KeyError: 'user_{i}'"
        ),
    },
    "timeout": lambda i: {
        "language": "javascript",
        "error_type": "TimeoutError",
        "message": (
            f"Request to https://api.partner.example/v2/orders/{1000 + i} timed out after {3000 + i} ms"
        ),
        "stack_trace": (
            f"TimeoutError: Request timed out after {3000 + i} ms\n"
            "    at fetchOrder (/srv/web/orders.js:88:13)\n"
            "    at async handler (/srv/web/routes.js:21:5)"
        ),
    },
    "npe": lambda i: {
        "language": "java",
        "error_type": "java.lang.NullPointerException",
        "message": (
            f'Cannot invoke "Invoice.total()" because "invoice" is null '
            f"(tenant {i}, phone +1 415 555 {1000 + i % 9000})"
        ),
        "stack_trace": (
            'java.lang.NullPointerException: Cannot invoke "Invoice.total()"\n'
            "\tat com.shop.billing.InvoiceService.sum(InvoiceService.java:57)\n"
            "\tat com.shop.billing.BillingJob.run(BillingJob.java:31)"
        ),
    },
}

PII_MARKERS = ("@corp.example", "10.1.", "+1 415 555")


def make_event(i: int, shape: str, execution_id: str = "", base: datetime | None = None) -> dict:
    base = base or datetime.now(UTC)
    event = {
        "event_id": str(uuid.uuid4()),
        "timestamp": (base + timedelta(milliseconds=i)).isoformat(),
        "project": "default",
        "execution_id": execution_id or f"run-{i % 17}",
        "user_id": f"user-{i % 11}",
        **SHAPES[shape](i),
    }
    return event


def make_events(n: int, shapes=tuple(SHAPES)) -> list[dict]:
    base = datetime.now(UTC)
    return [make_event(i, shapes[i % len(shapes)], base=base) for i in range(n)]


def make_execution(execution_id: str, status: str = "error") -> dict:
    return {
        "execution_id": execution_id,
        "status": status,
        "duration_ms": 1234,
        "exit_code": 1,
        "record_id": str(uuid.uuid4()),
        "timestamp": datetime.now(UTC).isoformat(),
        "language": "python",
    }


POISON = [
    (b"{this is not json", "invalid JSON"),
    (b"[1, 2, 3]", "not a JSON object"),
    (json.dumps({"event_id": str(uuid.uuid4()), "message": ""}).encode(), "invalid event"),
    (json.dumps({"message": "x", "level": "catastrophic"}).encode(), "invalid event"),
    (b"", "empty message"),
    (None, "empty message"),  # a tombstone (null value) must not fail the job
]
