"""HEATMAP: ``HEATMAP_BUCKETS`` linear buckets between the column's min and max over the window.

The bounds come from one CTE per heatmap (``hm{j}``: ``hm{j}_lo``, ``hm{j}_width``), cross-joined
into the query; a cell counts the values per bucket lower bound. The same bucket edges on every
engine (the width is a float division everywhere); the cell per dialect:

- DuckDB: ``histogram(lower)``, a MAP {lower: count};
- ClickHouse: ``sumMap([lower], [1])`` over the non-missing values: the (lowers, counts) arrays
  (a Map cannot have float keys);
- PostgreSQL: ``array_agg(lower)`` over the non-missing values (it has no map aggregate).

``execute`` turns both into the same {lower: count} (``count_cells``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlglot import exp

from workbench.sql.constants import HEATMAP_BUCKETS

__all__ = ["HEATMAP_DIALECTS", "count_cells", "heatmap_cell", "heatmap_ctes", "heatmap_joins"]

HEATMAP_DIALECTS = ("duckdb", "clickhouse", "postgres")
#: the compiler's state (``compiler._Compiler``); not imported: the compiler imports this module
_Compiler = Any


def _bounds(j: int) -> tuple[exp.Column, exp.Column]:
    lo, width = (exp.column(f"hm{j}_{name}", table=f"hm{j}") for name in ("lo", "width"))
    return lo, width


def heatmap_cell(j: int, col: exp.Expression, dialect: str) -> exp.Expression:
    """The aggregate of heatmap ``j`` over ``col``: each value's bucket lower bound, counted."""
    lo, width = _bounds(j)
    offset = exp.Div(this=exp.paren(exp.Sub(this=col.copy(), expression=lo.copy())), expression=width.copy())
    index = exp.Anonymous(
        this="LEAST", expressions=[exp.Floor(this=offset), exp.Literal.number(HEATMAP_BUCKETS - 1)]
    )
    lower = exp.Case(
        ifs=[
            exp.If(this=col.copy().is_(exp.null()), true=exp.null()),
            exp.If(this=width.copy().eq(0), true=lo.copy()),
        ],
        default=exp.Add(this=lo, expression=exp.Mul(this=width, expression=index)),
    )
    present = exp.Where(this=exp.not_(col.copy().is_(exp.null())))
    if dialect == "clickhouse":  # a Map key cannot be a float: sumMap's (keys, counts) arrays instead
        key = exp.Array(expressions=[exp.Anonymous(this="assumeNotNull", expressions=[lower])])
        one = exp.Array(expressions=[exp.Anonymous(this="toUInt64", expressions=[exp.Literal.number(1)])])
        return exp.Filter(this=exp.Anonymous(this="sumMap", expressions=[key, one]), expression=present)
    if dialect == "postgres":
        return exp.Filter(this=exp.ArrayAgg(this=lower), expression=present)
    return exp.Anonymous(this="histogram", expressions=[lower])


def heatmap_bounds(compiler: _Compiler, j: int) -> exp.Select:
    """One row: the low end and the bucket width of calculation ``j``'s heatmap over the window."""
    calc = compiler.calcs[j]
    col = compiler.col(calc.column)
    span: exp.Expression = exp.paren(
        exp.Sub(this=exp.Max(this=col.copy()), expression=exp.Min(this=col.copy()))
    )
    if compiler.dialect != "duckdb":  # PostgreSQL divides integers as integers
        span = exp.cast(span, "DOUBLE")
    width = exp.Div(this=span, expression=exp.Literal.number(HEATMAP_BUCKETS))
    return (
        exp.select(exp.alias_(exp.Min(this=col), f"hm{j}_lo"), exp.alias_(width, f"hm{j}_width"), copy=False)
        .from_(compiler.table_expr(), copy=False)
        .where(compiler.where(compiler.calc_filter(calc)), copy=False)
    )


def heatmap_ctes(compiler: _Compiler, select: exp.Select) -> exp.Select:
    """``select`` with one bounds CTE per heatmap."""
    for j, c in enumerate(compiler.calcs):
        if c.op == "HEATMAP":
            select = select.with_(f"hm{j}", as_=heatmap_bounds(compiler, j), copy=False)
    return select


def heatmap_joins(compiler: _Compiler, select: exp.Select) -> exp.Select:
    """``select`` cross-joined to each heatmap's bounds."""
    for j, c in enumerate(compiler.calcs):
        if c.op == "HEATMAP":
            select = select.join(exp.to_table(f"hm{j}"), join_type="cross", copy=False)
    return select


def count_cells(rows: list[tuple[Any, ...]], positions: tuple[int, ...]) -> list[tuple[Any, ...]]:
    """Rows with the heatmap cells at ``positions`` as {lower: count}: from an array of lower bounds
    (PostgreSQL) or a pair of (lowers, counts) arrays (ClickHouse)."""
    if not positions:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for i in positions:
            cell = values[i]
            if isinstance(cell, tuple) and len(cell) == 2 and all(isinstance(p, list) for p in cell):
                values[i] = dict(zip(cell[0], cell[1], strict=True)) if cell[0] else None
            elif isinstance(cell, list):
                values[i] = dict(sorted(Counter(cell).items()))
        out.append(tuple(values))
    return out
