"""Honeycomb's structural rules for calculations and filters (no dataset needed).

The rules follow ``shared/QUERY_SPEC_RULES.md``; where sources disagree, its
section 12 decides (COUNT may take a column; P20/P80 and ends-with are valid).
One rule is one small function ``(raw dict) -> findings``, tested alone;
``validate.STRUCTURE_RULES`` lists them all in order, with the shape rules of
``validate_shape`` first, and ``validate.check_structure`` runs them.

Rules read only well-typed values: a field of the wrong type was already
reported by a shape rule and is skipped here, so one mistake gives one finding.
The helpers ``calc_pairs``, ``unknown_calc_op`` and ``op_column_findings`` are
shared with ``validate_links``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from workbench.core.findings import Finding, error, warning
from workbench.spec.query import (
    CALC_OPS,
    COLUMN_FORBIDDEN_OPS,
    COLUMN_OPTIONAL_OPS,
    FILTER_OPS,
    LIST_FILTER_OPS,
    STRING_FILTER_OPS,
    UNARY_FILTER_OPS,
)
from workbench.spec.validate.shape import all_filters, is_array, is_number, items, json_type, text
from workbench.spec.validate.suggest import as_json, suggest_calc_op, suggest_filter_op

StructureRule = Callable[[dict[str, Any]], Iterable[Finding]]

METRICS_ONLY_OPS = frozenset({"COUNT_DATAPOINTS", "HISTOGRAM_COUNT"})
ORDERED_COMPARISONS = frozenset({">", ">=", "<", "<="})


# --------------------------------------------------------------------------- shared helpers


def calc_pairs(raw: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    """``(op, column, name)`` of the effective calculations: ``COUNT`` when none are given."""
    out = [
        (c["op"], text(c, "column"), text(c, "name"))
        for _, c in items(raw, "calculations")
        if isinstance(c.get("op"), str)
    ]
    calcs = raw.get("calculations")
    if not out and (calcs is None or (is_array(calcs) and len(calcs) == 0)):
        return [("COUNT", None, None)]
    return out


def names_of(raw: dict[str, Any], key: str) -> set[str]:
    return {n for _, d in items(raw, key) if (n := text(d, "name"))}


def pair_label(op: str, column: str | None) -> str:
    return f"{op}({column})" if column else op


# --------------------------------------------------------------------------- calculations


def check_calculation_ops(raw: dict[str, Any]) -> Iterator[Finding]:
    """Every calculation op is one of the 24 ops (with a hint for case and near-misses)."""
    for i, calc in items(raw, "calculations"):
        op = text(calc, "op")
        if op is not None and op not in CALC_OPS:
            yield unknown_calc_op(op, f"calculations[{i}].op")


def unknown_calc_op(op: str, path: str) -> Finding:
    if op.upper() in METRICS_ONLY_OPS:
        return error(
            "unknown_op",
            f"{op} is only valid on Honeycomb metrics datasets",
            path,
            "use COUNT or a numeric op on an events dataset",
        )
    fix, column = suggest_calc_op(op)
    if fix and column:
        hint = f"use {as_json({'op': fix, 'column': column})}"
    elif fix and fix == op.upper():
        hint = f"use {fix!r} (ops are upper case)"
    elif fix:
        hint = f"use {fix!r}"
    else:
        hint = f"use one of {', '.join(CALC_OPS)}"
    return error("unknown_op", f"unknown calculation op {op!r}", path, hint)


def check_calculation_columns(raw: dict[str, Any]) -> Iterator[Finding]:
    """COUNT takes an optional column, CONCURRENCY none, every other op needs one."""
    for i, calc in items(raw, "calculations"):
        yield from op_column_findings(text(calc, "op"), calc.get("column"), f"calculations[{i}]")


def op_column_findings(op: str | None, column: Any, path: str) -> Iterator[Finding]:
    if op not in CALC_OPS:
        return
    if op in COLUMN_FORBIDDEN_OPS and column is not None:
        yield error(
            "column_forbidden", f"{op} takes no column", f"{path}.column", f'remove "column" from {op}'
        )
    elif column is None and op not in COLUMN_OPTIONAL_OPS | COLUMN_FORBIDDEN_OPS:
        yield error(
            "column_required",
            f"{op} requires a column",
            f"{path}.column",
            f'add "column": the numeric column to compute {op} of, e.g. "duration_ms"',
        )


def check_calculation_names(raw: dict[str, Any]) -> Iterator[Finding]:
    """A calculation with filters needs a name; names are unique across calculations and formulas."""
    seen: dict[str, str] = {}
    pairs: dict[tuple[str, str | None], int] = {}
    for i, calc in items(raw, "calculations"):
        name = text(calc, "name")
        if is_array(calc.get("filters")) and calc["filters"] and name is None and calc.get("name") is None:
            yield error(
                "name_required",
                "a calculation with filters needs a name",
                f"calculations[{i}].name",
                'add "name", e.g. "errors"',
            )
        if name:
            if name in seen:
                yield error(
                    "duplicate_name",
                    f"name {name!r} is already used by {seen[name]}",
                    f"calculations[{i}].name",
                    "give each calculation a different name",
                )
            seen.setdefault(name, f"calculations[{i}]")
        op = text(calc, "op")
        if op and not name and not calc.get("filters"):
            key = (op, text(calc, "column"))
            if key in pairs:
                yield warning(
                    "duplicate_calculation",
                    f"{pair_label(*key)} is computed twice",
                    f"calculations[{i}]",
                    "remove the repeated calculation",
                )
            pairs.setdefault(key, i)
    for i, formula in items(raw, "formulas"):
        name = text(formula, "name")
        if name and name in seen:
            yield error(
                "duplicate_name",
                f"name {name!r} is already used by {seen[name]}",
                f"formulas[{i}].name",
                "give each formula and calculation a different name",
            )
        if name:
            seen.setdefault(name, f"formulas[{i}]")


def check_filter_combinations(raw: dict[str, Any]) -> Iterator[Finding]:
    """``filter_combination`` (top level and per calculation) is ``AND`` or ``OR``."""
    places = [("filter_combination", text(raw, "filter_combination"))]
    places += [
        (f"calculations[{i}].filter_combination", text(c, "filter_combination"))
        for i, c in items(raw, "calculations")
    ]
    for path, value in places:
        if value is not None and value not in ("AND", "OR"):
            fix = (
                f"use {value.strip().upper()!r}"
                if value.strip().upper() in ("AND", "OR")
                else 'use "AND" or "OR"'
            )
            yield error(
                "invalid_filter_combination",
                f"filter_combination must be AND or OR, got {value!r}",
                path,
                fix,
            )


# --------------------------------------------------------------------------- filters


def check_filter_ops(raw: dict[str, Any]) -> Iterator[Finding]:
    """Every filter op is one of the 16 filter ops."""
    for path, f, _ in all_filters(raw):
        op = text(f, "op")
        if op is not None and op not in FILTER_OPS:
            fix = suggest_filter_op(op)
            hint = f"use {fix!r}" if fix else f"use one of {', '.join(FILTER_OPS)}"
            yield error("unknown_op", f"unknown filter op {op!r}", f"{path}.op", hint)


def check_filter_values(raw: dict[str, Any]) -> Iterator[Finding]:
    """No value for exists/does-not-exist, a list for in/not-in, a string for string ops, else a scalar."""
    for path, f, _ in all_filters(raw):
        op = text(f, "op")
        if op in FILTER_OPS:
            yield from _filter_value(op, f.get("value"), path)


def _filter_value(op: str, value: Any, path: str) -> Iterator[Finding]:
    where = f"{path}.value"
    if op in UNARY_FILTER_OPS:
        if value is not None:
            yield error("value_forbidden", f"{op} does not take a value", where, 'remove "value"')
        return
    if value is None:
        yield error(
            "value_required",
            f"operator {op} requires a value",
            where,
            'use "exists"/"does-not-exist" to test for presence' if op in ("=", "!=") else None,
        )
        return
    if op in LIST_FILTER_OPS:
        if isinstance(value, str) and "," in value:
            parts = [p.strip() for p in value.split(",")]
            yield error(
                "value_not_list", f"{op} takes a list of values, got a string", where, f"use {as_json(parts)}"
            )
        elif not is_array(value):
            yield error(
                "value_not_list",
                f"{op} takes a list of values, got {json_type(value)}",
                where,
                f"use [{as_json(value)}]",
            )
        elif not value:
            effect = "would match no event" if op == "in" else "would exclude nothing"
            yield error(
                "empty_list",
                f"{op} needs at least one value (an empty list {effect})",
                where,
                "list the values, or remove the filter",
            )
        else:
            for k, v in enumerate(value):
                if not _is_scalar(v):
                    yield error(
                        "value_not_scalar",
                        f"{op} list items must be strings, numbers or booleans, got {json_type(v)}",
                        f"{where}[{k}]",
                    )
        return
    if is_array(value):
        fix = {"=": "in", "!=": "not-in"}.get(op)
        yield error(
            "value_not_scalar",
            f"{op} takes one value, got a list",
            where,
            f'use "op": "{fix}" for a list' if fix else "use a single value",
        )
    elif not _is_scalar(value):
        yield error(
            "value_not_scalar", f"{op} takes a string, number or boolean, got {json_type(value)}", where
        )
    elif op in STRING_FILTER_OPS and not isinstance(value, str):
        yield error(
            "value_not_string",
            f"{op} compares text and takes a string, got {json_type(value)}",
            where,
            f"use {_as_json_string(value)}",
        )
    elif op in ORDERED_COMPARISONS and isinstance(value, bool):
        yield warning("value_not_comparable", f"{op} on a boolean is meaningless", where, 'use "=" or "!="')


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | bool) or is_number(value)


def _as_json_string(value: Any) -> str:
    if isinstance(value, bool):
        return '"true"' if value else '"false"'
    return f'"{value}"'


def check_duplicates(raw: dict[str, Any]) -> Iterator[Finding]:
    """Repeated breakdowns or identical filters are almost always a slip (warning)."""
    seen_b: set[str] = set()
    breakdowns = raw.get("breakdowns")
    for i, b in enumerate(breakdowns if is_array(breakdowns) else ()):
        if isinstance(b, str):
            if b in seen_b:
                yield warning("duplicate_breakdown", f"breakdown {b!r} is listed twice", f"breakdowns[{i}]")
            seen_b.add(b)
    seen_f: set[str] = set()
    for path, f, _ in all_filters(raw):
        try:
            key = repr((path.rsplit("filters[", 1)[0], f.get("column"), f.get("op"), f.get("value")))
        except (RecursionError, ValueError):  # absurd nesting or a 4300-digit int: reported elsewhere
            continue
        if key in seen_f:
            yield warning("duplicate_filter", "this filter repeats an earlier one", path, "remove it")
        seen_f.add(key)


CALCULATION_RULES: tuple[StructureRule, ...] = (
    check_calculation_ops,
    check_calculation_columns,
    check_calculation_names,
    check_filter_combinations,
)
FILTER_RULES: tuple[StructureRule, ...] = (check_filter_ops, check_filter_values, check_duplicates)
