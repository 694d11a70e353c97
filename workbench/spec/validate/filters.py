"""Filters against data, for the semantic rules: a filter's value against its
column's type and known domain, evaluating a filter on a value, and finding
filters combined with AND that cannot all be true.

Contradictions are found per column: the values that ``=``/``in`` filters allow
are tested against every other filter on that column; ``>``/``<`` bounds are
intersected; ``exists`` meets ``does-not-exist``. Anything this module cannot
decide (mixed types, a string compared with a number) counts as satisfiable, so
a warning here is always a real contradiction.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from workbench.core.findings import Finding, error, warning
from workbench.schema.columns import ColumnInfo
from workbench.spec.query import LIST_FILTER_OPS, STRING_FILTER_OPS, Filter, QuerySpec
from workbench.spec.validate.shape import json_type
from workbench.spec.validate.suggest import as_json, closest, quoted, show

_NUMBER = re.compile(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*")
_STRING_TESTS = {
    "starts-with": str.startswith, "start-with": str.startswith, "ends-with": str.endswith,
    "end-with": str.endswith, "contains": str.__contains__, "contain": str.__contains__,
}  # fmt: skip
#: ops that keep only events whose value matches (so a miss empties the filter).
POSITIVE_OPS = frozenset({"=", "in", ">", ">=", "<", "<=", "starts-with", "ends-with", "contains"})
ORDERED_OPS = frozenset({">", ">=", "<", "<="})


def spec_filters(spec: QuerySpec) -> Iterator[tuple[str, Filter, str]]:
    """``(path, filter, group)`` for top-level filters (group ``""``) and each calculation's (``calculations[i]``)."""
    for i, f in enumerate(spec.filters):
        yield f"filters[{i}]", f, ""
    for i, c in enumerate(spec.calculations):
        for j, f in enumerate(c.filters or ()):
            yield f"calculations[{i}].filters[{j}]", f, f"calculations[{i}]"


def to_number(value: Any) -> int | float | None:
    """``"500"`` -> 500, ``"2.5"`` -> 2.5; numbers pass through; anything else -> ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if not isinstance(value, str) or len(value) > 40 or not _NUMBER.fullmatch(value):
        return None
    try:
        return int(value)
    except ValueError:
        number = float(value)
        return number if math.isfinite(number) else None


def value_key(value: Any) -> tuple[str, Any]:
    """A type-aware key, so that ``True`` and ``1`` (equal in Python) stay different values."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("num", value)
    if isinstance(value, str):
        return ("str", value)
    return ("other", repr(value))


def _comparable(a: Any, b: Any) -> bool:
    num = (
        isinstance(a, int | float)
        and isinstance(b, int | float)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    )
    return num or (isinstance(a, str) and isinstance(b, str))


def matches(op: str, actual: Any, value: Any) -> bool | None:
    """Whether an event whose column holds ``actual`` passes ``op value``; ``None`` when undecidable."""
    try:
        if op == "exists":
            return True
        if op == "does-not-exist":
            return False
        if op in ("=", "!="):
            same = value_key(actual) == value_key(value)
            return same if op == "=" else not same
        if op in ("in", "not-in"):
            if not isinstance(value, list | tuple):
                return None
            inside = value_key(actual) in {value_key(v) for v in value}
            return inside if op == "in" else not inside
        if op in (">", ">=", "<", "<="):
            if not _comparable(actual, value):
                return None
            return {">": actual > value, ">=": actual >= value, "<": actual < value, "<=": actual <= value}[
                op
            ]
        test = _STRING_TESTS.get(op.removeprefix("does-not-"))
        if test is not None and isinstance(actual, str) and isinstance(value, str):
            return test(actual, value) != op.startswith("does-not-")
    except TypeError:
        return None
    return None


def _values(path: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, list | tuple):
        return [(f"{path}.value[{k}]", v) for k, v in enumerate(value)]
    return [(f"{path}.value", value)]


def type_findings(path: str, op: str, value: Any, col: ColumnInfo) -> Iterator[Finding]:
    """Findings for one filter's op and value against ``col``'s type."""
    name, kind = col.name, col.type
    if kind == "timestamp":
        yield warning(
            "filter_on_timestamp",
            f"filtering on {name!r} bypasses the query's time window",
            f"{path}.column",
            "use time_range or start_time/end_time",
        )
        return
    if col.is_numeric and op in STRING_FILTER_OPS:
        yield warning(
            "string_op_on_numeric",
            f"{op} on the {kind} column {name!r} compares the number as text",
            f"{path}.op",
            "use numeric comparisons, e.g. >= 400 and < 500 for 4xx",
        )
        return
    if kind == "boolean" and (op in STRING_FILTER_OPS or op in ORDERED_OPS):
        yield error(
            "op_type_mismatch",
            f"{op} does not apply to the boolean column {name!r}",
            f"{path}.op",
            'use "=" with true or false',
        )
        return
    for where, v in _values(path, value):
        if col.is_numeric:
            if isinstance(v, bool):
                yield error(
                    "value_type_mismatch",
                    f"{name!r} is {kind}; {show(v)} is a boolean",
                    where,
                    "use a number",
                )
            elif isinstance(v, str):
                num = to_number(v)
                if num is None:
                    yield error(
                        "value_type_mismatch",
                        f"{name!r} is {kind}; {show(v)} is not a number",
                        where,
                        "use a number",
                    )
                else:
                    yield warning(
                        "value_coerced",
                        f"{name!r} is {kind}; the string {show(v)} is compared as the number {num}",
                        where,
                        f"use {num} (no quotes)",
                    )
        elif kind == "boolean" and not isinstance(v, bool):
            word = str(v).strip().lower()
            fix = {"true": "true", "1": "true", "false": "false", "0": "false"}.get(word)
            yield error(
                "value_type_mismatch",
                f"{name!r} is boolean; {show(v)} is a {json_type(v)}",
                where,
                f"use {fix} (a JSON boolean, no quotes)" if fix else "use true or false",
            )
        elif kind == "string" and not isinstance(v, str):
            if op in ORDERED_OPS:
                yield warning(
                    "value_coerced",
                    f"{name!r} is a string column: {op} {show(v)} compares text, so '10' sorts before '9'",
                    where,
                )
            else:
                yield warning(
                    "value_coerced",
                    f"{name!r} is a string column; {show(v)} is compared as the text {as_json(_text(v))}",
                    where,
                    f"use {as_json(_text(v))}",
                )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def domain_findings(path: str, op: str, value: Any, col: ColumnInfo) -> Iterator[Finding]:
    """Findings for one filter against ``col.values`` (the column's full domain)."""
    domain = tuple(col.values or ())
    shown = quoted(sorted(domain, key=str))
    if op in ("=", "!=") or op in LIST_FILTER_OPS:
        keys = {value_key(d) for d in domain}
        positive = op in ("=", "in")
        for where, v in _values(path, value):
            v2 = to_number(v) if col.is_numeric and isinstance(v, str) else v
            if value_key(v2) in keys:
                continue
            same_case = [
                d for d in domain if isinstance(d, str) and isinstance(v, str) and d.lower() == v.lower()
            ]
            if same_case:
                yield error(
                    "value_case_mismatch",
                    f"{show(v)} is not a value of {col.name!r}: values are case sensitive",
                    where,
                    f"use {same_case[0]!r}",
                )
                continue
            effect = (
                "this filter matches no event (empty result)" if positive else "this filter has no effect"
            )
            near = closest(v, [d for d in domain if isinstance(d, str)], n=1) if isinstance(v, str) else []
            yield warning(
                "value_not_in_domain",
                f"{show(v)} is not a value of {col.name!r}: {effect}",
                where,
                (f"did you mean {near[0]!r}? " if near else "") + f"values: {shown}",
            )
    elif op in POSITIVE_OPS and not isinstance(value, list | tuple):
        if any(matches(op, d, value) for d in domain):
            return
        fold = [
            d
            for d in domain
            if isinstance(d, str) and isinstance(value, str) and matches(op, d.lower(), value.lower())
        ]
        if fold:
            yield error(
                "value_case_mismatch",
                f"no value of {col.name!r} {op} {show(value)}: values are case sensitive",
                f"{path}.value",
                f"use the case of {fold[0]!r}",
            )
        else:
            yield warning(
                "value_not_in_domain",
                f"no value of {col.name!r} {op} {show(value)}: this filter matches no event (empty result)",
                f"{path}.value",
                f"values: {shown}",
            )


def contradictions(spec: QuerySpec) -> Iterator[Finding]:
    """Warnings for columns whose AND-combined filters cannot all hold (top level and per calculation)."""
    groups: dict[tuple[str, str], list[tuple[str, Filter]]] = {}
    combination = {"": spec.filter_combination}
    for i, c in enumerate(spec.calculations):
        combination[f"calculations[{i}]"] = c.filter_combination or "AND"
    for path, f, group in spec_filters(spec):
        if combination[group] == "AND":
            groups.setdefault((group, f.column), []).append((path, f))
    for (_, column), filters in groups.items():
        if len(filters) > 1:
            found = _column_contradiction(column, filters)
            if found:
                yield found


def _column_contradiction(column: str, filters: list[tuple[str, Filter]]) -> Finding | None:
    ops = {f.op for _, f in filters}
    last = filters[-1][0]
    if "does-not-exist" in ops and ops & (POSITIVE_OPS | {"exists"}):
        path = next(p for p, f in filters if f.op == "does-not-exist")
        return _empty(column, "cannot both be missing (does-not-exist) and have a value", path)
    allowed = _allowed_values(filters)
    if allowed is not None and not allowed:
        listed = "; ".join(f"{f.op} {show(f.value)}" for _, f in filters if f.op in ("=", "in"))
        return _empty(column, f"no value satisfies all of {listed}", last, _in_fix(filters))
    if allowed:
        survivors = [v for v in allowed if all(matches(f.op, v, f.value) is not False for _, f in filters)]
        if not survivors:
            shown = ", ".join(show(v) for v in allowed)
            return _empty(column, f"the other filters exclude {shown}", last)
    bounds = _bounds(filters)
    if bounds:
        return _empty(column, f"the range {bounds} is empty", last)
    return None


def _allowed_values(filters: list[tuple[str, Filter]]) -> list[Any] | None:
    allowed: list[Any] | None = None
    for _, f in filters:
        if f.op == "=":
            values = [f.value]
        elif f.op == "in" and isinstance(f.value, list | tuple):
            values = list(f.value)
        else:
            continue
        if allowed is None:
            allowed = values
        else:
            keys = {value_key(v) for v in values}
            allowed = [v for v in allowed if value_key(v) in keys]
    return allowed


def _in_fix(filters: list[tuple[str, Filter]]) -> str | None:
    equals = [f.value for _, f in filters if f.op == "="]
    if len(equals) == len(filters) and len(equals) > 1:
        return f'use one filter {{"op": "in", "value": {as_json(equals)}}}, or filter_combination "OR"'
    return None


def _bounds(filters: list[tuple[str, Filter]]) -> str | None:
    lo: tuple[Any, bool] | None = None  # (value, inclusive)
    hi: tuple[Any, bool] | None = None
    for _, f in filters:
        v = f.value
        if isinstance(v, bool) or not isinstance(v, int | float):
            continue
        if f.op in (">", ">=") and (lo is None or v > lo[0] or (v == lo[0] and f.op == ">")):
            lo = (v, f.op == ">=")
        elif f.op in ("<", "<=") and (hi is None or v < hi[0] or (v == hi[0] and f.op == "<")):
            hi = (v, f.op == "<=")
    if lo is None or hi is None:
        return None
    if lo[0] > hi[0] or (lo[0] == hi[0] and not (lo[1] and hi[1])):
        return f"{'>=' if lo[1] else '>'} {show(lo[0])} and {'<=' if hi[1] else '<'} {show(hi[0])}"
    return None


def _empty(column: str, why: str, path: str, fix: str | None = None) -> Finding:
    return warning(
        "contradictory_filters",
        f"filters on {column!r} cannot all be true: {why}; the result will be empty",
        path,
        fix or "check the values, or use filter_combination OR",
    )
