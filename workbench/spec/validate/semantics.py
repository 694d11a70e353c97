"""Semantic rules: a structurally valid spec checked against one dataset's columns.

``check_semantics(spec, schema)`` runs ``SEMANTIC_RULES``: unknown columns
(with the closest names), ops and filter values of the wrong type, values
outside a small known domain, time windows outside the data, very
high-cardinality breakdowns, stale columns, filters that cannot all be true,
and the Honeycomb features the embedded engine cannot run. ``explain_empty``
reuses these rules after a query came back empty, to name the likely cause.

Like the structural rules, every rule is a small function
``(SemanticContext) -> findings`` and nothing here raises on a parsed spec.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from workbench.core.findings import Finding, error, info, run_rules, validator_failure, warning
from workbench.schema.columns import Schema
from workbench.spec.query import (
    NUMERIC_OPS,
    RELATIONAL_PREFIXES,
    UNARY_FILTER_OPS,
    QuerySpec,
)
from workbench.spec.validate.filters import contradictions, domain_findings, spec_filters, type_findings
from workbench.spec.validate.suggest import as_json, column_suggestions, did_you_mean
from workbench.spec.validate.window import window_bounds

#: the embedded dataset's span before its ``now`` (DESIGN: 14 days).
DATA_WINDOW_SECONDS = 14 * 86400
#: breakdowns on columns with more distinct values than this get a warning.
HIGH_CARDINALITY = 1000


@dataclass(frozen=True)
class SemanticContext:
    """What semantic rules see: the spec, the schema and the query's window against the data's."""

    spec: QuerySpec
    schema: Schema
    start: int
    end: int
    data_start: int
    now: int

    @property
    def derived(self) -> frozenset[str]:
        """Query-scoped calculated field names, usable as columns."""
        return frozenset(c.name for c in self.spec.calculated_fields)


SemanticRule = Callable[[SemanticContext], Iterable[Finding]]


def make_context(spec: QuerySpec, schema: Schema, data_start: int | None = None) -> SemanticContext:
    now = schema.now_epoch
    start, end = spec.time_window(now)
    first = data_start if data_start is not None else now - DATA_WINDOW_SECONDS
    return SemanticContext(spec, schema, start, end, first, now)


def iso(epoch: int) -> str:
    """``2026-11-20T12:00:00Z`` for an epoch, or the number itself when out of datetime's range."""
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return str(epoch)


def _is_relational(column: str) -> bool:
    return column.startswith(RELATIONAL_PREFIXES)


def column_refs(spec: QuerySpec) -> Iterator[tuple[str, str]]:
    """``(path, column)`` for every column the spec reads: calculations, filters, breakdowns,
    and order/having columns that are not calculation or formula names."""
    outputs = {c.name for c in spec.calculations if c.name} | {f.name for f in spec.formulas}
    seen: set[str] = set()
    for i, c in enumerate(spec.calculations):
        if c.column and not (c.op == "COUNT" and c.column == "*"):
            seen.add(c.column)
            yield f"calculations[{i}].column", c.column
    for path, f, _ in spec_filters(spec):
        seen.add(f.column)
        yield f"{path}.column", f.column
    for i, b in enumerate(spec.breakdowns):
        seen.add(b)
        yield f"breakdowns[{i}]", b
    for key, entries in (("orders", spec.orders), ("havings", spec.havings)):
        for i, entry in enumerate(entries):
            col = entry.column
            if col and col not in outputs and col not in seen and col != "*":
                yield f"{key}[{i}].column", col


# --------------------------------------------------------------------------- rules


def check_unsupported(ctx: SemanticContext) -> Iterator[Finding]:
    """Valid Honeycomb the embedded engine cannot run: calculated fields, formulas, comparisons, relational fields."""
    spec = ctx.spec
    for key, present in (
        ("calculated_fields", bool(spec.calculated_fields)),
        ("formulas", bool(spec.formulas)),
        ("compare_time_offset_seconds", spec.compare_time_offset_seconds is not None),
    ):
        if present:
            yield error(
                "unsupported_feature",
                f"{key} is valid Honeycomb but not supported by the embedded engine",
                key,
                f"remove {key}",
            )
    for path, col in column_refs(spec):
        if _is_relational(col) and col not in ctx.schema:
            plain = col.split(".", 1)[1]
            yield error(
                "unsupported_feature",
                f"relational field {col!r} is valid Honeycomb but not supported by the embedded engine",
                path,
                f"use {plain!r}" if plain in ctx.schema else None,
            )


def check_unknown_columns(ctx: SemanticContext) -> Iterator[Finding]:
    """Every column the spec reads exists; otherwise suggest the closest names."""
    names: list[str] | None = None
    derived = ctx.derived
    for path, col in column_refs(ctx.spec):
        if col in ctx.schema or col in derived or _is_relational(col):
            continue
        names = names if names is not None else _by_recency(ctx)
        hint = did_you_mean(column_suggestions(col, names))
        yield error(
            "unknown_column", f"unknown column {col!r}", path, hint or "pick a column from the schema"
        )


def _by_recency(ctx: SemanticContext) -> list[str]:
    """Column names, the ones written during the query window first (better suggestions)."""
    fresh, stale = [], []
    for c in ctx.schema.columns:
        written = c.last_written is not None and int(c.last_written.timestamp()) >= ctx.start
        (fresh if written else stale).append(c.name)
    return fresh + stale


def check_op_types(ctx: SemanticContext) -> Iterator[Finding]:
    """Numeric ops (SUM, AVG, MIN, MAX, percentiles, HEATMAP, RATE_*) need a numeric column."""
    for i, c in enumerate(ctx.spec.calculations):
        col = ctx.schema.get(c.column) if c.column else None
        if col is None or c.op not in NUMERIC_OPS or col.is_numeric:
            continue
        fix = {
            "string": f"use COUNT_DISTINCT({col.name}) to count its values, or break down by it",
            "boolean": f"filter on it ({as_json({'column': col.name, 'op': '=', 'value': True})}) and use COUNT",
        }.get(col.type, "use a numeric column")
        yield error(
            "op_type_mismatch",
            f"{c.op} needs a numeric column; {col.name!r} is a {col.type} column",
            f"calculations[{i}].op",
            fix,
        )


def check_filter_types(ctx: SemanticContext) -> Iterator[Finding]:
    """Filter values fit their column's type (numbers for numeric columns, booleans for booleans)."""
    for path, f, _ in spec_filters(ctx.spec):
        col = ctx.schema.get(f.column)
        if col is not None and f.op not in UNARY_FILTER_OPS:
            yield from type_findings(path, f.op, f.value, col)


def check_value_domains(ctx: SemanticContext) -> Iterator[Finding]:
    """Values outside a column's known small domain: a case slip is an error, a miss a warning."""
    for path, f, _ in spec_filters(ctx.spec):
        col = ctx.schema.get(f.column)
        if col is not None and col.values is not None and col.type not in ("boolean", "timestamp"):
            yield from domain_findings(path, f.op, f.value, col)


def check_time_window(ctx: SemanticContext) -> Iterator[Finding]:
    """The query window overlaps the data: entirely before it or after now is an error."""
    start, end, first, now = ctx.start, ctx.end, ctx.data_start, ctx.now
    out_of_range = list(window_bounds((start, end), _time_path(ctx.spec)))  # time_range alone, back from now
    if out_of_range:
        yield from out_of_range
        return
    span = f"{iso(start)} to {iso(end)}"
    data = f"the data covers {iso(first)} to {iso(now)}"
    if start > end:
        yield error(
            "time_reversed", f"the query window {span} ends before it starts", "start_time", "swap them"
        )
    elif end <= first:
        yield error(
            "time_outside_data",
            f"the query window {span} is entirely before the data: the result will be empty",
            _time_path(ctx.spec),
            f"{data}; use time_range or later times",
        )
    elif start >= now:
        yield error(
            "time_outside_data",
            f"the query window {span} starts at or after the dataset's now: the result will be empty",
            _time_path(ctx.spec),
            f"{data}; check the year and that times are in seconds",
        )
    elif start < first:
        yield info(
            "time_partially_outside",
            f"the query window starts before the data: only {iso(first)} to {iso(min(end, now))} has events",
            _time_path(ctx.spec),
            data,
        )
    elif end > now:
        yield info(
            "time_partially_outside",
            f"the query window runs past the dataset's now ({iso(now)})",
            "end_time" if ctx.spec.end_time is not None else _time_path(ctx.spec),
            data,
        )


def _time_path(spec: QuerySpec) -> str:
    if spec.start_time is not None:
        return "start_time"
    if spec.end_time is not None:
        return "end_time"
    return "time_range"


def check_breakdown_cardinality(ctx: SemanticContext) -> Iterator[Finding]:
    """Breaking down by a column with more than ~1000 distinct values makes huge, truncated results.

    A deliberate top N (a limit plus an order on a calculation) is the right way to ask such a
    question, so it is not warned about.
    """
    calc_names = {c.name for c in ctx.spec.calculations if c.name}
    top_n = ctx.spec.limit is not None and any(
        o.op is not None or o.column in calc_names for o in ctx.spec.orders
    )
    if top_n:
        return
    for i, b in enumerate(ctx.spec.breakdowns):
        col = ctx.schema.get(b)
        if col is not None and col.distinct_count > HIGH_CARDINALITY:
            fix = (
                "order by a calculation so the limit keeps the top groups"
                if ctx.spec.limit
                else "add orders and a limit (top N), or break down by a lower-cardinality column"
            )
            yield warning(
                "high_cardinality_breakdown",
                f"{b!r} has about {col.distinct_count} distinct values: "
                "the result has that many groups and is cut at the limit",
                f"breakdowns[{i}]",
                fix,
            )


def check_stale_columns(ctx: SemanticContext) -> Iterator[Finding]:
    """Columns with no data in the query window (deprecated or never written)."""
    reported: set[str] = set()
    for path, name in column_refs(ctx.spec):
        col = ctx.schema.get(name)
        if col is None or name in reported or col.type == "timestamp":
            continue
        last = col.last_written
        last_epoch = int(last.timestamp()) if last is not None else None
        if last_epoch is None or last_epoch < ctx.start:
            reported.add(name)
            since = (
                f"has had no data since {iso(last_epoch)}"
                if last_epoch is not None
                else "has never been written"
            )
            yield warning(
                "stale_column",
                f"{name!r} {since}, before the query window: filters on it match "
                "nothing and breakdowns on it are all null",
                path,
                "pick a column that is still written",
            )


def check_contradictions(ctx: SemanticContext) -> Iterator[Finding]:
    """Filters combined with AND that cannot all be true: the result will be empty."""
    yield from contradictions(ctx.spec)


SEMANTIC_RULES: tuple[SemanticRule, ...] = (
    check_unsupported,
    check_unknown_columns,
    check_op_types,
    check_filter_types,
    check_value_domains,
    check_time_window,
    check_breakdown_cardinality,
    check_stale_columns,
    check_contradictions,
)


def check_semantics(spec: QuerySpec, schema: Schema, *, data_start: int | None = None) -> list[Finding]:
    """Every finding about ``spec`` against ``schema``'s columns and clock. Never raises.

    Args:
        spec: a parsed spec (run ``check_structure`` first for Honeycomb's own rules).
        schema: the dataset's columns, types, domains and ``now``.
        data_start: epoch of the first event; default ``now`` minus 14 days.
    """
    rules = ((rule.__name__, rule) for rule in SEMANTIC_RULES)
    return run_rules(rules, make_context(spec, schema, data_start), failure=validator_failure)
