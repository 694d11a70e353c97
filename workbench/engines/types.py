"""Column types between DuckDB and the engines, both ways, through sqlglot's type mapping.

sqlglot reads and writes each dialect's spelling of a type (``exp.DataType.build(t, dialect=...)``
and ``.sql(dialect=...)``); on top of it the workbench pins a few names:

- DuckDB names as DuckDB's own ``DESCRIBE`` prints them (what ``dataset.metadata.honeycomb_type``
  reads), where sqlglot prints a synonym (INT, REAL, TEXT, INT128, UINT, DATE32);
- times are ``TIMESTAMP`` whatever their zone or precision, stored as ``DateTime64(6, 'UTC')``
  on ClickHouse; dates are ``Date32`` there (``Date`` ends in 2149);
- PostgreSQL has no unsigned integers: each becomes the next wider signed type (UBIGINT and
  HUGEINT: NUMERIC), and NUMERIC / DECIMAL read back as DOUBLE;
- every ClickHouse column is ``Nullable``.

Only ``SCALAR_TYPES`` travel as themselves; anything else (lists, maps, structs, JSON, UUID...)
is text: copied as its JSON (``load``) and read back as VARCHAR.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

__all__ = ["SCALAR_TYPES", "duckdb_type", "engine_type", "scalar_type"]

SCALAR_TYPES: tuple[str, ...] = (
    "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
    "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "VARCHAR", "DATE", "TIMESTAMP",
)  # fmt: skip

_T = exp.DataType.Type
_TIMES = frozenset({_T.DATETIME, _T.DATETIME2, _T.DATETIME64, _T.SMALLDATETIME, _T.TIMESTAMP, _T.TIMESTAMPLTZ,
                    _T.TIMESTAMPNTZ, _T.TIMESTAMPTZ, _T.TIMESTAMP_MS, _T.TIMESTAMP_NS, _T.TIMESTAMP_S})  # fmt: skip
#: DuckDB's own name where sqlglot prints a synonym (or a type DuckDB reads as this one)
_DUCKDB_NAMES = {_T.INT: "INTEGER", _T.FLOAT: "FLOAT", _T.TEXT: "VARCHAR", _T.VARCHAR: "VARCHAR",
                 _T.INT128: "HUGEINT", _T.UINT: "UINTEGER", _T.DATE32: "DATE", _T.DECIMAL: "DOUBLE"}  # fmt: skip
#: the engine's type for a DuckDB scalar, where sqlglot's is not the one the workbench stores
_ENGINE_NAMES = {
    "clickhouse": {"DATE": "Date32", "TIMESTAMP": "DateTime64(6, 'UTC')"},
    "postgres": {"UTINYINT": "SMALLINT", "USMALLINT": "INTEGER", "UINTEGER": "BIGINT", "UBIGINT": "NUMERIC",
                 "HUGEINT": "NUMERIC"},
}  # fmt: skip


def scalar_type(duckdb_type: str) -> str | None:
    """The ``SCALAR_TYPES`` name of a DuckDB column type (any TIMESTAMP is ``TIMESTAMP``); ``None`` for the rest."""
    name = duckdb_type.strip().upper()
    if name.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    return name if name in SCALAR_TYPES else None


def duckdb_type(engine_type: str, dialect: str) -> str:
    """The DuckDB name of an engine's column type (``Nullable(Int32)`` -> ``INTEGER``); VARCHAR for
    anything that is not one of ``SCALAR_TYPES`` (or that sqlglot cannot read)."""
    try:
        dt = exp.DataType.build(engine_type, dialect=dialect)
    except (sqlglot.errors.SqlglotError, ValueError):
        return "VARCHAR"
    while dt.this == _T.LOWCARDINALITY and dt.expressions:
        dt = dt.expressions[0]
    if dt.this in _TIMES:
        return "TIMESTAMP"
    name = _DUCKDB_NAMES.get(dt.this) or dt.sql(dialect="duckdb")
    return name if name in SCALAR_TYPES else "VARCHAR"


def engine_type(duckdb_type: str, dialect: str) -> str:
    """The type a DuckDB column is stored as on ``dialect`` (``clickhouse`` or ``postgres``); text for
    anything that is not one of ``SCALAR_TYPES``."""
    name = scalar_type(duckdb_type) or "VARCHAR"
    pinned = _ENGINE_NAMES.get(dialect, {}).get(name)
    dt = exp.DataType.build(pinned, dialect=dialect) if pinned else exp.DataType.build(name, dialect="duckdb")
    if dialect == "clickhouse":
        dt.set("nullable", True)
    return dt.sql(dialect=dialect)
