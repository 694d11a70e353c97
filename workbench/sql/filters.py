"""Filters and values as sqlglot expressions: Honeycomb filter semantics, literals coerced to column types.

Every value becomes a literal node (sqlglot escapes it for the dialect); no
value is ever formatted into SQL text.

``= > >= < <=`` never match a missing (NULL) field. The negative ops (``!=``, ``not-in``,
``does-not-start-with``, ``does-not-end-with``, ``does-not-contain``) also match events where the
field is missing, as in Honeycomb. String ops work on the column cast to VARCHAR with
``starts_with``/``ends_with``/``strpos`` (no LIKE, so ``%`` and ``_`` in a value are literal;
matching is case-sensitive). ``exists`` / ``does-not-exist`` are ``IS NOT NULL`` / ``IS NULL``.
Values are coerced to the column's type when the schema knows it (``"500"`` on an integer column is
500, ``"true"`` on a boolean is TRUE); a value that cannot be coerced is compared with the column
cast to VARCHAR, so it matches nothing instead of failing. Calculation filters become ``agg(...)
FILTER (WHERE ...)``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from sqlglot import exp

from workbench.core.errors import WorkbenchError
from workbench.spec.query import FILTER_OPS, Filter

COMPARISONS: dict[str, type[exp.Binary]] = {
    "=": exp.EQ, "!=": exp.NEQ, ">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE,
}  # fmt: skip
#: negative ops: NOT(positive op) OR the field is missing
NEGATED = {"!=": "=", "not-in": "in", "does-not-start-with": "starts-with",
           "does-not-end-with": "ends-with", "does-not-contain": "contains"}  # fmt: skip


def number(value: int | float) -> exp.Expression:
    """A numeric literal; NaN and infinities as casts, never as bare words (which would parse as columns)."""
    if isinstance(value, float) and not math.isfinite(value):
        text = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return exp.cast(exp.Literal.string(text), "DOUBLE")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return exp.Literal.number(value)


#: ClickHouse reads a plain DateTime literal in the session time zone; this type says UTC.
_UTC_TIME = exp.DataType.build("DateTime64(6, 'UTC')", dialect="clickhouse")


def timestamp(epoch: int, dialect: str = "duckdb") -> exp.Expression:
    """``CAST('YYYY-MM-DD HH:MM:SS' AS TIMESTAMP)`` for epoch seconds, UTC (a UTC-typed time on ClickHouse)."""
    try:
        text = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        raise WorkbenchError(f"time {epoch} is out of range", "use epoch seconds") from None
    return exp.cast(exp.Literal.string(text), _UTC_TIME.copy() if dialect == "clickhouse" else "TIMESTAMP")


def float_text(column: exp.Expression) -> exp.Expression:
    """A float column as text in one form on every engine: whole numbers without ``.0`` (``34``, as
    ``as_text`` writes values), others as the engine's shortest round-trip form (``0.25``)."""
    whole = exp.and_(
        exp.EQ(this=column.copy(), expression=exp.Floor(this=column.copy())),
        exp.LT(this=exp.Abs(this=column.copy()), expression=exp.Literal.number("1e15")),
    )
    as_int = exp.cast(exp.cast(column.copy(), "BIGINT"), "VARCHAR")
    return exp.Case(ifs=[exp.If(this=whole, true=as_int)], default=exp.cast(column.copy(), "VARCHAR"))


def as_varchar(column: exp.Expression, ctype: str | None) -> exp.Expression:
    """The column as text, in the engine-independent form for floats."""
    return float_text(column) if ctype == "float" else exp.cast(column.copy(), "VARCHAR")


def combine(conditions: list[exp.Expression], how: str = "AND") -> exp.Expression | None:
    if not conditions:
        return None
    return exp.or_(*conditions) if how == "OR" else exp.and_(*conditions)


def as_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        text = value.strip()
        for kind in (int, float):
            try:
                return kind(text)
            except ValueError:
                pass
    return None


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    return None


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _as_epoch(value: Any) -> int:
    if isinstance(value, str):
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return int((dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp())
    if isinstance(value, bool):
        raise TypeError("a boolean is not a time")
    return int(value)


def coerce(
    column: exp.Expression,
    ctype: str | None,
    values: list[Any],
    ordering: bool = False,
    dialect: str = "duckdb",
) -> tuple[exp.Expression, list[exp.Expression]]:
    """The column (maybe cast) and ``values`` as literals of the column's type.

    Values that do not fit the type are compared as text with the column cast to VARCHAR:
    they match nothing instead of failing at run time.
    """
    if any(isinstance(v, dict | list) or v is None for v in values):
        raise WorkbenchError(f"filter on {column.name}: values must be scalars", "use strings or numbers")
    text_pair = (as_varchar(column, ctype), [exp.Literal.string(as_text(v)) for v in values])
    if ctype in ("integer", "float"):
        numbers = [as_number(v) for v in values]
        if all(n is not None for n in numbers):
            return column, [number(n) for n in numbers]  # type: ignore[arg-type]
    elif ctype == "boolean":
        flags = [as_bool(v) for v in values]
        if all(b is not None for b in flags):
            return column, [exp.Boolean(this=b) for b in flags]
    elif ctype == "string":
        if ordering and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            return exp.TryCast(this=column, to=exp.DataType.build("DOUBLE")), [number(v) for v in values]
        return column, [exp.Literal.string(as_text(v)) for v in values]
    elif ctype == "timestamp":
        try:
            return column, [timestamp(_as_epoch(v), dialect) for v in values]
        except (ValueError, TypeError, OverflowError, WorkbenchError):
            return text_pair
    elif ctype is None:  # no schema: the JSON type decides
        if all(isinstance(v, bool) for v in values):
            return column, [exp.Boolean(this=v) for v in values]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            return column, [number(v) for v in values]
        if all(isinstance(v, str) for v in values):
            return column, [exp.Literal.string(v) for v in values]
    return text_pair


def filter_condition(f: Filter, column: exp.Column, ctype: str | None, dialect: str) -> exp.Expression:
    """The WHERE condition for one filter on ``column`` (of schema type ``ctype``, if known)."""
    if f.op not in FILTER_OPS:
        raise WorkbenchError(f"unknown filter op {f.op!r}", f"use one of {', '.join(FILTER_OPS)}")
    if f.op in ("exists", "does-not-exist"):
        null = column.is_(exp.null())
        return null if f.op == "does-not-exist" else exp.not_(null)
    if f.op in NEGATED:
        positive = filter_condition(
            Filter(column=f.column, op=NEGATED[f.op], value=f.value), column, ctype, dialect
        )
        return exp.or_(exp.not_(positive), column.copy().is_(exp.null()))
    if f.value is None:
        raise WorkbenchError(f"filter {f.column} {f.op} needs a value", "give a value")
    if f.op == "in":
        items = f.value if isinstance(f.value, list) else [f.value]
        if not items:
            return exp.false()
        left, rights = coerce(column.copy(), ctype, items, dialect=dialect)
        return left.isin(*rights)
    if isinstance(f.value, list):
        raise WorkbenchError(f"filter {f.column} {f.op} takes one value, not a list", "use in/not-in")
    if f.op in COMPARISONS:
        left, (right,) = coerce(column.copy(), ctype, [f.value], ordering=f.op != "=", dialect=dialect)
        return COMPARISONS[f.op](this=left, expression=right)
    text = column.copy() if ctype == "string" else as_varchar(column, ctype)
    value = exp.Literal.string(as_text(f.value))
    if f.op == "starts-with":
        return exp.StartsWith(this=text, expression=value)
    if f.op == "ends-with":
        if dialect == "postgres":  # postgres has no ends_with
            return exp.Right(this=text, expression=exp.Length(this=value.copy())).eq(value)
        return exp.EndsWith(this=text, expression=value)
    return exp.StrPosition(this=text, substr=value) > exp.Literal.number(0)  # contains
