"""The Honeycomb query specification as a typed tree.

``QuerySpec`` is the parsed, normalized form of the JSON a model emits (or a
person writes for Honeycomb). Parsing is lenient about shape only where
Honeycomb is (all fields optional); the *rules* (which op needs a column, what
orders may refer to, time combinations...) live in ``validate.py`` and are
reported as findings, never raised. ``parse_spec`` raises ``SpecError`` only
when the input cannot be read as a spec at all.

This module imports neither pandas nor duckdb: the production runtime uses it.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from workbench.core.errors import SpecError

CALC_OPS: tuple[str, ...] = (
    "COUNT", "CONCURRENCY", "SUM", "AVG", "COUNT_DISTINCT", "HEATMAP", "MAX", "MIN",
    "P001", "P01", "P05", "P10", "P20", "P25", "P50", "P75", "P80", "P90", "P95", "P99", "P999",
    "RATE_AVG", "RATE_SUM", "RATE_MAX",
)  # fmt: skip
PERCENTILE_OPS: dict[str, float] = {
    "P001": 0.001, "P01": 0.01, "P05": 0.05, "P10": 0.10, "P20": 0.20, "P25": 0.25, "P50": 0.50,
    "P75": 0.75, "P80": 0.80, "P90": 0.90, "P95": 0.95, "P99": 0.99, "P999": 0.999,
}  # fmt: skip
NUMERIC_OPS: frozenset[str] = frozenset(
    {"SUM", "AVG", "MAX", "MIN", "HEATMAP", "RATE_AVG", "RATE_SUM", "RATE_MAX", *PERCENTILE_OPS}
)
#: ops where a column is optional (COUNT) or forbidden (CONCURRENCY); every other op needs one.
COLUMN_OPTIONAL_OPS = frozenset({"COUNT"})
COLUMN_FORBIDDEN_OPS = frozenset({"CONCURRENCY"})

FILTER_OPS: tuple[str, ...] = (
    "=", "!=", ">", ">=", "<", "<=", "starts-with", "does-not-start-with", "ends-with",
    "does-not-end-with", "exists", "does-not-exist", "contains", "does-not-contain", "in", "not-in",
)  # fmt: skip
UNARY_FILTER_OPS = frozenset({"exists", "does-not-exist"})
LIST_FILTER_OPS = frozenset({"in", "not-in"})
STRING_FILTER_OPS = frozenset(
    {"starts-with", "does-not-start-with", "ends-with", "does-not-end-with", "contains", "does-not-contain"}
)
HAVING_OPS: tuple[str, ...] = ("=", "!=", ">", ">=", "<", "<=")
COMPARE_OFFSETS: tuple[int, ...] = (1800, 3600, 7200, 28800, 86400, 604800, 2419200, 15724800)

#: Honeycomb's default query window when no time field is given (2 hours).
DEFAULT_TIME_RANGE = 7200
MAX_LIMIT = 1000
MAX_ITEMS = 100
RELATIONAL_PREFIXES: tuple[str, ...] = ("root.", "parent.", "child.", "any.", "none.")

TOP_LEVEL_KEYS: tuple[str, ...] = (
    "calculations", "filters", "filter_combination", "breakdowns", "orders", "havings", "limit",
    "time_range", "start_time", "end_time", "granularity", "calculated_fields", "formulas",
    "compare_time_offset_seconds", "usage_mode",
)  # fmt: skip

Scalar = str | int | float | bool
FilterValue = Scalar | list[Scalar] | None


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Filter(_Node):
    column: str
    op: str
    value: FilterValue = None


class Calculation(_Node):
    op: str
    column: str | None = None
    name: str | None = None
    filters: tuple[Filter, ...] | None = None
    filter_combination: Literal["AND", "OR"] | None = None

    @property
    def label(self) -> str:
        """The result column name, Honeycomb style: ``COUNT``, ``P99(duration_ms)`` or the calc's name."""
        if self.name:
            return self.name
        return f"{self.op}({self.column})" if self.column else self.op


class Order(_Node):
    op: str | None = None
    column: str | None = None
    order: Literal["ascending", "descending"] = "ascending"


class Having(_Node):
    calculate_op: str | None = None
    column: str | None = None
    op: str
    value: float


class NamedExpression(_Node):
    name: str
    expression: str


class QuerySpec(_Node):
    """A Honeycomb query specification. Every field is optional, as in Honeycomb."""

    calculations: tuple[Calculation, ...] = ()
    filters: tuple[Filter, ...] = ()
    filter_combination: Literal["AND", "OR"] = "AND"
    breakdowns: tuple[str, ...] = ()
    orders: tuple[Order, ...] = ()
    havings: tuple[Having, ...] = ()
    limit: int | None = None
    time_range: int | None = None
    start_time: int | None = None
    end_time: int | None = None
    granularity: int | None = None
    calculated_fields: tuple[NamedExpression, ...] = ()
    formulas: tuple[NamedExpression, ...] = ()
    compare_time_offset_seconds: int | None = None
    usage_mode: bool | None = None

    @property
    def effective_calculations(self) -> tuple[Calculation, ...]:
        """The calculations to compute: ``COUNT`` when none are given (Honeycomb's default)."""
        return self.calculations or (Calculation(op="COUNT"),)

    def time_window(self, now: int) -> tuple[int, int]:
        """The ``(start, end)`` epoch seconds this spec covers, given the dataset's ``now``.

        Follows Honeycomb: no time fields = the 2 hours before now; ``time_range`` alone ends
        at now; with ``start_time`` it runs forward from the start, with ``end_time`` back from
        the end; ``start_time`` alone covers 2 hours; ``end_time`` alone the 2 hours before it.
        """
        tr, st, et = self.time_range, self.start_time, self.end_time
        if st is not None and et is not None:
            return st, et
        if st is not None:
            return st, st + (tr if tr is not None else DEFAULT_TIME_RANGE)
        if et is not None:
            return et - (tr if tr is not None else DEFAULT_TIME_RANGE), et
        return now - (tr if tr is not None else DEFAULT_TIME_RANGE), now

    def to_dict(self) -> dict[str, Any]:
        """The normalized JSON form: empty and default fields left out (as Honeycomb echoes specs)."""
        return spec_to_dict(self)

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    def columns_used(self) -> set[str]:
        """Every column name the spec refers to (calculations, filters, breakdowns, havings, orders)."""
        cols: set[str] = set(self.breakdowns)
        for c in self.calculations:
            if c.column:
                cols.add(c.column)
            cols.update(f.column for f in c.filters or ())
        cols.update(f.column for f in self.filters)
        cols.update(h.column for h in self.havings if h.column)
        calc_names = {c.name for c in self.calculations if c.name} | {f.name for f in self.formulas}
        cols.update(o.column for o in self.orders if o.column and o.column not in calc_names)
        return cols


def _drop_empty(value: Any) -> Any:
    """Leave out None and empty lists, except a filter's ``value``: an empty list there is what was said."""
    if isinstance(value, dict):
        return {
            k: _drop_empty(v)
            for k, v in value.items()
            if v is not None and (k == "value" or (v != [] and v != ()))
        }
    if isinstance(value, list | tuple):
        return [_drop_empty(v) for v in value]
    return value


def spec_to_dict(spec: QuerySpec) -> dict[str, Any]:
    data = spec.model_dump(mode="json")
    if data.get("filter_combination") == "AND":
        del data["filter_combination"]
    for calc in data.get("calculations", []):
        if calc.get("filter_combination") == "AND":
            calc["filter_combination"] = None
    return _drop_empty(data)


def load_json(text: str, source: str = "spec") -> Any:
    """Parse JSON text, turning a syntax error into a one-line ``SpecError``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(
            f"{source} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            "fix the JSON syntax",
        ) from None


def parse_spec(data: str | bytes | dict[str, Any] | QuerySpec) -> QuerySpec:
    """Parse a spec from JSON text or a dict. Raises ``SpecError`` with one line on a bad shape.

    ``null`` fields (as strict-mode tool calls send them) are treated as absent.
    Structural *rules* are not checked here: use ``validate.check_structure``.
    """
    if isinstance(data, QuerySpec):
        return data
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    if isinstance(data, str):
        data = load_json(data)
    if not isinstance(data, dict):
        raise SpecError(
            f"a query spec must be a JSON object, got {type(data).__name__}",
            'wrap the fields in {...}, e.g. {"calculations": [{"op": "COUNT"}]}',
        )
    cleaned = _strip_nulls(data)
    try:
        return QuerySpec.model_validate(cleaned)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"]) or "spec"
        raise SpecError(f"{loc}: {first['msg']}", "see workbench spec check for all findings") from None


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _strip_nulls(data: Any) -> Any:
    """Drop null fields; a lone surrogate in a string (valid JSON, ``"\\ud83d"``, that no UTF-8 text can
    hold: a proxy that split an emoji) becomes U+FFFD, so the spec can be compiled, run and printed."""
    if isinstance(data, dict):
        out = {_strip_nulls(k): _strip_nulls(v) for k, v in data.items() if v is not None}
        # a filter's value keeps an explicit null out; lists keep their items
        return out
    if isinstance(data, list):
        return [_strip_nulls(v) for v in data]
    if isinstance(data, str):
        return _LONE_SURROGATE.sub("\ufffd", data)
    return data


# --------------------------------------------------------------------------- JSON Schema


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "enum" in schema:
        return {**schema, "type": [schema["type"], "null"], "enum": [*schema["enum"], None]}
    if "type" in schema and isinstance(schema["type"], str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def _obj(props: dict[str, dict[str, Any]], description: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "properties": props,
        "required": list(props),
        "additionalProperties": False,
    }
    if description:
        out["description"] = description
    return out


def query_json_schema() -> dict[str, Any]:
    """JSON Schema of the spec fields a model may emit, compatible with OpenAI strict mode.

    Strict mode needs every property listed in ``required`` and ``additionalProperties: false``;
    optional fields are therefore nullable, and ``parse_spec`` drops the nulls. The schema
    covers the fields the embedded engine runs (no calculated fields, formulas or comparisons).
    """
    scalar = {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}
    filter_value = {
        "anyOf": [
            {"type": "string"},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "array", "items": scalar},
            {"type": "null"},
        ],
        "description": "omit (null) for exists/does-not-exist; a list for in/not-in; otherwise one value",
    }
    filt = _obj(
        {
            "column": {"type": "string"},
            "op": {"type": "string", "enum": list(FILTER_OPS)},
            "value": filter_value,
        }
    )
    calc = _obj(
        {
            "op": {"type": "string", "enum": list(CALC_OPS)},
            "column": _nullable({"type": "string", "description": "null for COUNT and CONCURRENCY"}),
        }
    )
    order = _obj(
        {
            "op": _nullable({"type": "string", "enum": list(CALC_OPS)}),
            "column": _nullable({"type": "string"}),
            "order": _nullable({"type": "string", "enum": ["ascending", "descending"]}),
        }
    )
    having = _obj(
        {
            "calculate_op": {"type": "string", "enum": [op for op in CALC_OPS if op != "HEATMAP"]},
            "column": _nullable({"type": "string"}),
            "op": {"type": "string", "enum": list(HAVING_OPS)},
            "value": {"type": "number"},
        }
    )
    integer = {"type": "integer"}
    return _obj(
        {
            "calculations": {"type": "array", "items": calc},
            "filters": {"type": "array", "items": filt},
            "filter_combination": _nullable({"type": "string", "enum": ["AND", "OR"]}),
            "breakdowns": {"type": "array", "items": {"type": "string"}},
            "orders": {"type": "array", "items": order},
            "havings": {"type": "array", "items": having},
            "limit": _nullable({**integer, "description": "1..1000"}),
            "time_range": _nullable({**integer, "description": "seconds before the end (default now)"}),
            "start_time": _nullable({**integer, "description": "epoch seconds"}),
            "end_time": _nullable({**integer, "description": "epoch seconds"}),
            "granularity": _nullable({**integer, "description": "bucket seconds for a time series"}),
        },
        description="A Honeycomb query specification over the events table.",
    )


#: when a strict-mode answer leaves an optional field null or empty (every key must be filled)
STRICT_HINTS = {
    "orders": "[] unless the question asks for an order",
    "havings": "[] unless the question filters on a calculated value",
    "limit": "null unless the question asks for N results (1..1000)",
    "time_range": "seconds before the end (default now); null when start_time is set",
    "start_time": "epoch seconds; null unless the question names a start",
    "end_time": "epoch seconds; null means now",
    "granularity": "bucket seconds; null unless the question asks for a time series",
}


def with_strict_hints(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with the top-level descriptions that say when to answer null or ``[]`` (structured output).

    Strict structured output makes every key required, so a grammar-constrained small model
    fills all of them: all three time fields at once, an invented order. The hints say which
    value means "not asked for"; ``parse_spec`` reads nulls as absent.
    """
    props = schema.get("properties")
    if not isinstance(props, dict):
        return schema
    hinted = {k: {**v, "description": STRICT_HINTS[k]} if k in STRICT_HINTS else v for k, v in props.items()}
    return {**schema, "properties": hinted}
