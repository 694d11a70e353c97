"""Compile a ``QuerySpec`` to SQL: sqlglot expression trees, never string formatting.

The spec is model output, so nothing in it becomes SQL text: column names become quoted identifiers
(``"http.route"``, ``"a""b"``), values become literals that sqlglot escapes (``'; DELETE FROM events; --``
is just a string that matches nothing), and every other token comes from this module. Trees are built for
DuckDB and printed for the requested dialect; the few constructs with no common spelling (percentiles,
time buckets, ends-with) are built per dialect, and an op with no equivalent raises a ``WorkbenchError``.

Semantics (the choices Honeycomb leaves to the engine are written down here):

- Time window and buckets: see ``sql.timewindow``.
- Filters: see ``sql.filters``.
- Calculations: COUNT is ``count(*)`` (``count(col)``: non-null values); COUNT_DISTINCT is exact;
  P001..P999 are ``quantile_cont`` (``quantileExactInclusive`` on clickhouse; approximate on trino, bigquery).
  HEATMAP: ``HEATMAP_BUCKETS`` linear buckets between the min and max of the
  column over the whole window (after filters), so every group and time
  bucket shares one y axis; a cell is a map {bucket lower bound: count}
  (``QueryResult.to_dict`` writes it as ``[[lower, count], ...]``). DuckDB, ClickHouse, PostgreSQL
  (the same bucket edges; see ``sql.heatmap``).
  RATE_AVG/RATE_SUM/RATE_MAX and CONCURRENCY: see ``sql.series`` (their passes are in ``sql.passes``).
- Breakdowns are GROUP BY columns; NULL is kept as its own group.
- Havings restrict groups (HAVING, or WHERE over the joined calculations).
- Orders refer to a breakdown or a calculation (op+column, or a calculation
  name). With no orders: the first calculation (not HEATMAP) descending. The
  breakdowns not yet ordered always follow, ascending, so results are
  deterministic. NULLs sort last.
- Limit: the spec's, else ``DEFAULT_LIMIT`` = 1000, the terraform provider's
  ``DefaultQueryLimit`` (OpenAPI's example default is 100; 1000 keeps results
  complete for the small groupings questions ask about).
- Series (``granularity`` set): see ``sql.series``.
- ``calculated_fields`` and ``formulas`` are not compiled (WorkbenchError); ``compare_time_offset_seconds``
  and ``usage_mode`` are ignored (no comparison series in the query API; the embedded data is not sampled).
- ClickHouse: SQL for the session settings of ``engines.clickhouse.SEMANTICS`` (see ``sql.names`` too).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from workbench.core.errors import WorkbenchError
from workbench.schema.columns import Schema
from workbench.schema.relation import prune_relation
from workbench.spec.query import CALC_OPS, PERCENTILE_OPS, Calculation, Filter, Having, Order, QuerySpec
from workbench.sql.constants import (
    DEFAULT_LIMIT,
    DIALECTS,
    DURATION_COLUMN,
    HEATMAP_BUCKETS,
    RATE_AGGS,
    SERIES_TIME,
    TIMESTAMP_COLUMN,
)
from workbench.sql.filters import COMPARISONS, combine, filter_condition, number
from workbench.sql.heatmap import HEATMAP_DIALECTS, heatmap_cell, heatmap_ctes, heatmap_joins
from workbench.sql.names import aliased, distinct_names, in_kept
from workbench.sql.passes import joined_query
from workbench.sql.series import series_query
from workbench.sql.timewindow import auto_granularity, window_conditions

__all__ = [
    "DEFAULT_LIMIT",
    "DIALECTS",
    "HEATMAP_BUCKETS",
    "CompiledQuery",
    "compile_spec",
    "transpile",
]

_SIMPLE_AGGS: dict[str, type[exp.Func]] = {"SUM": exp.Sum, "AVG": exp.Avg, "MAX": exp.Max, "MIN": exp.Min}


@dataclass(frozen=True)
class CompiledQuery:
    """SQL for one spec.

    Args:
        sql: the summary query: one row per group (breakdowns, then calculations).
        series_sql: one row per time bucket and group, when the spec has a granularity.
        dialect: the SQL dialect both queries are written in.
        columns: result column labels: breakdowns, then calculation labels (``P99(duration_ms)``).
        series_columns: ``time``, then the same labels, when there is a series.
        window: ``(start, end)`` epoch seconds the query covers (end excluded).
        granularity: seconds per series bucket, when there is a series.
        heatmaps: positions in ``columns`` of HEATMAP cells (one more in ``series_columns``).
    """

    sql: str
    series_sql: str | None
    dialect: str
    columns: tuple[str, ...]
    window: tuple[int, int]
    series_columns: tuple[str, ...] | None = None
    granularity: int | None = None
    heatmaps: tuple[int, ...] = ()


def compile_spec(spec: QuerySpec, schema: Schema | int, *, dialect: str = "duckdb") -> CompiledQuery:
    """Compile ``spec`` to SQL over the dataset ``schema`` describes.

    Args:
        spec: a query spec; validate it first (``workbench.spec.validate.layers``), compiling assumes its rules hold.
        schema: the dataset's schema (gives ``now``, the table and column types), or just ``now``
            as epoch seconds (table ``events``, types taken from the values).
        dialect: one of ``DIALECTS``.

    Raises:
        WorkbenchError: a construct the engine or the dialect cannot express.

    Example:
        >>> q = compile_spec(parse_spec({"calculations": [{"op": "COUNT"}]}), 1795176000)
        >>> q.columns
        ('COUNT',)
    """
    dialect = _check_dialect(dialect)
    compiler = _Compiler(spec, schema, dialect)
    labels = compiler.labels()
    summary = compiler.summary(distinct_names(labels, dialect))
    series_sql = series_columns = None
    if compiler.granularity is not None:
        series_columns = (SERIES_TIME, *labels)
        series_sql = series_query(compiler, distinct_names([*series_columns], dialect)).sql(dialect=dialect)
    return CompiledQuery(
        sql=summary.sql(dialect=dialect, copy=False),
        series_sql=series_sql,
        dialect=dialect,
        columns=tuple(labels),
        window=compiler.window,
        series_columns=series_columns,
        granularity=compiler.granularity,
        heatmaps=tuple(len(spec.breakdowns) + j for j, c in enumerate(compiler.calcs) if c.op == "HEATMAP"),
    )


def transpile(sql: str, dialect: str) -> str:
    """Rewrite DuckDB SQL (written by a person) for another dialect with sqlglot."""
    dialect = _check_dialect(dialect)
    try:
        return sqlglot.transpile(sql, read="duckdb", write=dialect)[0]
    except sqlglot.errors.SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise WorkbenchError(f"cannot transpile to {dialect}: {first}", "check the SQL") from None


def _check_dialect(dialect: str) -> str:
    name = {"postgresql": "postgres", "presto": "trino"}.get(dialect.lower(), dialect.lower())
    if name not in DIALECTS:
        raise WorkbenchError(f"unknown SQL dialect {dialect!r}", f"use one of {', '.join(DIALECTS)}")
    return name


# --------------------------------------------------------------------------- literals


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _same_column(a: str | None, b: str | None) -> bool:
    return (None if a == "*" else a) == (None if b == "*" else b)


# --------------------------------------------------------------------------- compiler


class _Compiler:
    """Builds the summary and series trees of one spec (``compile_passes`` adds the multi-pass parts)."""

    def __init__(self, spec: QuerySpec, schema: Schema | int, dialect: str) -> None:
        if spec.calculated_fields:
            raise WorkbenchError("calculated_fields are not supported by the SQL engine", "remove them")
        if spec.formulas:
            raise WorkbenchError("formulas are not supported by the SQL engine", "remove them")
        self.spec = spec
        self.dialect = dialect
        if isinstance(schema, Schema):
            now, self.table, self.relation = schema.now_epoch, schema.table, schema.relation
            self.types: dict[str, str] | None = {c.name: c.type for c in schema.columns}
        else:
            now, self.table, self.types, self.relation = int(schema), "events", None, None
        self.window = spec.time_window(now)
        self.calcs: tuple[Calculation, ...] = spec.effective_calculations
        self.breakdowns = list(spec.breakdowns)
        self.limit = spec.limit if spec.limit is not None else DEFAULT_LIMIT
        if self.limit < 1:
            raise WorkbenchError(f"limit must be at least 1, got {self.limit}", "use 1..1000")
        self.complex = [j for j, c in enumerate(self.calcs) if c.op in RATE_AGGS or c.op == "CONCURRENCY"]
        span = self.window[1] - self.window[0]
        if span <= 0:
            raise WorkbenchError("the time window is empty (end is not after start)", "fix the time fields")
        g = spec.granularity
        self.granularity = None if g is None else (g if g > 0 else auto_granularity(span))
        self.rate_granularity = self.granularity or auto_granularity(span)
        for j, c in enumerate(self.calcs):
            self._check_calc(c, j)

    # -- names and references

    def labels(self) -> list[str]:
        return [*self.breakdowns, *(c.label for c in self.calcs)]

    def col(self, name: str) -> exp.Column:
        if self.types is not None and name not in self.types:
            raise WorkbenchError(f"unknown column {name!r}", "use a column of the dataset schema")
        return exp.Column(this=_ident(name))

    def _check_calc(self, calc: Calculation, j: int) -> None:
        if calc.op not in CALC_OPS:
            raise WorkbenchError(f"unknown calculation op {calc.op!r}", "see the Honeycomb calculation ops")
        if calc.op not in ("COUNT", "CONCURRENCY") and not calc.column:
            raise WorkbenchError(f"calculations[{j}]: {calc.op} needs a column", "add a column")
        if calc.op == "HEATMAP" and self.dialect not in HEATMAP_DIALECTS:
            raise WorkbenchError(
                f"HEATMAP has no equivalent in the {self.dialect} dialect",
                f"run it on {', '.join(HEATMAP_DIALECTS)}",
            )
        if calc.op == "CONCURRENCY":
            self.col(DURATION_COLUMN)

    # -- conditions

    def where(self, extra: exp.Expression | None = None) -> exp.Expression:
        conds = window_conditions(self.col(TIMESTAMP_COLUMN), self.window, self.dialect)
        filters = combine([self.filter_cond(f) for f in self.spec.filters], self.spec.filter_combination)
        return exp.and_(*conds, *(c for c in (filters, extra) if c is not None))

    def filter_cond(self, f: Filter) -> exp.Expression:
        return filter_condition(f, self.col(f.column), self._type(f.column), self.dialect)

    def _type(self, column: str) -> str | None:
        return self.types.get(column) if self.types is not None else None

    def calc_filter(self, calc: Calculation) -> exp.Expression | None:
        return combine([self.filter_cond(f) for f in calc.filters or ()], calc.filter_combination or "AND")

    # -- aggregates

    def aggregate(self, j: int) -> exp.Expression:
        """The aggregate of simple calculation ``j`` (not RATE_*/CONCURRENCY)."""
        calc = self.calcs[j]
        col = None if calc.column in (None, "*") else self.col(calc.column)  # type: ignore[arg-type]
        agg: exp.Expression
        if calc.op == "COUNT":
            agg = exp.Count(this=col if col is not None else exp.Star())
        elif calc.op == "COUNT_DISTINCT":
            agg = exp.Count(this=exp.Distinct(expressions=[col]))
        elif calc.op in _SIMPLE_AGGS:
            agg = _SIMPLE_AGGS[calc.op](this=col)
        elif calc.op in PERCENTILE_OPS:
            agg = self.percentile(col, PERCENTILE_OPS[calc.op])  # type: ignore[arg-type]
        else:  # HEATMAP
            agg = self.heatmap(j, col)  # type: ignore[arg-type]
        cond = self.calc_filter(calc)
        if isinstance(agg, exp.Filter):  # a HEATMAP that leaves out missing values
            cond = combine([agg.expression.this, cond] if cond is not None else [agg.expression.this])
            agg = agg.this
        return exp.Filter(this=agg, expression=exp.Where(this=cond)) if cond is not None else agg

    def percentile(self, col: exp.Expression, q: float) -> exp.Expression:
        quantile = exp.Literal.number(q)
        if self.dialect in ("duckdb", "postgres"):
            return exp.PercentileCont(this=col, expression=quantile)
        if self.dialect == "clickhouse":  # exact and interpolated like quantile_cont (quantile samples)
            return exp.ParameterizedAgg(this="quantileExactInclusive", expressions=[quantile], params=[col])
        return exp.ApproxQuantile(this=col, quantile=quantile)

    def heatmap(self, j: int, col: exp.Expression) -> exp.Expression:
        return heatmap_cell(j, col, self.dialect)

    def heatmap_ctes(self, select: exp.Select) -> exp.Select:
        return heatmap_ctes(self, select)

    def heatmap_joins(self, select: exp.Select) -> exp.Select:
        return heatmap_joins(self, select)

    def table_expr(self) -> exp.Expression:
        """The events table, or the column mapping's derived table of logical columns (aliased as it)."""
        if self.relation is not None:  # only the columns the spec reads: the engine computes no others
            return prune_relation(
                self.relation, self.spec.columns_used() | {TIMESTAMP_COLUMN, DURATION_COLUMN}
            )
        return exp.Table(this=_ident(self.table))

    def ordered(self, expr: exp.Expression, desc: bool = False, window: bool = False) -> exp.Ordered:
        # in a window, BigQuery cannot spell NULLS LAST; window keys are never NULL there
        nulls_first = bool(window and self.dialect == "bigquery")
        return exp.Ordered(this=expr, desc=desc, nulls_first=nulls_first)

    # -- orders and havings

    def resolve_order(self, order: Order) -> int:
        """Output position (breakdowns first, then calculations) the order refers to."""
        nb = len(self.breakdowns)
        j = None
        if order.op:
            j = self._match(order.op, order.column)
            if j is None and order.column in self.breakdowns:
                return self.breakdowns.index(order.column)
        elif order.column:
            if order.column in self.breakdowns:
                return self.breakdowns.index(order.column)
            j = next((j for j, c in enumerate(self.calcs) if c.name == order.column), None)
            if j is None:
                j = next((j for j, c in enumerate(self.calcs) if c.column == order.column), None)
        if j is None:
            what = " ".join(x for x in (order.op, order.column) if x) or "{}"
            raise WorkbenchError(f"order {what} matches no breakdown or calculation", "order by one of them")
        if self.calcs[j].op == "HEATMAP":
            raise WorkbenchError("cannot order by HEATMAP", "order by another calculation")
        return nb + j

    def _match(self, op: str | None, column: str | None) -> int | None:
        """The calculation with this op and column, an unnamed one first (named ones may be filtered)."""
        found = [j for j, c in enumerate(self.calcs) if c.op == op and _same_column(c.column, column)]
        return min(found, key=lambda j: (self.calcs[j].name is not None, j)) if found else None

    def resolve_having(self, having: Having) -> int:
        j = self._match(having.calculate_op, having.column)
        if j is None and having.column:
            named = (j for j, c in enumerate(self.calcs) if c.name == having.column)
            j = next((j for j in named if having.calculate_op in (None, self.calcs[j].op)), None)
        if j is None:
            what = " ".join(x for x in (having.calculate_op, having.column) if x)
            raise WorkbenchError(f"having {what} matches no calculation", "add the calculation")
        if self.calcs[j].op == "HEATMAP":
            raise WorkbenchError("a having cannot use HEATMAP", "use another calculation")
        if having.op not in COMPARISONS:
            raise WorkbenchError(f"unknown having op {having.op!r}", "use = != > >= < <=")
        return j

    def having_cond(self, refs: list[exp.Expression]) -> exp.Expression | None:
        """Havings over ``refs[j]``, the expression standing for calculation ``j``."""
        conds = []
        for h in self.spec.havings:
            j = self.resolve_having(h)
            conds.append(COMPARISONS[h.op](this=refs[j].copy(), expression=number(h.value)))
        return combine(conds)

    def order_by(self, aliases: list[str]) -> list[exp.Ordered]:
        items: dict[int, bool] = {}
        for order in self.spec.orders:
            items.setdefault(self.resolve_order(order), order.order == "descending")
        nb = len(self.breakdowns)
        if not self.spec.orders:
            first = next((j for j, c in enumerate(self.calcs) if c.op != "HEATMAP"), None)
            if first is not None:
                items[nb + first] = True
        for i in range(nb):
            items.setdefault(i, False)
        return [self.ordered(self.ref(aliases, pos), desc) for pos, desc in items.items()]

    def finish(self, select: exp.Select, aliases: list[str]) -> exp.Select:
        """ORDER BY (when there is anything to order by) and LIMIT."""
        orders = self.order_by(aliases)
        if orders:
            select = select.order_by(*orders, copy=False)
        return select.limit(self.limit, copy=False)

    @staticmethod
    def ref(aliases: list[str], pos: int) -> exp.Expression:
        # an output column by name; by position when two columns share the name
        if aliases.count(aliases[pos]) == 1:
            return exp.Column(this=_ident(aliases[pos]))
        return exp.Literal.number(pos + 1)

    # -- queries

    def summary(self, aliases: list[str]) -> exp.Select:
        """One row per group: breakdowns then calculations, named ``aliases``."""
        if self.complex:
            return joined_query(self, aliases, series=False)
        nb = len(self.breakdowns)
        keys = [aliased(self.col(b), aliases[i]) for i, b in enumerate(self.breakdowns)]
        calcs = [exp.alias_(self.aggregate(j), aliases[nb + j], quoted=True) for j in range(len(self.calcs))]
        select = exp.select(*keys, *calcs, copy=False).from_(self.table_expr(), copy=False)
        select = select.where(self.where(), copy=False)
        select = self.heatmap_joins(select)
        if self.breakdowns:
            select = select.group_by(*(self.col(b) for b in self.breakdowns), copy=False)
        having = self.having_cond(
            [self.aggregate(j) if c.op != "HEATMAP" else exp.null() for j, c in enumerate(self.calcs)]
        )
        if having is not None:
            select = select.having(having, copy=False)
        select = self.finish(select, aliases)
        return self.heatmap_ctes(select)

    def in_top(self, top: exp.Select | None) -> exp.Expression | None:
        """The event's group is one of the summary's kept groups (``top``), when there is one."""
        if top is None:
            return None
        table = _ident(self.table)
        return in_kept(
            [exp.Column(this=self.col(b).this, table=table.copy()) for b in self.breakdowns], self.dialect
        )
