"""Result sanity: results that are almost never what a person asked for, whatever the spec says.

Works on a plain result: any object with ``.columns`` and ``.rows`` (``QueryResult``), a mapping
with those keys, or ``None``. Never imports duckdb.
"""

from __future__ import annotations

import re
from typing import Any

from workbench.core.findings import Finding, warning
from workbench.critic.text import column

#: a question that asks to compare groups ("by X" alone may well have one group, e.g. after a filter)
_COMPARE = re.compile(r"\b(?:compare|compared|comparing|comparison|vs|versus|against each other|between)\b")
_RANKS = re.compile(
    r"\b(?:top|most|least|slowest|fastest|highest|lowest|fewest|busiest|biggest|worst|noisiest)\b"
)
_DISTRIBUTION = re.compile(r"\b(?:heatmap|distribution|histogram|spread)\b")
_TREND = re.compile(r"\b(?:per (?:minute|hour|day)|hourly|daily|over time|trends?|timeline|time series)\b")


def _table(result: Any) -> tuple[list[str], list[list[Any]]] | None:
    if result is None:
        return None
    if isinstance(result, dict):
        cols, rows = result.get("columns"), result.get("rows")
    else:
        cols, rows = getattr(result, "columns", None), getattr(result, "rows", None)
    if cols is None or rows is None:
        return None
    return list(cols), [list(r) for r in rows]


def _series(result: Any) -> Any:
    return result.get("series") if isinstance(result, dict) else getattr(result, "series", None)


def check_result(question: str, spec: Any, schema: Any, result: Any) -> list[Finding]:
    """Warnings for a breakdown of only NULL groups, all-NULL aggregates, one bucket or group (what only the
    executed result shows; an aggregate over a constant column is ``constant_columns``, judged before execution)."""
    table = _table(result)
    out: list[Finding] = []
    q = (question or "").lower()
    if table is None:
        return out
    _cols, rows = table
    if not rows:
        return out  # an empty result is explained by the empty-result check
    nb = len(spec.breakdowns)
    if nb and all(all(v is None for v in row[:nb]) for row in rows):
        out.append(warning("critic_result_null_groups", f"every group of the breakdown on {', '.join(spec.breakdowns)}"
                           " is NULL: the column is not set on the events the filters keep", path="breakdowns",
                           suggestion="break down by a column these events have, or check the filters"))  # fmt: skip
    values = [row[nb:] for row in rows]
    if values and values[0] and all(all(v is None for v in row) for row in values):
        out.append(warning("critic_result_null_values", "every aggregate value is NULL: the calculation's column is "
                           "not set on the events the filters keep", path="calculations[0]",
                           suggestion="calculate on a column these events have, or check the filters"))  # fmt: skip
    if nb and len(rows) == 1 and _COMPARE.search(q) and rows[0][0] is not None:
        out.append(warning("critic_result_one_group", f"the question compares groups, but the breakdown on "
                           f"{spec.breakdowns[0]} returned one group", path="filters",
                           suggestion="check that a filter does not keep only one group"))  # fmt: skip
    # a top-N list whose NULL group takes one of the N places: events without the column ranked as one "value"
    null_rows = [all(v is None for v in row[:nb]) for row in rows] if nb else []
    if (
        spec.orders
        and spec.limit
        and _RANKS.search(q)
        and not all(null_rows)
        and any(null_rows[: spec.limit])
    ):
        col = spec.breakdowns[0]
        out.append(warning("critic_result_null_groups", f"the top {spec.limit} include a NULL group: events without "
                           f"{col} are ranked as if they were one {col}", path="filters",
                           suggestion=f"filters[+]: {col} exists"))  # fmt: skip
    out += _buckets(q, spec, rows, nb, _series(result))
    return out


def _buckets(q: str, spec: Any, rows: list[list[Any]], nb: int, series: Any) -> list[Finding]:
    out = []
    heat = [i for i, c in enumerate(spec.effective_calculations) if c.op == "HEATMAP"]
    if heat and _DISTRIBUTION.search(q):
        cells = [row[nb + heat[0]] for row in rows if len(row) > nb + heat[0]]
        if cells and all(isinstance(c, list) and len([b for b in c if b and b[-1]]) <= 1 for c in cells):
            out.append(warning("critic_result_one_bucket", "the question asks for a distribution, but the heatmap has "
                               "one bucket: its column barely varies", path=f"calculations[{heat[0]}].column",
                               suggestion="use the column the question measures"))  # fmt: skip
    if spec.granularity and _TREND.search(q) and series is not None:
        srows = getattr(series, "rows", None) if not isinstance(series, dict) else series.get("rows")
        times = {r[0] for r in srows or ()}
        if len(times) == 1:
            out.append(warning("critic_result_one_bucket", "the question asks for a trend, but the time series has "
                               "one bucket", path="granularity",
                               suggestion="a granularity smaller than the time window"))  # fmt: skip
    return out


def constant_columns(spec: Any, schema: Any) -> list[Finding]:
    out = []
    for i, calc in enumerate(spec.calculations):
        if calc.op in ("COUNT", "COUNT_DISTINCT", "CONCURRENCY") or not calc.column:
            continue
        col = column(schema, calc.column)
        if col is not None and col.last_written is not None and col.distinct_count <= 1:
            out.append(warning("critic_constant_column", f"{calc.op} of {calc.column}: the column holds one value "
                               f"({col.sample_values[0] if col.sample_values else 'none'}) on every event, so the "
                               "answer is that constant", path=f"calculations[{i}].column",
                               suggestion="calculate on the column the question measures"))  # fmt: skip
    return out
