"""Run compiled queries on a dataset: read-only, with a timeout and a row cap.

``run_query(dataset, spec)`` compiles and runs a spec (summary, then series);
``run_sql(dataset, sql)`` runs one SELECT a person wrote. Both use the
dataset's read-only connection (``dataset.connect()``), refuse anything but a
single SELECT/EXPLAIN statement, interrupt a query that runs past
``timeout_s`` (``QueryTimeout``), keep at most ``max_rows`` rows (``truncated``
says when more existed), and turn every DuckDB error into a one-line
``QueryError``: a bad query never crashes the caller.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

import duckdb

from workbench.core.errors import WorkbenchError
from workbench.engines.base import QueryError, QueryTimeout, one_line, timeout_error
from workbench.engines.duckdb import run_on
from workbench.spec.query import QuerySpec, parse_spec
from workbench.sql.compiler import CompiledQuery, compile_spec
from workbench.sql.heatmap import count_cells

if TYPE_CHECKING:
    import pandas as pd

    from workbench.schema.columns import Schema

__all__ = ["QueryError", "QueryResult", "QueryTimeout", "run_compiled", "run_query", "run_sql"]

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_ROWS = 10_000


class DatasetLike(Protocol):
    """What execution needs of a dataset (``workbench.dataset.source.Dataset`` has it)."""

    def connect(self) -> duckdb.DuckDBPyConnection: ...

    def schema(self) -> Schema: ...


@dataclass(frozen=True)
class QueryResult:
    """Rows of one query, plus how they were obtained.

    Args:
        columns: column labels (``http.route``, ``P99(duration_ms)``; ``time`` first in a series).
        rows: Python values as DuckDB returns them (datetimes stay datetimes; a HEATMAP cell is
            a dict {bucket lower bound: count}); ``to_dict`` makes them JSON-friendly.
        series: the per-time-bucket result, when the spec has a granularity.
        sql: the SQL that produced ``rows``; series_sql: the series' SQL.
        elapsed_ms: wall time of execution and fetching (both queries for ``run_query``).
        truncated: more than ``max_rows`` rows existed; only the first ``max_rows`` are kept.
        meta: facts for displays, e.g. ``window`` (start, end epoch seconds) and ``granularity``.
    """

    columns: list[str]
    rows: list[tuple[Any, ...]]
    series: QueryResult | None = None
    sql: str = ""
    series_sql: str | None = None
    elapsed_ms: float = 0.0
    truncated: bool = False
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_empty(self) -> bool:
        return not self.rows

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"columns", "rows", "truncated", "elapsed_ms", "sql"}`` plus ``"series"``."""
        out: dict[str, Any] = {
            "columns": list(self.columns),
            "rows": [[jsonable(v) for v in row] for row in self.rows],
            "truncated": self.truncated,
            "elapsed_ms": round(self.elapsed_ms, 3),
            "sql": self.sql,
        }
        if self.series is not None:
            out["series"] = self.series.to_dict()
        return out

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame.from_records(self.rows, columns=self.columns)

    def __repr__(self) -> str:
        more = " (truncated)" if self.truncated else ""
        series = f", series of {len(self.series.rows)} rows" if self.series is not None else ""
        return f"QueryResult({len(self.rows)} rows x {len(self.columns)} columns{more}{series}, {self.elapsed_ms:.1f} ms)"


def jsonable(value: Any) -> Any:
    """A value JSON can hold: ISO strings for times, floats for decimals, None for NaN/inf.

    A map with non-string keys (a HEATMAP cell) becomes a list of ``[key, value]`` pairs, sorted.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date | dtime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return jsonable(float(value))
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: jsonable(v) for k, v in value.items()}
        pairs = sorted(value.items(), key=lambda kv: (kv[0] is None, kv[0]))
        return [[jsonable(k), jsonable(v)] for k, v in pairs]
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


def _timeout(seconds: float | None) -> QueryTimeout:
    return timeout_error(seconds)


def run_sql(
    dataset: DatasetLike,
    sql: str,
    *,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
    max_rows: int = DEFAULT_MAX_ROWS,
    columns: list[str] | tuple[str, ...] | None = None,
) -> QueryResult:
    """Run one SELECT on the dataset's read-only connection.

    Args:
        dataset: a dataset with an ``engine`` (DuckDB, ClickHouse, PostgreSQL: one connection, reused),
            or anything whose ``connect()`` returns a new read-only DuckDB connection (closed here).
        sql: a single SELECT (or EXPLAIN) statement.
        timeout_s: interrupt the query after this many seconds (``None``: no limit).
        max_rows: keep at most this many rows; ``truncated`` tells when there were more.
        columns: labels to report instead of the cursor's column names.

    Raises:
        QueryTimeout: the query ran past ``timeout_s``.
        QueryError: the SQL is not a single SELECT, or the engine rejected it (one line).
    """
    if max_rows < 0:
        raise WorkbenchError(f"max_rows must be >= 0, got {max_rows}", "use a positive row cap")
    engine = getattr(dataset, "engine", None)
    started = time.perf_counter()
    if engine is not None:
        names, rows = engine.query(sql, timeout_s=timeout_s, max_rows=max_rows)
    else:  # anything with only connect(): a new connection per query, closed here
        try:
            conn = dataset.connect()
        except duckdb.Error as exc:
            raise QueryError(f"cannot open the dataset: {one_line(exc)}", "check the dataset path") from None
        try:
            names, rows = run_on(conn, sql, timeout_s, max_rows)
        finally:
            conn.close()
    elapsed_ms = (time.perf_counter() - started) * 1000
    truncated = len(rows) > max_rows
    return QueryResult(
        columns=list(columns) if columns is not None else names,
        rows=rows[:max_rows],
        sql=sql,
        elapsed_ms=elapsed_ms,
        truncated=truncated,
    )


def run_compiled(
    dataset: DatasetLike,
    compiled: CompiledQuery,
    *,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> QueryResult:
    """Run a compiled query (summary, then series) within one time budget."""
    dialect = getattr(dataset, "dialect", "duckdb")
    if compiled.dialect != dialect:
        raise WorkbenchError(
            f"cannot run {compiled.dialect} SQL on a {dialect} dataset", f"compile for {dialect}"
        )
    deadline = None if timeout_s is None else time.perf_counter() + timeout_s
    summary = run_sql(dataset, compiled.sql, timeout_s=timeout_s, max_rows=max_rows, columns=compiled.columns)
    series = None
    if compiled.series_sql is not None:
        left = None if deadline is None else max(0.001, deadline - time.perf_counter())
        try:
            series = run_sql(
                dataset,
                compiled.series_sql,
                timeout_s=left,
                max_rows=max_rows,
                columns=compiled.series_columns,
            )
        except QueryTimeout:  # report the whole budget, not what was left of it
            raise _timeout(timeout_s) from None
    rows = summary.rows
    if compiled.heatmaps:  # PostgreSQL gives a cell as the array of its values' lower bounds
        rows = count_cells(rows, compiled.heatmaps)
        if series is not None:
            series_rows = count_cells(series.rows, tuple(i + 1 for i in compiled.heatmaps))
            series = dataclasses.replace(series, rows=series_rows)
    return QueryResult(
        columns=summary.columns,
        rows=rows,
        series=series,
        sql=compiled.sql,
        series_sql=compiled.series_sql,
        elapsed_ms=summary.elapsed_ms + (series.elapsed_ms if series else 0.0),
        truncated=summary.truncated,
        meta={"window": compiled.window, "granularity": compiled.granularity},
    )


def run_query(
    dataset: DatasetLike,
    spec: QuerySpec | dict[str, Any] | str,
    *,
    timeout_s: float | None = DEFAULT_TIMEOUT_S,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> QueryResult:
    """Compile ``spec`` against the dataset's schema and run it.

    The spec should have passed ``workbench.spec.validate.layers``; compiling trusts its rules.

    Example:
        >>> result = run_query(dataset, {"calculations": [{"op": "COUNT"}], "breakdowns": ["service.name"]})
        >>> result.columns
        ['service.name', 'COUNT']
    """
    compiled = compile_spec(parse_spec(spec), dataset.schema(), dialect=getattr(dataset, "dialect", "duckdb"))
    return run_compiled(dataset, compiled, timeout_s=timeout_s, max_rows=max_rows)
