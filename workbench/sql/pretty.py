"""SQL laid out for reading: sqlglot's pretty printer, a clause a line."""

from __future__ import annotations

import sqlglot

__all__ = ["pretty_sql"]


def pretty_sql(sql: str, dialect: str = "duckdb") -> str:
    """``sql`` pretty-printed by sqlglot; the text as given when sqlglot cannot read it back."""
    try:
        return ";\n".join(sqlglot.transpile(sql, read=dialect, write=dialect, pretty=True))
    except Exception:  # shown as it came: a display must not fail on SQL sqlglot cannot read back
        return sql
