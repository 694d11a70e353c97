"""The statement check for engines that are not DuckDB: one SELECT, parsed by sqlglot in their dialect."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from workbench.engines.base import QueryError, one_line

__all__ = ["check_select"]


def check_select(sql: str, dialect: str) -> None:
    """Refuse anything but one SELECT (or UNION of SELECTs); the engine's read-only mode is the second wall."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise QueryError(f"the SQL does not parse: {one_line(exc)}", "fix the SQL") from None
    if len(statements) != 1:
        raise QueryError(
            f"expected one SQL statement, got {len(statements)}",
            "run a single SELECT, without ';'-separated parts",
        )
    if not isinstance(statements[0], exp.Query):
        kind = type(statements[0]).__name__.upper()
        raise QueryError(
            f"only SELECT queries may run on a dataset, not {kind}",
            "datasets are read-only; query them with SELECT",
        )
