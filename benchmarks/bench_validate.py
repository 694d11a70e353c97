"""Validations per second: structure only, and structure + semantics on a 400-column schema.

Run: ``python benchmarks/bench_validate.py [--seconds 1.0] [--json]``. The schema
is built here (no dataset needed): the core columns of the telemetry contract
plus a long tail, 400 columns in all, with small domains where the contract
lists them. The specs mix valid queries and typical model mistakes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.schema.columns import ColumnInfo, Schema
from workbench.spec.query import parse_spec
from workbench.spec.validate.layers import check_semantics, check_structure, explain_empty, validate

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
DOMAINS: dict[str, tuple[str, tuple[Any, ...] | None]] = {
    "service.name": ("string", ("frontend", "api-gateway", "auth", "cart", "catalog", "checkout", "payment",
                                "recommendation", "search", "shipping")),
    "span.kind": ("string", ("server", "client", "internal", "producer", "consumer")),
    "http.request.method": ("string", ("GET", "POST", "PUT", "DELETE")),
    "http.route": ("string", ("/api/products", "/api/products/{id}", "/api/search", "/api/recommendations",
                              "/api/cart", "/api/cart/items", "/api/checkout", "/api/payments", "/api/orders/{id}",
                              "/api/login", "/api/shipping/quote", "/healthz")),
    "http.response.status_code": ("integer", (200, 201, 204, 301, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504)),
    "app.platform": ("string", ("android", "ios", "web")),
    "app.user_tier": ("string", ("free", "pro", "enterprise")),
    "cloud.region": ("string", ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1")),
    "error": ("boolean", (False, True)),
    "duration_ms": ("float", None),
    "user.id": ("string", None),
    "name": ("string", None),
    "app.order.total_usd": ("float", None),
    "timestamp": ("timestamp", None),
}  # fmt: skip


def build_schema(width: int = 400) -> Schema:
    columns = [
        ColumnInfo(name, kind, f"{name} column", NOW, len(values) if values else 100_000, values=values)  # type: ignore[arg-type]
        for name, (kind, values) in DOMAINS.items()
    ]
    kinds = ("string", "integer", "float", "boolean")
    for i in range(width - len(columns)):
        stale = i % 17 == 0
        columns.append(
            ColumnInfo(
                f"app.custom.attr_{i:03d}" if i % 3 else f"k8s.label.team_{i:03d}",
                kinds[i % 4],  # type: ignore[arg-type]
                "tail column",
                NOW - timedelta(days=10 if stale else 0),
                distinct_count=5 if i % 5 == 0 else 5000,
                values=("a", "b", "c", "d", "e") if i % 5 == 0 and kinds[i % 4] == "string" else None,
            )
        )
    return Schema(columns=tuple(columns), now=NOW)


SPECS: list[dict[str, Any]] = [
    {"calculations": [{"op": "P99", "column": "duration_ms"}], "filters": [{"column": "app.platform", "op": "=",
     "value": "android"}], "breakdowns": ["http.route"], "orders": [{"op": "P99", "column": "duration_ms",
     "order": "descending"}], "limit": 10, "time_range": 86400},
    {"calculations": [{"op": "COUNT"}], "filters": [{"column": "http.response.status_code", "op": ">=", "value": 500}],
     "breakdowns": ["service.name"], "time_range": 86400, "granularity": 3600},
    {"calculations": [{"op": "p99", "column": "duration"}], "filters": [{"column": "platform", "op": "==",
     "value": "Android"}], "limit": 5000},
    {"calculations": [{"op": "AVG", "column": "duration_ms"}], "filters": [{"column": "app.platform", "op": "=",
     "value": "Android"}, {"column": "error", "op": "=", "value": "true"}], "breakdowns": ["user.id"]},
    {"calculations": [{"op": "COUNT", "name": "errors", "filters": [{"column": "error", "op": "=", "value": True}]},
     {"op": "COUNT", "name": "total"}], "filters": [{"column": "duration_ms", "op": ">", "value": 500},
     {"column": "duration_ms", "op": "<", "value": 100}], "start_time": 1795046400, "end_time": 1795132800},
]  # fmt: skip


def rate(fn: Callable[[], Any], seconds: float) -> float:
    """Calls per second of ``fn`` over about ``seconds`` (after a short warm-up)."""
    for _ in range(20):
        fn()
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(50):
            fn()
        calls += 50
    return calls / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    schema = build_schema()
    parsed = [parse_spec(s) for s in SPECS if not any(f.severity == "error" for f in check_structure(s))]
    counter = {"i": 0}

    def cycle(items: list[Any]) -> Any:
        counter["i"] += 1
        return items[counter["i"] % len(items)]

    results = {
        "schema_columns": len(schema),
        "structure_per_s": rate(lambda: check_structure(cycle(SPECS)), args.seconds),
        "semantics_per_s": rate(lambda: check_semantics(cycle(parsed), schema), args.seconds),
        "validate_structure_and_semantics_per_s": rate(lambda: validate(cycle(SPECS), schema), args.seconds),
        "explain_empty_per_s": rate(lambda: explain_empty(cycle(parsed), schema), args.seconds),
    }
    if args.json:
        print(json.dumps({k: round(v, 1) for k, v in results.items()}, indent=2))
    else:
        for key, value in results.items():
            print(f"{key:42s} {value:>12,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
