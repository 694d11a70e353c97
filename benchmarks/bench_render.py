"""Render + token-count time per question for each shipped prompt variant.

Two schemas: the generated telemetry dataset (about 400 columns) and a synthetic
2,000-column schema (the dataset's columns plus generated long-tail ones). For
each variant it reports:

- ``first``: binding the variant and rendering the first question (compression of
  a static schema, example validation, the cached stable prefix);
- ``change``: the first render after a settings change (``with_``: what a slider
  move in the widget costs);
- ``p50`` / ``p95`` / ``mean``: every further question (what an evaluation run costs).

Run: ``python benchmarks/bench_render.py [--data PATH] [--repeat N] [--json OUT]``.
Without ``--data`` a small dataset is generated in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.prompt.render import Prompt  # noqa: E402
from workbench.prompt.variant import load_variant  # noqa: E402
from workbench.schema.columns import ColumnInfo, Schema  # noqa: E402

VARIANTS = ("naive", "honeycomb", "compact")
FALLBACK_QUESTIONS = (
    "slow endpoints for android users yesterday",
    "how many errors per service in the last hour",
    "top 5 routes by p99 latency",
    "revenue by payment provider this week",
    "5xx responses per region today",
)
_WORDS = ("checkout", "inventory", "session", "queue", "retry", "tenant", "region", "cache", "quota", "render",
          "upload", "billing", "search", "gateway", "token", "batch", "shard", "replica", "locale", "device")  # fmt: skip


def synthetic_schema(base: Schema, total: int = 2000, seed: int = 0) -> Schema:
    """``base`` plus generated columns up to ``total``: mixed types, some low-cardinality, some stale."""
    rng = random.Random(seed)
    columns = list(base.columns)
    i = 0
    while len(columns) < total:
        a, b = rng.choice(_WORDS), rng.choice(_WORDS)
        kind = rng.choice(("string", "string", "integer", "float", "boolean"))
        values = None
        samples: tuple = ()
        if kind == "string":
            if rng.random() < 0.3:
                values = tuple(f"{b}-{j}" for j in range(rng.randint(2, 8)))
                samples = values[:3]
            else:
                samples = tuple(f"{a}_{rng.randint(0, 10**6)}" for _ in range(3))
        elif kind == "boolean":
            values, samples = (False, True), (True,)
        else:
            samples = tuple(rng.randint(0, 5000) for _ in range(3))
        stale = rng.random() < 0.15
        written = base.now - timedelta(days=rng.uniform(8, 13) if stale else rng.uniform(0, 2))
        columns.append(
            ColumnInfo(
                name=f"app.{a}.{b}_{i:04d}",
                type=kind,  # type: ignore[arg-type]
                description=f"Custom attribute: {a} {b} ({kind}) set by instrumentation.",
                last_written=written,
                distinct_count=len(values) if values else 1000,
                sample_values=samples,
                values=values,
            )
        )
        i += 1
    return replace(base, columns=tuple(columns), identity=f"{base.identity}+synthetic{total}")


def load_questions() -> list[str]:
    path = REPO / "questions" / "core.yaml"
    if path.exists():
        import yaml

        data = yaml.safe_load(path.read_text()) or {}
        found = [q["question"] for q in data.get("questions", []) if q.get("question")]
        if found:
            return found
    return list(FALLBACK_QUESTIONS)


def bench(schema: Schema, name: str, questions: list[str], repeat: int) -> dict[str, float]:
    variant = load_variant(name)
    t0 = time.perf_counter()
    prompt = Prompt(variant, schema)
    first = prompt.render(questions[0])
    first_ms = (time.perf_counter() - t0) * 1000
    budget = (variant.schema.token_budget or 4000) - 100
    t0 = time.perf_counter()
    changed = prompt.with_(schema={"token_budget": budget})
    changed.render(questions[0])
    change_ms = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(repeat):
        for q in questions:
            t0 = time.perf_counter()
            prompt.render(q)
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {
        "columns": len(schema),
        "tokens_first": first.total_tokens,
        "first_ms": first_ms,
        "change_ms": change_ms,
        "p50_ms": statistics.median(times),
        "p95_ms": times[int(0.95 * (len(times) - 1))],
        "mean_ms": statistics.fmean(times),
        "renders": len(times),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="dataset path (default: generate a small one in a temp folder)")
    parser.add_argument("--rows", type=int, default=60_000, help="rows of the generated dataset (60000)")
    parser.add_argument("--repeat", type=int, default=1, help="passes over the question set (1)")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON")
    args = parser.parse_args(argv)

    from workbench.dataset.source import generate, open_dataset

    if args.data:
        schema = open_dataset(args.data).schema()
    else:
        folder = Path(tempfile.mkdtemp(prefix="bench-render-"))
        path = folder / "telemetry.duckdb"
        generate(path, rows=args.rows, seed=7)
        schema = open_dataset(path).schema()
    questions = load_questions()
    from workbench.core.encodings import get_encoding

    get_encoding("o200k_base")  # load the tokenizer once, outside the timings
    schemas = {"dataset": schema, "synthetic-2000": synthetic_schema(schema, 2000)}
    results = []
    print(f"{len(questions)} questions x {args.repeat}; times in ms")
    print(
        f"{'schema':<16}{'variant':<11}{'cols':>6}{'tokens':>8}{'first':>9}{'change':>9}{'p50':>8}{'p95':>8}{'mean':>8}"
    )
    for label, s in schemas.items():
        for name in VARIANTS:
            r = bench(s, name, questions, args.repeat)
            results.append({"schema": label, "variant": name, **r})
            print(f"{label:<16}{name:<11}{r['columns']:>6}{r['tokens_first']:>8}{r['first_ms']:>9.1f}"
                  f"{r['change_ms']:>9.1f}{r['p50_ms']:>8.2f}{r['p95_ms']:>8.2f}{r['mean_ms']:>8.2f}")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
