"""``workbench query SPEC_FILE``: validate a spec against the dataset, compile it, run it.

Exit codes: 0 when the spec file was read and judged (valid or not), 2 on a
user error (missing file, malformed JSON, a query that fails or times out).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from workbench.cli._common import add_data_option, print_json, read_text
from workbench.core.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.sql.execute import QueryResult

#: rows shown in human output before "... N more rows"
SHOW_ROWS = 50


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "query",
        help="validate a query spec against the dataset, compile it to SQL and run it",
        description="Validate a Honeycomb query spec (JSON file) against the dataset, compile it to SQL "
        "and run it read-only. With --dialect other than duckdb, print the SQL without running it.",
    )
    p.add_argument("spec_file", metavar="SPEC_FILE", help="JSON file with one query specification")
    add_data_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--question",
        metavar="Q",
        default=None,
        help="the question the spec answers: adds the critic's findings and the readback",
    )
    p.add_argument(
        "--prompt",
        metavar="FILE",
        default=None,
        help="prompt variant whose conventions the critic reads (default: the default variant)",
    )
    p.add_argument(
        "--dialect",
        default=None,
        help="SQL dialect: the dataset's (runs; duckdb, or the engine of a --data DSN), or "
        "clickhouse, bigquery, postgres, trino (print only)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="interrupt the query after S seconds (default 10)",
    )
    p.add_argument(
        "--max-rows", type=int, default=10_000, metavar="N", help="keep at most N rows (default 10000)"
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when the spec is invalid (for CI gates; default: exit 0 whenever the spec was read)",
    )
    p.set_defaults(func=run)


def _open_dataset(path: str | None) -> Any:
    from workbench.dataset.source import open_dataset

    return open_dataset(path)


def _validate(raw: Any, schema: Any) -> Any:
    from workbench.spec.validate.layers import validate

    return validate(raw, schema)


def run(args: argparse.Namespace) -> int:
    from workbench.core.findings import has_errors, to_dicts
    from workbench.spec.query import load_json, parse_spec
    from workbench.sql.compiler import compile_spec
    from workbench.sql.execute import run_compiled

    raw = load_json(read_text(args.spec_file, "spec file"), source=args.spec_file)
    if args.max_rows < 0:
        raise WorkbenchError(f"--max-rows must be >= 0, got {args.max_rows}", "give a row count")
    dataset = _open_dataset(args.data)
    schema = dataset.schema()
    validation = _validate(raw, schema)
    findings = list(validation.findings)
    question = (args.question or "").strip() or None
    conventions = _conventions(args.prompt) if question else None
    out: dict[str, Any] = {
        "valid": False,
        "findings": to_dicts(findings),
        "sql": None,
        "columns": [],
        "rows": [],
    }
    if question is not None:
        out["question"] = question
    if not validation.ok or validation.spec is None or has_errors(findings):
        _emit(args, out, None)
        return 1 if args.strict else 0
    spec = parse_spec(validation.spec)
    if question is not None:
        from workbench.spec.readback import builder, readback

        out["readback"] = readback(spec, schema.now_epoch)
        out["builder"] = builder(spec, schema.now_epoch)
    runs_on = getattr(dataset, "dialect", "duckdb")
    compiled = compile_spec(spec, schema, dialect=args.dialect or runs_on)
    out.update(valid=True, sql=compiled.sql, columns=list(compiled.columns), dialect=compiled.dialect)
    if compiled.series_sql is not None:
        out["series_sql"] = compiled.series_sql
    if compiled.dialect != runs_on:
        _add_critic(out, question, spec, schema, conventions, None)
        return _emit(args, out, None)
    result = run_compiled(dataset, compiled, timeout_s=args.timeout, max_rows=args.max_rows)
    _add_critic(out, question, spec, schema, conventions, result)
    data = result.to_dict()
    out.update(rows=data["rows"], truncated=data["truncated"], elapsed_ms=data["elapsed_ms"])
    if "series" in data:
        out["series"] = {k: data["series"][k] for k in ("columns", "rows", "truncated")}
    return _emit(args, out, result)


def _conventions(prompt: str | None) -> Any:
    from workbench.prompt.variant import available_variants, load_variant

    if prompt is None:
        names = available_variants()
        if not names:
            return None
        prompt = "compact" if "compact" in names else names[0]
    return load_variant(prompt).conventions


def _add_critic(
    out: dict[str, Any], question: str | None, spec: Any, schema: Any, conv: Any, result: Any
) -> None:
    """The critic's findings (question constraints and result sanity) join the validation findings."""
    if question is None:
        return
    from workbench.core.findings import to_dicts
    from workbench.critic import critique

    out["findings"] += to_dicts(critique(question, spec, schema, conv, result))


def _emit(args: argparse.Namespace, out: dict[str, Any], result: QueryResult | None) -> int:
    if args.json:
        print_json(out)
        return 0
    write = sys.stdout.write
    status = "valid" if out["valid"] else "invalid"
    if out.get("question"):
        write(f"question: {out['question']}\n")
    if out.get("readback"):
        write(f"readback: {out['readback']}\n")
        for key, value in out.get("builder", {}).items():
            if key != "WHERE_COMBINATION":
                text = ", ".join(value) if isinstance(value, list) else value
                write(f"  {key:<12} {text if text not in (None, '') else '-'}\n")
        write("\n")
    write(f"spec: {status}\n")
    for f in out["findings"]:
        where = f" at {f['path']}" if f.get("path") else ""
        fix = f" (suggestion: {f['suggestion']})" if f.get("suggestion") else ""
        write(f"  {f['severity']}{where}: {f['message']}{fix}\n")
    if out["sql"] is None:
        return 0
    write(f"\nSQL ({out.get('dialect', 'duckdb')}):\n{out['sql']}\n")
    if result is None:
        if out.get("series_sql"):
            write(f"\nseries SQL:\n{out['series_sql']}\n")
        if out.get("dialect", "duckdb") != "duckdb":
            write("\n(not run: the SQL is not in the dataset's dialect)\n")
        return 0
    write(f"\n{format_table(result.columns, result.to_dict()['rows'])}\n")
    more = " (truncated)" if result.truncated else ""
    write(f"{len(result.rows)} rows{more}, {result.elapsed_ms:.1f} ms\n")
    if result.series is not None:
        series = result.series
        write(f"\nseries: {len(series.rows)} rows{' (truncated)' if series.truncated else ''}\n")
        write(f"{format_table(series.columns, series.to_dict()['rows'], limit=20)}\n")
    return 0


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):  # a heatmap: [[lower, count], ...]
        return f"heatmap({len(value)} buckets, {sum(int(c) for _, c in value if c is not None)} events)"
    return str(value)


def format_table(columns: list[str], rows: list[list[Any]], limit: int = SHOW_ROWS) -> str:
    """A plain-text table: left-aligned text, right-aligned numbers, at most ``limit`` rows."""
    shown = rows[:limit]
    cells = [[_cell(v) for v in row] for row in shown]
    numeric = [all(isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in shown if r[i] is not None)
               for i in range(len(columns))]  # fmt: skip
    widths = [min(60, max([len(c), *(len(r[i]) for r in cells)])) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        parts = []
        for i, v in enumerate(values):
            v = v if len(v) <= widths[i] else v[: widths[i] - 1] + "…"
            parts.append(v.rjust(widths[i]) if numeric[i] else v.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    out = [line(list(columns)), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    if len(rows) > limit:
        out.append(f"... {len(rows) - limit} more rows (use --json for all)")
    if not rows:
        out.append("(no rows)")
    return "\n".join(out)
