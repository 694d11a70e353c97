"""Validate + compile time per spec, and execution time of typical queries on generated data.

Run: ``python benchmarks/bench_query.py`` (1M rows; ``--big`` adds 10M rows; ``--data PATH`` runs
on an existing dataset instead; ``--repeat N`` for more samples; ``--json`` for machine output).
``--engine duckdb,chdb,chdb-otel,postgres`` copies the generated rows (the columns the queries
use) into embedded ClickHouse and into the PostgreSQL of ``--postgres DSN`` and reports each
engine's warm time as a ratio to DuckDB's, in one run; ``chdb-otel`` holds all the rows in the
OpenTelemetry ``otel_traces`` schema, read through ``mappings/otel_traces.yaml``.

Generated datasets are kept in ``<workbench home>/data/bench-<rows>.duckdb`` and reused.

Reported per query (milliseconds): ``cold`` is the first run on a fresh process's first
connection, ``warm`` the median of the next runs; both include opening the read-only
connection, executing, and fetching. The compile table gives the median time to validate
and to compile each spec (no database involved).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.core import paths
from workbench.core.errors import WorkbenchError
from workbench.spec.query import parse_spec
from workbench.sql.compiler import compile_spec
from workbench.sql.execute import run_compiled


def typical_specs(now: datetime) -> dict[str, dict[str, Any]]:
    """The questions an assistant is asked most, as their gold specs."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = (int((midnight - timedelta(days=1)).timestamp()), int(midnight.timestamp()))
    two_weeks = 14 * 86400
    return {
        "p99 by route, android, yesterday": {
            "calculations": [{"op": "P99", "column": "duration_ms"}],
            "filters": [{"column": "app.platform", "op": "=", "value": "android"}],
            "breakdowns": ["http.route"],
            "orders": [{"op": "P99", "column": "duration_ms", "order": "descending"}],
            "start_time": yesterday[0],
            "end_time": yesterday[1],
        },
        "errors by service per hour": {
            "calculations": [{"op": "COUNT"}],
            "filters": [{"column": "error", "op": "=", "value": True}],
            "breakdowns": ["service.name"],
            "granularity": 3600,
            "time_range": two_weeks,
        },
        "top 10 users by order total": {
            "calculations": [{"op": "SUM", "column": "app.order.total_usd"}],
            "breakdowns": ["user.id"],
            "orders": [{"op": "SUM", "column": "app.order.total_usd", "order": "descending"}],
            "limit": 10,
            "time_range": two_weeks,
        },
        "5xx rate by route, last 24h": {
            "calculations": [
                {"op": "COUNT"},
                {
                    "op": "COUNT",
                    "name": "5xx",
                    "filters": [{"column": "http.response.status_code", "op": ">=", "value": 500}],
                },
            ],
            "breakdowns": ["http.route"],
            "time_range": 86400,
        },
        "heatmap of latency, 14 days, daily": {
            "calculations": [
                {"op": "HEATMAP", "column": "duration_ms"},
                {"op": "P50", "column": "duration_ms"},
            ],
            "granularity": 86400,
            "time_range": two_weeks,
        },
        "concurrency by service, last 24h": {
            "calculations": [{"op": "CONCURRENCY"}, {"op": "COUNT"}],
            "breakdowns": ["service.name"],
            "time_range": 86400,
        },
        "rate of cart items per 10 min, 24h": {
            "calculations": [{"op": "RATE_SUM", "column": "app.cart.item_count"}],
            "granularity": 600,
            "time_range": 86400,
        },
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def bench_compile(specs: dict[str, dict[str, Any]], schema: Any, repeat: int) -> list[dict[str, Any]]:
    from workbench.spec.validate.layers import validate

    out = []
    for name, raw in specs.items():
        v_times, c_times = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            validation = validate(raw, schema)
            t1 = time.perf_counter()
            compile_spec(validation.spec or parse_spec(raw), schema)
            t2 = time.perf_counter()
            v_times.append(t1 - t0)
            c_times.append(t2 - t1)
        out.append({"query": name, "valid": validation.ok, "validate_ms": _ms(statistics.median(v_times)),
                    "compile_ms": _ms(statistics.median(c_times))})  # fmt: skip
    return out


def bench_execute(
    dataset: Any, specs: dict[str, dict[str, Any]], repeat: int, timeout: float
) -> list[dict[str, Any]]:
    schema = dataset.schema()
    out = []
    for name, raw in specs.items():
        try:
            compiled = compile_spec(parse_spec(raw), schema, dialect=getattr(dataset, "dialect", "duckdb"))
        except WorkbenchError as exc:  # e.g. HEATMAP off DuckDB
            out.append(
                {"query": name, "cold_ms": None, "warm_ms": None, "rows": str(exc), "series_rows": None}
            )
            continue
        times = []
        for _ in range(repeat + 1):
            t0 = time.perf_counter()
            result = run_compiled(dataset, compiled, timeout_s=timeout)
            times.append(time.perf_counter() - t0)
        series = len(result.series.rows) if result.series is not None else None
        out.append({"query": name, "cold_ms": _ms(times[0]), "warm_ms": _ms(statistics.median(times[1:])),
                    "rows": len(result.rows), "series_rows": series})  # fmt: skip
    return out


def dataset_for(rows: int) -> Any:
    from workbench.dataset.source import generate, open_dataset

    path = paths.home() / "data" / f"bench-{rows}.duckdb"
    if not path.exists():
        print(f"generating {rows:,} rows into {path} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        generate(path, rows=rows)
        print(f"  done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    return open_dataset(str(path))


def engine_datasets(rows: int, engines: list[str], postgres: str | None) -> dict[str, Any]:
    """The generated dataset on each engine (DuckDB, chdb, PostgreSQL), same rows and clock."""
    from workbench.dataset.source import open_dataset
    from workbench.engines.connect import open_engine
    from workbench.engines.load import copy_table
    from workbench.engines.otel import copy_otel_traces

    duck = dataset_for(rows)
    specs = typical_specs(duck.schema().now.astimezone(UTC))
    columns = {"timestamp", "duration_ms"}.union(*(parse_spec(s).columns_used() for s in specs.values()))
    chdb = f"chdb://{paths.home() / 'data' / f'bench-{rows}-chdb'}"
    dsns = {"chdb": chdb, "chdb-otel": chdb, "postgres": postgres}
    out = {"duckdb": duck} if "duckdb" in engines else {}
    for name in (e for e in engines if e != "duckdb"):
        if dsns.get(name) is None:
            raise SystemExit(
                f"--engine {name} needs --postgres DSN" if name == "postgres" else f"unknown engine {name}"
            )
        loader = open_engine(dsns[name], writable=True)
        t0 = time.perf_counter()
        table = f"bench_{rows}"
        if (
            name == "chdb-otel"
        ):  # the whole dataset in the otel_traces schema, read through the shipped mapping
            table = f"otel_traces_{rows}"
            copy_otel_traces(Path(duck.path), loader, table)
            copy_table(duck.path, "column_metadata", loader)
        else:
            copy_table(duck.path, "events", loader, target=table, columns=sorted(columns))
        copy_table(duck.path, "dataset_info", loader)
        loader.close()
        print(f"  loaded {name} in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        sep = "&" if "?" in dsns[name] else "?"
        mapping = "&mapping=otel_traces" if name == "chdb-otel" else ""
        out[name] = open_dataset(f"{dsns[name]}{sep}table={table}{mapping}")
    return out


def _ratios(execute: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Warm time of each engine divided by DuckDB's, per query."""
    base = {r["query"]: r["warm_ms"] for r in execute.get("duckdb", [])}
    rows: dict[str, dict[str, Any]] = {}
    for engine, results in execute.items():
        for r in results:
            row = rows.setdefault(r["query"], {"query": r["query"]})
            ok = base.get(r["query"]) and r["warm_ms"] is not None
            row[engine] = round(r["warm_ms"] / base[r["query"]], 2) if ok else None
    return list(rows.values())


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "(none)"
    cols = list(rows[0])
    cells = [[("" if r[c] is None else str(r[c])) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", metavar="PATH", help="run on this dataset instead of generated ones")
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="rows of the generated dataset (default 1M)"
    )
    parser.add_argument("--big", action="store_true", help="also run on a generated 10M-row dataset")
    parser.add_argument("--repeat", type=int, default=5, help="warm runs per query (default 5)")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-query timeout in seconds")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--engine", help="compare engines on --rows rows: e.g. duckdb,chdb,postgres")
    parser.add_argument("--postgres", metavar="DSN", help="the PostgreSQL database for --engine postgres")
    args = parser.parse_args(argv)

    if args.engine:
        datasets = engine_datasets(args.rows, args.engine.split(","), args.postgres)
    elif args.data:
        from workbench.dataset.source import open_dataset

        datasets = {args.data: open_dataset(args.data)}
    else:
        sizes = [args.rows] + ([10_000_000] if args.big else [])
        datasets = {f"{n:,} rows": dataset_for(n) for n in sizes}

    report: dict[str, Any] = {"compile": None, "execute": {}}
    for label, dataset in datasets.items():
        schema = dataset.schema()
        specs = typical_specs(schema.now.astimezone(UTC))
        if report["compile"] is None:
            report["compile"] = bench_compile(specs, schema, max(20, args.repeat))
        report["execute"][label] = bench_execute(dataset, specs, args.repeat, args.timeout)

    if args.engine:
        report["ratio_to_duckdb"] = _ratios(report["execute"])
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print("validate + compile (median ms per spec, no database):")
    print(_table(report["compile"]))
    for label, rows in report["execute"].items():
        print(f"\nexecution on {label} (ms, including connect and fetch):")
        print(_table(rows))
    if args.engine:
        print("\nwarm time as a ratio to DuckDB's (same rows, same queries):")
        print(_table(report["ratio_to_duckdb"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
