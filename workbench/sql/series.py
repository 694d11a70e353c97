"""The series query: the summary's calculations per time bucket, for the groups the summary keeps.

With ``granularity`` set (0 = auto, see ``timewindow.auto_granularity``), a spec has a series: the
same calculations per time bucket (``timewindow.time_bucket``, aligned to the Unix epoch), only for
the groups the summary keeps (its limit, havings and order: the summary is nested as the CTE
``top``), ordered by time then group. RATE_* and CONCURRENCY series come from ``passes``:

- RATE_AVG/RATE_SUM/RATE_MAX: the column's AVG/SUM/MAX per time bucket, then the difference from
  the previous non-empty bucket of the same group (Honeycomb: "the difference between subsequent
  field values after applying the operator"; per bucket, not per second). A series shows the
  differences at the series granularity; the summary row is their mean at the query's granularity
  (``auto_granularity`` when none is set).
- CONCURRENCY: spans are ``[timestamp, timestamp + duration_ms)``; a running sum of +1 at starts
  and -1 at ends (ends first on ties) gives the spans in flight. Summary: the maximum over the
  window; series: the maximum reached within each bucket (a bucket where no span starts or ends
  has no value). Only spans that start inside the window count; spans without a duration are
  left out.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from workbench.sql.constants import TIMESTAMP_COLUMN
from workbench.sql.names import aliased, prefix_ctes
from workbench.sql.passes import joined_query
from workbench.sql.timewindow import time_bucket

__all__ = ["series_query"]

#: the compiler's state (``compiler._Compiler``); not imported: the compiler imports this module
_Compiler = Any


def series_query(compiler: _Compiler, aliases: list[str]) -> exp.Select:
    """One row per time bucket and kept group, ordered by time; columns named ``aliases``."""
    assert compiler.granularity is not None
    top = None
    if compiler.breakdowns:
        keys = [f"k{i}" for i in range(len(compiler.breakdowns))] + [
            f"c{j}" for j in range(len(compiler.calcs))
        ]
        top = prefix_ctes(compiler.summary(keys), "top_")
    if compiler.complex:
        return joined_query(compiler, aliases, series=True, top=top)
    ts_bucket = time_bucket(compiler.col(TIMESTAMP_COLUMN), compiler.granularity, compiler.dialect)
    nb = len(compiler.breakdowns)
    keys = [aliased(compiler.col(b), aliases[1 + i]) for i, b in enumerate(compiler.breakdowns)]
    calcs = [
        exp.alias_(compiler.aggregate(j), aliases[1 + nb + j], quoted=True)
        for j in range(len(compiler.calcs))
    ]
    select = exp.select(exp.alias_(ts_bucket, aliases[0], quoted=True), *keys, *calcs, copy=False)
    select = select.from_(compiler.table_expr(), copy=False)
    select = select.where(compiler.where(compiler.in_top(top)), copy=False)
    group = [ts_bucket.copy(), *(compiler.col(b) for b in compiler.breakdowns)]
    select = compiler.heatmap_joins(select).group_by(*group, copy=False)
    select = select.order_by(*(compiler.ordered(compiler.ref(aliases, i)) for i in range(1 + nb)), copy=False)
    if top is not None:
        select = select.with_("top", as_=top, copy=False)
    return compiler.heatmap_ctes(select)
