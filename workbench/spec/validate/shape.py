"""Shape rules: which keys a query spec may have and what JSON type each holds.

These run on arbitrary JSON (whatever a model or a file gave us) before any
Honeycomb rule: only known keys, the right JSON type for every field, required
keys present, at most 100 items per array. ``null`` counts as absent, as
strict-mode tool calls send it. Later rules only look at well-typed fields, so
a wrong type is reported once, here.

Helpers at the bottom (``items``, ``all_filters``, ``is_int``...) are shared
with ``validate_structure``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from typing import Any

from workbench.core.findings import Finding, error, info
from workbench.spec.query import MAX_ITEMS, TOP_LEVEL_KEYS
from workbench.spec.validate.suggest import as_json, closest, parse_duration, show

#: keys the Queries API returns and ignores on input.
READ_ONLY_KEYS: tuple[str, ...] = ("id",)
#: keys people (and models) use for a known field, from other query languages and dialects.
KEY_ALIASES: dict[str, str] = {
    "query_window": "time_range", "timerange": "time_range", "time_window": "time_range",
    "duration": "time_range", "range": "time_range", "start": "start_time", "end": "end_time",
    "from": "start_time", "to": "end_time", "since": "start_time", "until": "end_time",
    "group_by": "breakdowns", "groupby": "breakdowns", "group": "breakdowns", "dimensions": "breakdowns",
    "order_by": "orders", "orderby": "orders", "sort": "orders", "sort_by": "orders",
    "where": "filters", "having": "havings", "aggregations": "calculations", "metrics": "calculations",
    "select": "calculations", "combination": "filter_combination", "filter_op": "filter_combination",
    "top": "limit", "max_results": "limit", "bucket": "granularity", "interval": "granularity",
    "step": "granularity", "resolution": "granularity",
}  # fmt: skip
#: keys that wrap a whole spec (tool-call envelopes, board exports).
WRAPPER_KEYS: tuple[str, ...] = (
    "query",
    "spec",
    "query_spec",
    "queryspec",
    "arguments",
    "parameters",
    "input",
)

INT_FIELDS: tuple[str, ...] = (
    "limit", "time_range", "start_time", "end_time", "granularity", "compare_time_offset_seconds",
)  # fmt: skip
OBJECT_ARRAYS: tuple[str, ...] = (
    "calculations",
    "filters",
    "orders",
    "havings",
    "calculated_fields",
    "formulas",
)

#: per array item: key -> (required, JSON type checked here or None when a later rule checks it).
ITEM_FIELDS: dict[str, dict[str, tuple[bool, str | None]]] = {
    "calculations": {
        "op": (True, "string"), "column": (False, "string"), "name": (False, "string"),
        "filters": (False, "array"), "filter_combination": (False, "string"),
    },
    "filters": {"column": (True, "string"), "op": (True, "string"), "value": (False, None)},
    "orders": {"op": (False, "string"), "column": (False, "string"), "order": (False, "string")},
    "havings": {
        "calculate_op": (True, "string"), "column": (False, "string"), "op": (True, "string"),
        "value": (True, None),
    },
    "calculated_fields": {"name": (True, "string"), "expression": (True, "string")},
    "formulas": {"name": (True, "string"), "expression": (True, "string")},
}  # fmt: skip
ITEM_KEY_ALIASES: dict[str, str] = {
    "field": "column", "key": "column", "attribute": "column", "col": "column", "values": "value",
    "operator": "op", "operation": "op", "calculation": "op", "aggregation": "op", "agg": "op",
    "direction": "order", "sort": "order", "alias": "name", "label": "name", "expr": "expression",
    "formula": "expression", "calc_op": "calculate_op", "calculation_op": "calculate_op",
}  # fmt: skip
_FLOAT_MAX = int(sys.float_info.max)
_NON_EMPTY = frozenset({"column", "name", "expression"})


# --------------------------------------------------------------------------- helpers


def is_int(value: Any) -> bool:
    """A JSON integer: ``int`` but not ``bool`` (``True`` is not ``1`` here)."""
    return isinstance(value, int) and not isinstance(value, bool)


def int64(value: Any) -> int | None:
    """``value`` when it is an integer that fits Honeycomb's 64-bit fields, else ``None``."""
    return value if is_int(value) and -(2**63) <= value < 2**63 else None


def is_number(value: Any) -> bool:
    """A finite JSON number (int or float, not bool) that a 64-bit float can hold, as Honeycomb reads it."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= _FLOAT_MAX
    return isinstance(value, float) and math.isfinite(value)


def is_array(value: Any) -> bool:
    return isinstance(value, list | tuple)


def json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer" if abs(value) <= _FLOAT_MAX else "integer too large for a 64-bit number"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if is_array(value):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def items(raw: dict[str, Any], key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(index, item)`` for the object items of array field ``key`` (other items are skipped)."""
    value = raw.get(key)
    if is_array(value):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield i, item


def all_filters(raw: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """``(path, filter, in_calculation)`` for top-level filters and every calculation's filters."""
    for i, f in items(raw, "filters"):
        yield f"filters[{i}]", f, False
    for i, calc in items(raw, "calculations"):
        for j, f in items(calc, "filters"):
            yield f"calculations[{i}].filters[{j}]", f, True


def text(d: dict[str, Any], key: str) -> str | None:
    """``d[key]`` when it is a string, else ``None``."""
    value = d.get(key)
    return value if isinstance(value, str) else None


def _type_ok(value: Any, expected: str) -> bool:
    if expected == "string":
        return isinstance(value, str)
    if expected == "array":
        return is_array(value)
    if expected == "integer":
        return is_int(value)
    if expected == "boolean":
        return isinstance(value, bool)
    return True


def _key_suggestion(key: str, known: tuple[str, ...], aliases: dict[str, str]) -> str | None:
    lowered = key.lower().replace("-", "_").replace(" ", "_")
    if lowered in known:
        return f"use {lowered!r}"
    if lowered in aliases and aliases[lowered] in known:
        return f"use {aliases[lowered]!r}"
    hits = closest(key, known, n=1)
    return f"did you mean {hits[0]!r}?" if hits else f"known keys: {', '.join(known)}"


# --------------------------------------------------------------------------- rules


def check_top_level_keys(raw: dict[str, Any]) -> Iterator[Finding]:
    """Only Honeycomb's top-level keys; ``id`` (read-only) is ignored with a note."""
    for key in raw:
        name = str(key)
        if name in TOP_LEVEL_KEYS:
            continue
        if name in READ_ONLY_KEYS:
            yield info("read_only_field", f"{name!r} is read-only in Honeycomb and is ignored", name)
            continue
        if name.lower() in WRAPPER_KEYS and isinstance(raw[key], dict):
            yield error(
                "unknown_field",
                f"unknown top-level key {name!r}: the spec seems wrapped in another object",
                name,
                f"put the fields of {name!r} at the top level",
            )
            continue
        yield error(
            "unknown_field",
            f"unknown top-level key {name!r}",
            name,
            _key_suggestion(name, TOP_LEVEL_KEYS, KEY_ALIASES),
        )


def check_field_types(raw: dict[str, Any]) -> Iterator[Finding]:
    """Top-level fields hold the right JSON type (integers are never booleans or strings)."""
    for key in INT_FIELDS:
        value = raw.get(key)
        if value is None or int64(value) is not None:
            continue
        if is_int(value):
            yield error("wrong_type", f"{key} does not fit a 64-bit integer", key, "use a realistic number")
            continue
        yield error(
            "wrong_type",
            f"{key} must be an integer, got {json_type(value)} {show(value)}",
            key,
            _int_fix(key, value),
        )
    for key in ("filter_combination",):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            yield error(
                "wrong_type", f"{key} must be a string, got {json_type(value)}", key, 'use "AND" or "OR"'
            )
    value = raw.get("usage_mode")
    if value is not None and not isinstance(value, bool):
        yield error("wrong_type", f"usage_mode must be true or false, got {json_type(value)}", "usage_mode")
    for key in (*OBJECT_ARRAYS, "breakdowns"):
        value = raw.get(key)
        if value is None or is_array(value):
            continue
        fix = None
        if isinstance(value, dict) and key in OBJECT_ARRAYS:
            fix = "wrap the object in a list: [{...}]"
        elif isinstance(value, str) and key == "breakdowns":
            fix = f"use a list: [{as_json(value)}]"
        yield error("wrong_type", f"{key} must be an array, got {json_type(value)}", key, fix)


def _int_fix(key: str, value: Any) -> str | None:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return f"use {int(value)} (no decimal point)"
    if isinstance(value, str):
        seconds = parse_duration(value)
        if seconds is not None and key in ("time_range", "granularity", "compare_time_offset_seconds"):
            return f"use {seconds} (seconds, as a number)"
        if seconds is not None and value.strip().lstrip("-").isdigit():
            return f"use {value.strip()} (a number, not a string)"
        if key in ("start_time", "end_time"):
            return "use Unix epoch seconds as a number, e.g. 1795176000"
    if isinstance(value, bool):
        return "use a number"
    return None


def check_array_sizes(raw: dict[str, Any]) -> Iterator[Finding]:
    """At most 100 items per array, top-level and in calculation filters (OAPI ``maxItems``)."""
    arrays: list[tuple[str, Any]] = [(k, raw.get(k)) for k in (*OBJECT_ARRAYS, "breakdowns")]
    arrays += [(f"calculations[{i}].filters", c.get("filters")) for i, c in items(raw, "calculations")]
    for path, value in arrays:
        if is_array(value) and len(value) > MAX_ITEMS:
            yield error(
                "too_many_items",
                f"{path} has {len(value)} items; Honeycomb allows at most {MAX_ITEMS}",
                path,
                f"keep at most {MAX_ITEMS}",
            )


def check_items(raw: dict[str, Any]) -> Iterator[Finding]:
    """Every array item is an object with known keys, its required keys, and string fields as strings."""
    for key, fields in ITEM_FIELDS.items():
        value = raw.get(key)
        if not is_array(value):
            continue
        for i, item in enumerate(value):
            yield from _check_item(f"{key}[{i}]", item, fields, key)
            if key == "calculations" and isinstance(item, dict) and is_array(item.get("filters")):
                for j, f in enumerate(item["filters"]):
                    yield from _check_item(f"{key}[{i}].filters[{j}]", f, ITEM_FIELDS["filters"], "filters")
    breakdowns = raw.get("breakdowns")
    if is_array(breakdowns):
        for i, b in enumerate(breakdowns):
            if not isinstance(b, str):
                yield error(
                    "wrong_type",
                    f"a breakdown must be a column name (string), got {json_type(b)}",
                    f"breakdowns[{i}]",
                )
            elif not b.strip():
                yield error("empty_string", "a breakdown must name a column", f"breakdowns[{i}]")


def _check_item(
    path: str, item: Any, fields: dict[str, tuple[bool, str | None]], kind: str
) -> Iterator[Finding]:
    what = kind.rstrip("s").replace("_", " ")
    if not isinstance(item, dict):
        yield error(
            "wrong_type",
            f"each item of {kind} must be an object, got {json_type(item)}",
            path,
            _item_fix(kind, item),
        )
        return
    known = tuple(fields)
    for key in item:
        if str(key) not in fields:
            yield error(
                "unknown_field",
                f"unknown key {str(key)!r} in {what}",
                f"{path}.{key}",
                _key_suggestion(str(key), known, ITEM_KEY_ALIASES),
            )
    for key, (required, expected) in fields.items():
        value = item.get(key)
        if value is None:
            if required:
                yield error("missing_field", f"{what} needs {key!r}", f"{path}.{key}")
            continue
        if expected and not _type_ok(value, expected):
            yield error(
                "wrong_type",
                f"{key} must be a {expected}, got {json_type(value)} {show(value)}",
                f"{path}.{key}",
            )
        elif key in _NON_EMPTY and isinstance(value, str) and not value.strip():
            yield error("empty_string", f"{key} must not be empty", f"{path}.{key}")


def _item_fix(kind: str, item: Any) -> str | None:
    if kind == "calculations" and isinstance(item, str):
        return f'use {as_json({"op": item})} (an object with "op" and "column")'
    if kind == "orders" and isinstance(item, str):
        return f'use {as_json({"column": item})} or {{"op": "...", "column": "..."}}'
    if kind == "filters":
        return 'use {"column": "...", "op": "=", "value": ...}'
    return None


SHAPE_RULES = (check_top_level_keys, check_field_types, check_array_sizes, check_items)
