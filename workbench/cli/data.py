"""``workbench data``: generate the embedded telemetry dataset and describe datasets."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from workbench.cli._common import add_data_option, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("data", help="generate or describe telemetry datasets")
    sub = data.add_subparsers(dest="data_verb", metavar="ACTION")
    sub.required = True

    gen = sub.add_parser("generate", help="write the generated telemetry DuckDB file")
    gen.add_argument(
        "--rows", type=_positive_int, default=None, help="number of span events (default 500000)"
    )
    gen.add_argument("--seed", type=int, default=None, help="random seed (default 42)")
    gen.add_argument(
        "--out", type=Path, default=None, help="output file (default: the home's data/telemetry.duckdb)"
    )
    gen.add_argument(
        "--to",
        default=None,
        metavar="DSN",
        help="also copy it to an engine: chdb:///path, clickhouse://host:8123/db or postgresql://... "
        "(table events, plus dataset_info and column_metadata); open it with --data DSN?table=events",
    )
    gen.add_argument(
        "--schema",
        choices=("flat", "otel"),
        default="flat",
        help="with --to: the table's schema: flat (one column per field, default) or otel (the OpenTelemetry "
        "Collector ClickHouse exporter's otel_traces; read it with &mapping=otel_traces)",
    )
    gen.set_defaults(func=_generate)

    info = sub.add_parser("info", help="describe a dataset: rows, columns, time range, identity")
    add_data_option(info)
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=_info)


def _positive_int(text: str) -> int:
    value = int(text.replace("_", "").replace(",", ""))
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def _generate(args: argparse.Namespace) -> int:
    from workbench.core import paths
    from workbench.core.errors import WorkbenchError
    from workbench.dataset.generate.build import DEFAULT_ROWS, DEFAULT_SEED, descriptions, generate

    if args.to:
        _check_target(args.to, args.schema == "otel")
    elif args.schema == "otel":
        raise WorkbenchError(
            "--schema otel describes the table --to writes", "add --to 'chdb:///dir?table=otel_traces'"
        )
    rows = args.rows or DEFAULT_ROWS
    seed = DEFAULT_SEED if args.seed is None else args.seed
    out = args.out or paths.default_dataset_path()
    start = time.perf_counter()
    path = generate(out, rows=rows, seed=seed)
    seconds = time.perf_counter() - start
    columns = len(descriptions())
    print(f"path: {path}")
    print(f"rows: {rows}")
    print(f"columns: {columns}")
    print(f"seconds: {seconds:.1f}")
    if args.to:
        _copy_to(path, args.to, otel=args.schema == "otel")
    return 0


def _check_target(dsn: str, otel: bool):
    """The parsed DSN ``--to`` names; the otel schema only on ClickHouse (before anything is generated)."""
    from workbench.core.errors import WorkbenchError
    from workbench.engines.base import parse_dsn

    parsed = parse_dsn(dsn)
    if otel and parsed.kind not in ("chdb", "clickhouse"):
        raise WorkbenchError(
            "--schema otel writes ClickHouse's otel_traces", "use a chdb:// or clickhouse:// DSN"
        )
    return parsed


def _copy_to(path: Path, dsn: str, *, otel: bool = False) -> None:
    """Copy the generated file's events, dataset_info and column_metadata tables into the engine ``dsn`` names."""
    from workbench.engines.connect import open_engine
    from workbench.engines.load import copy_table

    parsed = _check_target(dsn, otel)
    start = time.perf_counter()
    engine = open_engine(dsn, writable=True)
    try:
        if otel:
            from workbench.engines.otel import copy_otel_traces

            copy_otel_traces(path, engine, parsed.table)
        else:
            copy_table(path, "events", engine, target=parsed.table)
        copy_table(path, "dataset_info", engine)
        copy_table(path, "column_metadata", engine)
    finally:
        engine.close()
    print(f"engine: {engine.redacted}")
    print(f"engine_seconds: {time.perf_counter() - start:.1f}")


def _info(args: argparse.Namespace) -> int:
    from workbench.dataset.source import open_dataset

    info = open_dataset(args.data).describe()
    if args.json:
        print_json(info)
        return 0
    out = sys.stdout
    for key in ("path", "source", "identity", "now", "rows", "columns", "columns_active_7d", "first_event",
                "last_event", "file_bytes"):  # fmt: skip
        out.write(f"{key}: {info[key]}\n")
    out.write(
        "column_types: " + ", ".join(f"{k} {v}" for k, v in sorted(info["column_types"].items())) + "\n"
    )
    for f in info["files"]:
        out.write(f"file: {f}\n")
    return 0
