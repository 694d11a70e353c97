"""The calculations that need their own pass over the events: RATE_* and CONCURRENCY.

``joined_query`` builds a summary or series that has such calculations:
``filtered`` (events in the window, after the spec's filters), ``grouped``
(the group keys ``k0..``, ``t`` the time bucket in a series, and the other
calculations ``c{j}``), then one pass per calculation ending in a CTE ``x{j}``
(keys and the value ``v``), left-joined to ``grouped`` on the keys (NULL-safe).
Semantics are in ``series``'s docstring.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from workbench.sql.constants import DURATION_COLUMN, RATE_AGGS, TIMESTAMP_COLUMN
from workbench.sql.filters import timestamp
from workbench.sql.timewindow import time_bucket

Ctes = list[tuple[str, exp.Select]]
#: the compiler's state (``compiler._Compiler``); not imported: the compiler imports this module
_Compiler = Any


def _keys(compiler: _Compiler) -> tuple[list[exp.Expression], list[exp.Column]]:
    """Breakdown columns aliased ``k0..`` (to select from ``filtered``), and references to them."""
    aliased = [exp.alias_(compiler.col(b), f"k{i}") for i, b in enumerate(compiler.breakdowns)]
    return aliased, [exp.column(f"k{i}") for i in range(len(compiler.breakdowns))]


def rate_pass(compiler: _Compiler, j: int, series: bool) -> Ctes:
    """RATE_AVG/SUM/MAX: the aggregate per bucket, minus the previous bucket's, per group."""
    calc = compiler.calcs[j]
    g = compiler.granularity if series else compiler.rate_granularity
    inner: exp.Expression = RATE_AGGS[calc.op](this=compiler.col(calc.column))  # type: ignore[arg-type]
    cond = compiler.calc_filter(calc)
    if cond is not None:
        inner = exp.Filter(this=inner, expression=exp.Where(this=cond))
    aliased, refs = _keys(compiler)
    bucket = time_bucket(compiler.col(TIMESTAMP_COLUMN), g, compiler.dialect)
    buckets = (
        exp.select(*aliased, exp.alias_(bucket, "t"), exp.alias_(inner, "v"), copy=False)
        .from_(exp.to_table("filtered"), copy=False)
        .group_by(*(compiler.col(b) for b in compiler.breakdowns), bucket.copy(), copy=False)
    )
    value: exp.Expression = exp.column("v")
    if compiler.dialect == "clickhouse":  # lag's default for the first row is 0 there, not NULL
        value = exp.Anonymous(this="toNullable", expressions=[value])
    previous = exp.Window(
        this=exp.Lag(this=value),
        partition_by=[r.copy() for r in refs] or None,
        order=exp.Order(expressions=[compiler.ordered(exp.column("t"), window=True)]),
    )
    diffs = exp.select(*refs, exp.column("t"), exp.alias_(exp.column("v") - previous, "v"), copy=False).from_(
        exp.to_table(f"rate{j}_buckets"), copy=False
    )
    if series:
        return [(f"rate{j}_buckets", buckets), (f"x{j}", diffs)]
    summary = exp.select(
        *(r.copy() for r in refs), exp.alias_(exp.Avg(this=exp.column("v")), "v"), copy=False
    )
    summary = summary.from_(exp.to_table(f"rate{j}_diffs"), copy=False)
    if refs:
        summary = summary.group_by(*(r.copy() for r in refs), copy=False)
    return [(f"rate{j}_buckets", buckets), (f"rate{j}_diffs", diffs), (f"x{j}", summary)]


def concurrency_pass(compiler: _Compiler, j: int, series: bool) -> Ctes:
    """CONCURRENCY: +1 at each span start, -1 at its end; the running sum is the spans in flight."""
    calc = compiler.calcs[j]
    duration = compiler.col(DURATION_COLUMN)
    conds = [exp.not_(duration.copy().is_(exp.null()))]
    cond = compiler.calc_filter(calc)
    if cond is not None:
        conds.append(cond)
    aliased, refs = _keys(compiler)
    start = compiler.col(TIMESTAMP_COLUMN)
    micros = exp.cast(exp.Round(this=duration * exp.Literal.number(1000)), "BIGINT")
    end = exp.DateAdd(this=start.copy(), expression=micros, unit=exp.var("MICROSECOND"))

    def points(at: exp.Expression, delta: int) -> exp.Select:
        return (
            exp.select(
                *(a.copy() for a in aliased),
                exp.alias_(at, "at"),
                exp.alias_(exp.Literal.number(delta), "d"),
                copy=False,
            )
            .from_(exp.to_table("filtered"), copy=False)
            .where(exp.and_(*(c.copy() for c in conds)), copy=False)
        )

    union = exp.union(points(start, 1), points(end, -1), distinct=False, copy=False)
    in_flight = exp.Window(
        this=exp.Sum(this=exp.column("d")),
        partition_by=[r.copy() for r in refs] or None,
        order=exp.Order(expressions=[compiler.ordered(exp.column(c), window=True) for c in ("at", "d")]),
    )
    running = exp.select(*refs, exp.column("at"), exp.alias_(in_flight, "n"), copy=False).from_(
        exp.to_table(f"conc{j}_points"), copy=False
    )
    ctes: Ctes = [(f"conc{j}_points", union), (f"conc{j}_running", running)]  # type: ignore[list-item]
    peak = exp.alias_(exp.Max(this=exp.column("n")), "v")
    keys = [r.copy() for r in refs]
    if series:
        bucket = time_bucket(exp.column("at"), compiler.granularity, compiler.dialect)
        final = (
            exp.select(exp.alias_(bucket, "t"), *keys, peak, copy=False)
            .from_(exp.to_table(f"conc{j}_running"), copy=False)
            .where(exp.column("at") < timestamp(compiler.window[1], compiler.dialect), copy=False)
            .group_by(bucket.copy(), *(k.copy() for k in keys), copy=False)
        )
    else:
        final = exp.select(*keys, peak, copy=False).from_(exp.to_table(f"conc{j}_running"), copy=False)
        if keys:
            final = final.group_by(*(k.copy() for k in keys), copy=False)
    return [*ctes, (f"x{j}", final)]


def joined_query(
    compiler: _Compiler, aliases: list[str], *, series: bool, top: exp.Select | None = None
) -> exp.Select:
    """Summary or series when RATE_*/CONCURRENCY need their own passes: one CTE per pass, joined on the group."""
    nb = len(compiler.breakdowns)
    keys = [exp.alias_(compiler.col(b), f"k{i}") for i, b in enumerate(compiler.breakdowns)]
    key_names = [f"k{i}" for i in range(nb)] + (["t"] if series else [])
    grouped = exp.select(*keys, copy=False)
    group = [compiler.col(b) for b in compiler.breakdowns]
    if series:
        ts_bucket = time_bucket(compiler.col(TIMESTAMP_COLUMN), compiler.granularity, compiler.dialect)
        grouped = grouped.select(exp.alias_(ts_bucket, "t"), copy=False)
        group.append(ts_bucket.copy())
    simple = [j for j in range(len(compiler.calcs)) if j not in compiler.complex]
    grouped = grouped.select(*(exp.alias_(compiler.aggregate(j), f"c{j}") for j in simple), copy=False)
    grouped = compiler.heatmap_joins(grouped.from_(exp.to_table("filtered"), copy=False))
    if group:
        grouped = grouped.group_by(*group, copy=False)
    elif not simple:
        grouped = grouped.select(exp.alias_(exp.Count(this=exp.Star()), "n"), copy=False)

    select = exp.select(copy=False)
    if top is not None:
        select = select.with_("top", as_=top, copy=False)
    filtered = (
        exp.select(exp.Star(), copy=False)
        .from_(compiler.table_expr(), copy=False)
        .where(compiler.where(compiler.in_top(top)), copy=False)
    )
    select = compiler.heatmap_ctes(select.with_("filtered", as_=filtered, copy=False)).with_(
        "grouped", as_=grouped, copy=False
    )
    refs: list[exp.Expression] = [exp.column(f"c{j}", table="grouped") for j in range(len(compiler.calcs))]
    joins = []
    for j in compiler.complex:
        make = concurrency_pass if compiler.calcs[j].op == "CONCURRENCY" else rate_pass
        for name, cte in make(compiler, j, series):
            select = select.with_(name, as_=cte, copy=False)
        on = [
            exp.NullSafeEQ(this=exp.column(k, table="grouped"), expression=exp.column(k, table=f"x{j}"))
            for k in key_names
        ]
        joins.append((exp.to_table(f"x{j}"), exp.and_(*on) if on else exp.true()))
        refs[j] = exp.column("v", table=f"x{j}")
    outputs = ([exp.column("t", table="grouped")] if series else []) + [
        exp.column(f"k{i}", table="grouped") for i in range(nb)
    ]
    select = select.select(
        *(exp.alias_(e, aliases[i], quoted=True) for i, e in enumerate([*outputs, *refs])), copy=False
    ).from_(exp.to_table("grouped"), copy=False)
    for table, on in joins:
        select = select.join(table, on=on, join_type="left", copy=False)
    if series:
        return select.order_by(
            *(compiler.ordered(compiler.ref(aliases, i)) for i in range(1 + nb)), copy=False
        )
    having = compiler.having_cond(refs)
    if having is not None:
        select = select.where(having, copy=False)
    return compiler.finish(select, aliases)
