"""Helpers shared by CLI verbs: reading files, printing JSON, the options several verbs take."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from workbench.core.errors import WorkbenchError


def read_text(path: str | Path, what: str = "file") -> str:
    p = Path(path)
    if not p.exists():
        raise WorkbenchError(f"{what} not found: {p}", "check the path")
    if p.is_dir():
        raise WorkbenchError(f"{what} is a directory, not a file: {p}", "give a file path")
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise WorkbenchError(f"{what} is not UTF-8 text: {p}", "save it as UTF-8") from None


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_result_table(columns: list[str], rows: list[tuple[Any, ...]], max_rows: int = 20) -> None:
    """A plain aligned text table of the first ``max_rows`` rows."""
    from workbench.sql.execute import jsonable

    shown = [[_cell(jsonable(v)) for v in row] for row in rows[:max_rows]]
    widths = [max([len(c)] + [len(r[i]) for r in shown]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in shown:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
    if len(rows) > max_rows:
        print(f"... {len(rows) - max_rows} more rows")
    elif not rows:
        print("(no rows)")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict | list):
        text = json.dumps(value)
        return text if len(text) <= 40 else text[:37] + "..."
    return "" if value is None else str(value)


def add_call_options(parser: Any) -> None:
    """``--timeout`` and ``--max-attempts``: per model call, over the variant and the environment."""
    parser.add_argument("--timeout", type=float, metavar="SECONDS",
                        help="per HTTP attempt to the model (default: the variant's timeout_s, "
                        "else $WORKBENCH_TIMEOUT_S, else 60)")  # fmt: skip
    parser.add_argument("--max-attempts", type=int, metavar="N",
                        help="HTTP attempts per model call, retries included (default: the variant's "
                        "max_attempts, else $WORKBENCH_MAX_ATTEMPTS, else 4)")  # fmt: skip


def call_options(args: Any) -> tuple[float | None, int | None]:
    """The ``--timeout`` / ``--max-attempts`` values, checked (``None``: not given)."""
    if args.timeout is not None and args.timeout <= 0:
        raise WorkbenchError(f"--timeout must be above 0 seconds, not {args.timeout:g}", "e.g. --timeout 120")
    if args.max_attempts is not None and args.max_attempts < 1:
        raise WorkbenchError(
            f"--max-attempts must be at least 1, not {args.max_attempts}", "e.g. --max-attempts 2"
        )
    return args.timeout, args.max_attempts


def read_spec_file(path: str | Path, what: str = "current query") -> dict[str, Any]:
    """A query spec from a JSON file (``--current``): one-line errors for a missing file or bad JSON."""
    from workbench.spec.query import load_json, parse_spec

    return parse_spec(load_json(read_text(path, what), f"{what} {path}")).to_dict()


DATA_HELP = (
    "dataset: a .duckdb file, Parquet/CSV files, a glob, or an engine DSN (clickhouse://..., "
    "postgresql://...); default: the embedded telemetry"
)


def add_data_option(parser: Any, *, when: str = "") -> None:
    """``--data``: one flag, one help text for every verb that reads a dataset (``when`` prefixes it)."""
    parser.add_argument("--data", metavar="DATA", default=None, help=f"{when}{DATA_HELP}")
