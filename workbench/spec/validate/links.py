"""Structural rules that link one part of a spec to another (no dataset needed).

Orders and havings must refer to a calculation, breakdown or name; formulas
refer to named calculations; relational columns (``root.``, ``parent.``...)
are limited when formulas or calculation filters are present. Sources and the
choices where they disagree: ``shared/QUERY_SPEC_RULES.md`` sections 5, 6, 9, 12.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from workbench.core.findings import Finding, error
from workbench.spec.query import (
    CALC_OPS,
    COLUMN_FORBIDDEN_OPS,
    COLUMN_OPTIONAL_OPS,
    HAVING_OPS,
    RELATIONAL_PREFIXES,
)
from workbench.spec.validate.shape import all_filters, is_array, is_number, items, json_type, text
from workbench.spec.validate.structure import (
    StructureRule,
    calc_pairs,
    names_of,
    op_column_findings,
    pair_label,
    unknown_calc_op,
)
from workbench.spec.validate.suggest import as_json, quoted, show, suggest_filter_op


def _is_relational(column: Any) -> bool:
    return isinstance(column, str) and column.startswith(RELATIONAL_PREFIXES)


# --------------------------------------------------------------------------- orders and havings


def check_orders(raw: dict[str, Any]) -> Iterator[Finding]:
    """Each order names a breakdown, a calculation (op+column) or a named calculation/formula; never HEATMAP."""
    calcs = calc_pairs(raw)
    pairs = {(op, col) for op, col, _ in calcs}
    named = {n for _, _, n in calcs if n} | names_of(raw, "formulas")
    value = raw.get("breakdowns")
    breakdowns = {b for b in value if isinstance(b, str)} if is_array(value) else set()
    for i, order in items(raw, "orders"):
        path = f"orders[{i}]"
        op, column, direction = text(order, "op"), text(order, "column"), text(order, "order")
        if direction is not None and direction not in ("ascending", "descending"):
            low = direction.strip().lower()
            fix = {"asc": "ascending", "desc": "descending"}.get(
                low, low if low in ("ascending", "descending") else None
            )
            yield error(
                "invalid_order",
                f'order must be "ascending" or "descending", got {direction!r}',
                f"{path}.order",
                f"use {fix!r}" if fix else 'use "ascending" or "descending"',
            )
        if op is not None and op not in CALC_OPS:
            yield unknown_calc_op(op, f"{path}.op")
            continue
        if (order.get("op") is not None and op is None) or (
            order.get("column") is not None and column is None
        ):
            continue  # wrong type, reported by the shape rules
        if op == "HEATMAP":
            yield error(
                "order_heatmap",
                "cannot order by HEATMAP",
                f"{path}.op",
                "order by another calculation or a breakdown",
            )
        elif op is None and column is None:
            yield error(
                "order_empty",
                'an order needs "op" and/or "column"',
                path,
                'e.g. {"op": "COUNT", "order": "descending"}',
            )
        elif op is not None and column is None and op not in COLUMN_OPTIONAL_OPS | COLUMN_FORBIDDEN_OPS:
            yield error(
                "column_required",
                f"ordering by {op} requires a column",
                f"{path}.column",
                _order_fix(op, calcs),
            )
        elif op is not None and (op, column) not in pairs:
            yield error(
                "order_unmatched",
                f"order {pair_label(op, column)} matches no calculation",
                path,
                _order_fix(op, calcs, column)
                or f"add {as_json({'op': op, 'column': column} if column else {'op': op})} to calculations",
            )
        elif op is None and column not in breakdowns and column not in named:
            yield error(
                "order_unmatched",
                f"order column {column!r} is neither a breakdown nor a named calculation or formula",
                path,
                _order_fix(None, calcs, column, breakdowns),
            )


def _order_fix(
    op: str | None,
    calcs: list[tuple[str, str | None, str | None]],
    column: str | None = None,
    breakdowns: set[str] | None = None,
) -> str | None:
    same_col = [(o, c) for o, c, _ in calcs if column and c == column and o != "HEATMAP"]
    if same_col:
        o, c = same_col[0]
        return f"use {as_json({'op': o, 'column': c})} to order by {pair_label(o, c)}"
    same_op = [(o, c) for o, c, _ in calcs if o == op]
    if same_op:
        o, c = same_op[0]
        return f"use {as_json({'op': o, 'column': c} if c else {'op': o})}"
    if column is not None and op is None:
        return f"add {column!r} to breakdowns, or order by one of the calculations"
    return None


def check_havings(raw: dict[str, Any]) -> Iterator[Finding]:
    """Havings: calculate_op not HEATMAP, op in = != > >= < <=, numeric value, matching a calculation."""
    calcs = calc_pairs(raw)
    pairs = {(op, col) for op, col, _ in calcs}
    named = {(op, n) for op, _, n in calcs if n}
    formulas = names_of(raw, "formulas")
    for i, having in items(raw, "havings"):
        path = f"havings[{i}]"
        cop, op, column, value = (
            text(having, "calculate_op"),
            text(having, "op"),
            text(having, "column"),
            having.get("value"),
        )
        if op is not None and op not in HAVING_OPS:
            fix = suggest_filter_op(op)
            yield error(
                "unknown_op",
                f"unknown having op {op!r}",
                f"{path}.op",
                f"use {fix!r}" if fix in HAVING_OPS else f"use one of {' '.join(HAVING_OPS)}",
            )
        if value is not None and not is_number(value):
            fix = f"use {value.strip()}" if isinstance(value, str) and _numeric(value) else "use a number"
            yield error(
                "wrong_type",
                f"having value must be a number, got {json_type(value)} {show(value)}",
                f"{path}.value",
                fix,
            )
        if cop is None or (having.get("column") is not None and column is None):
            continue
        if cop == "HEATMAP":
            yield error("having_heatmap", "a having cannot use HEATMAP", f"{path}.calculate_op")
            continue
        if cop not in CALC_OPS:
            yield unknown_calc_op(cop, f"{path}.calculate_op")
            continue
        if column in formulas or (cop, column) in named:
            continue
        column_findings = list(op_column_findings(cop, column, path))
        yield from column_findings
        if not column_findings and (cop, column) not in pairs:
            have = quoted([pair_label(o, c) for o, c, _ in calcs])
            yield error(
                "having_unmatched",
                f"having on {pair_label(cop, column)} matches no calculation (the query computes {have})",
                f"{path}.calculate_op",
                f"add {pair_label(cop, column)} to calculations",
            )


def _numeric(value: str) -> bool:
    return bool(re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", value))


# --------------------------------------------------------------------------- relational fields, formulas


def check_relational(raw: dict[str, Any]) -> Iterator[Finding]:
    """No relational columns in calculation filters, nor in filters/breakdowns with formulas or calc filters."""
    calc_filters = False
    for path, f, in_calc in all_filters(raw):
        if in_calc:
            calc_filters = True
            if _is_relational(f.get("column")):
                yield error(
                    "relational_not_allowed",
                    "relational fields are not supported in calculation filters",
                    f"{path}.column",
                    f"use the plain column name, e.g. {f['column'].split('.', 1)[1]!r}",
                )
    formulas = is_array(raw.get("formulas")) and bool(raw["formulas"])
    if not (formulas or calc_filters):
        return
    why = "formulas" if formulas else "calculation filters"
    places = [(f"{p}.column", f.get("column")) for p, f, in_calc in all_filters(raw) if not in_calc]
    breakdowns = raw.get("breakdowns")
    places += [(f"breakdowns[{i}]", b) for i, b in enumerate(breakdowns if is_array(breakdowns) else ())]
    for path, column in places:
        if _is_relational(column):
            yield error(
                "relational_not_allowed", f"relational fields are not supported when using {why}", path
            )


def check_named_expressions(raw: dict[str, Any]) -> Iterator[Finding]:
    """Calculated fields and formulas: unique names, balanced expressions, formulas refer to named calculations."""
    for key in ("calculated_fields", "formulas"):
        seen: set[str] = set()
        for i, d in items(raw, key):
            name, expr = text(d, "name"), text(d, "expression")
            if key == "calculated_fields" and name:
                if name in seen:
                    yield error(
                        "duplicate_name", f"calculated field {name!r} is defined twice", f"{key}[{i}].name"
                    )
                seen.add(name)
            if expr and expr.strip() and not _balanced(expr):
                yield error(
                    "invalid_expression",
                    f"expression {show(expr)} has unbalanced parentheses or quotes",
                    f"{key}[{i}].expression",
                )
    calc_names = {n for _, _, n in calc_pairs(raw) if n}
    for i, d in items(raw, "formulas"):
        expr = text(d, "expression") or ""
        for ref in dict.fromkeys(re.findall(r"\$([A-Za-z_][\w.]*)", expr)):
            if ref not in calc_names:
                yield error(
                    "unknown_reference",
                    f"formula refers to ${ref}, which is not a named calculation",
                    f"formulas[{i}].expression",
                    f"name a calculation {ref!r}"
                    if not calc_names
                    else f"use one of {quoted(sorted(calc_names))}",
                )
    if is_array(raw.get("formulas")) and raw["formulas"]:
        for i, calc in items(raw, "calculations"):
            if calc.get("op") == "HEATMAP":
                yield error(
                    "heatmap_with_formulas",
                    "HEATMAP calculations cannot be used with formulas",
                    f"calculations[{i}].op",
                )


def _balanced(expr: str) -> bool:
    depth, quote = 0, ""
    for ch in expr:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0 and not quote


LINK_RULES: tuple[StructureRule, ...] = (
    check_orders,
    check_havings,
    check_relational,
    check_named_expressions,
)
