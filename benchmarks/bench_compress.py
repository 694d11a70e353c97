"""Schema compression + token counting time for 400- and 2,000-column schemas.

Run: ``python benchmarks/bench_compress.py`` (add ``--repeat N`` for more samples).

Columns of the table (median milliseconds):

- ``cold``: a new schema object, so nothing is cached but the tokenizer (lines are
  rendered and counted, the relevance index is built);
- ``slider``: the same schema with a new setting value each time (a slider move: column
  lines, token counts and the relevance index are cached, the block is re-assembled and
  counted exactly);
- ``repeat``: the identical call again (served from the per-schema result cache).

The target is a 2,000-column schema compressed and counted in well under 100 ms on a
slider move.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.core.encodings import get_encoding
from workbench.schema.columns import ColumnInfo, Schema
from workbench.schema.compress import SchemaSettings, compress

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "queue",
    "worker",
    "batch",
    "retry",
    "shard",
    "tenant",
    "header",
    "cookie",
    "locale",
    "currency",
    "stock",
    "cache",
    "feature",
    "flag",
    "experiment",
    "runtime",
    "memory",
    "thread",
    "pool",
    "region",
    "zone",
    "node",
    "pod",
    "container",
    "image",
]
CORE = (
    ColumnInfo("timestamp", "timestamp", "Span start time.", NOW, 10_000),
    ColumnInfo("service.name", "string", "Service that emitted the span.", NOW, 10, ("checkout",),
               ("frontend", "api-gateway", "auth", "cart", "catalog", "checkout", "payment", "search")),
    ColumnInfo("duration_ms", "float", "Span duration in milliseconds.", NOW, 5000, (12.5, 230.0)),
    ColumnInfo("http.route", "string", "Route template of the HTTP request.", NOW, 12, ("/api/products",),
               ("/api/products", "/api/products/{id}", "/api/search", "/api/cart", "/api/checkout", "/healthz")),
    ColumnInfo("error", "boolean", "True on failed spans.", NOW, 2, (False, True), (False, True)),
    ColumnInfo("app.platform", "string", "Client platform.", NOW, 3, ("android", "ios"), ("android", "ios", "web")),
    ColumnInfo("user.id", "string", "Identifier of the signed-in user.", NOW, 50_000, ("u_0001", "u_0002")),
    ColumnInfo("cloud.region", "string", "Cloud region.", NOW, 4, ("us-east-1",),
               ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1")),
)  # fmt: skip


def synthetic_schema(n: int) -> Schema:
    cols = list(CORE)
    i = 0
    while len(cols) < n:
        a, b, c = WORDS[i % len(WORDS)], WORDS[(i * 7 + 3) % len(WORDS)], WORDS[(i * 13 + 5) % len(WORDS)]
        cols.append(
            ColumnInfo(
                f"app.{a}.{b}_{c}_{i}",
                ("string", "integer", "float", "boolean")[i % 4],  # type: ignore[arg-type]
                f"Custom {a} attribute {i}: the {b} {c} of the request, set by the {a} middleware.",
                None if i % 9 == 0 else NOW - timedelta(days=i % 21, hours=3),
                i % 400 + 1,
                (f"{b}-{i % 7}", f"{c}{i % 13}", f"{a}_{i % 5}") if i % 3 else (),
                tuple(f"{b}-{k}" for k in range(i % 6 + 2)) if i % 4 == 0 else None,
            )
        )
        i += 1
    return Schema(tuple(cols), NOW, identity=f"bench-{n}")


QUESTION = "slow endpoints for android users yesterday"
CASES: list[tuple[str, dict, str | None, str]] = [
    # (label, settings, question, key varied by the slider)
    ("all columns, lines", {}, None, "domain_max"),
    ("active 7d, lines", {"window_days": 7}, None, "window_days"),
    ("active 7d, budget, lines", {"window_days": 7, "token_budget": 3000}, None, "token_budget"),
    ("lexical, budget 1500", {"relevance": "lexical", "token_budget": 1500}, QUESTION, "token_budget"),
    (
        "lexical, max 40, json",
        {"relevance": "lexical", "max_columns": 40, "format": "json"},
        QUESTION,
        "max_columns",
    ),
    ("all columns, ddl", {"format": "ddl"}, None, "domain_max"),
    ("no descriptions, budget", {"descriptions": False, "token_budget": 4000}, None, "token_budget"),
]


def _slide(settings: dict, key: str, step: int) -> dict:
    value = settings.get(key)
    if key == "domain_max":
        return {**settings, key: 25 + step}
    if key == "window_days":
        return {**settings, key: 7 + step * 0.5}
    return {**settings, key: int(value or 0) + 10 * (step + 1)}


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f}"


def run(repeat: int) -> None:
    start = time.perf_counter()
    get_encoding("o200k_base")
    print(f"tokenizer load (once per process): {(time.perf_counter() - start) * 1000:.0f} ms\n")
    header = (
        f"{'columns':>7}  {'settings':<28} {'cold':>8} {'slider':>8} {'repeat':>8} {'kept':>6} {'tokens':>7}"
    )
    print(header)
    print("-" * len(header))
    for n in (400, 2000):
        for label, settings, question, key in CASES:
            colds, sliders, repeats = [], [], []
            for _ in range(repeat):
                schema = synthetic_schema(n)
                t = time.perf_counter()
                result = compress(schema, SchemaSettings(**settings), question)
                colds.append(time.perf_counter() - t)
                for step in range(5):
                    moved = SchemaSettings(**_slide(settings, key, step))
                    t = time.perf_counter()
                    compress(schema, moved, question)
                    sliders.append(time.perf_counter() - t)
                t = time.perf_counter()
                compress(schema, SchemaSettings(**settings), question)
                repeats.append(time.perf_counter() - t)
            print(
                f"{n:>7}  {label:<28}{_ms(statistics.median(colds))} {_ms(statistics.median(sliders))}"
                f" {_ms(statistics.median(repeats))} {len(result.kept):>6} {result.tokens:>7}"
            )
        print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="new schema objects per case (default 3)")
    run(parser.parse_args().repeat)


if __name__ == "__main__":
    main()
