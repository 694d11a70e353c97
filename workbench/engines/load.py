"""Copy a DuckDB table into ClickHouse (chdb or a server) or PostgreSQL: for tests, benchmarks, `data generate`.

Types map one to one (every column nullable, times as UTC ``DateTime64(6, 'UTC')`` /
``TIMESTAMP``); identifiers are quoted by sqlglot. The rows go through a Parquet file for
ClickHouse and ``COPY`` for PostgreSQL.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlglot import exp

from workbench.engines.base import Engine

__all__ = ["clickhouse_type", "copy_table", "ident", "postgres_type"]

_CH_TYPES = {
    "BOOLEAN": "Bool", "TINYINT": "Int8", "SMALLINT": "Int16", "INTEGER": "Int32", "BIGINT": "Int64",
    "HUGEINT": "Int128", "UTINYINT": "UInt8", "USMALLINT": "UInt16", "UINTEGER": "UInt32",
    "UBIGINT": "UInt64", "FLOAT": "Float32", "DOUBLE": "Float64", "VARCHAR": "String", "DATE": "Date32",
}  # fmt: skip
_PG_TYPES = {
    "BOOLEAN": "BOOLEAN", "TINYINT": "SMALLINT", "SMALLINT": "SMALLINT", "INTEGER": "INTEGER",
    "BIGINT": "BIGINT", "UTINYINT": "SMALLINT", "USMALLINT": "INTEGER", "UINTEGER": "BIGINT",
    "UBIGINT": "NUMERIC", "HUGEINT": "NUMERIC", "FLOAT": "REAL", "DOUBLE": "DOUBLE PRECISION",
    "VARCHAR": "TEXT", "DATE": "DATE",
}  # fmt: skip


def ident(name: str, dialect: str) -> str:
    """A quoted identifier in ``dialect``."""
    return exp.to_identifier(name, quoted=True).sql(dialect=dialect)


def clickhouse_type(duckdb_type: str) -> str:
    t = duckdb_type.upper()
    if t.startswith("TIMESTAMP"):
        return "Nullable(DateTime64(6, 'UTC'))"
    return f"Nullable({_CH_TYPES.get(t, 'String')})"


def postgres_type(duckdb_type: str) -> str:
    t = duckdb_type.upper()
    if t.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    return _PG_TYPES.get(t, "TEXT")


def copy_table(
    path: Path, table: str, engine: Engine, target: str | None = None, columns: Sequence[str] | None = None
) -> int:
    """Copy ``table`` of the DuckDB file ``path`` into ``engine`` as ``target`` (replaced); rows copied.

    ``path`` must be a file the workbench wrote (it is opened without the lock-down, to export
    it). ``columns``: copy only these (in table order); default all. Types the engine lacks become text.
    """
    import duckdb

    with duckdb.connect(str(path), read_only=True) as source:
        return _copy(source, table, engine, target or table, columns)


def _copy(source: Any, table: str, engine: Engine, target: str, columns: Sequence[str] | None) -> int:
    described = [(r[0], r[1]) for r in source.execute(f"DESCRIBE {ident(table, 'duckdb')}").fetchall()]
    if columns is not None:
        wanted = set(columns)
        described = [(n, t) for n, t in described if n in wanted]
    select = (
        "SELECT " + ", ".join(_source_column(n, t) for n, t in described) + f" FROM {ident(table, 'duckdb')}"
    )
    if engine.dialect == "clickhouse":
        return _to_clickhouse(source, select, described, engine, target)
    return _to_postgres(source, select, described, engine, target)


def _source_column(name: str, typ: str) -> str:
    """The column as copied: lists and other nested values as JSON text."""
    known = typ.upper() in _CH_TYPES or typ.upper().startswith("TIMESTAMP")
    q = ident(name, "duckdb")
    return q if known else f"CAST(to_json({q}) AS VARCHAR) AS {q}"


def _to_clickhouse(
    source: Any, select: str, described: list[tuple[str, str]], engine: Any, target: str
) -> int:
    name = ident(target, "clickhouse")
    cols = ", ".join(f"{ident(n, 'clickhouse')} {clickhouse_type(t)}" for n, t in described)
    engine.command(f"DROP TABLE IF EXISTS {name}")
    engine.command(f"CREATE TABLE {name} ({cols}) ENGINE = MergeTree ORDER BY tuple()")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.parquet"
        source.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
        engine.command(f"INSERT INTO {name} SELECT * FROM file('{path}', Parquet)")
    return int(source.execute(f"SELECT count(*) FROM ({select})").fetchone()[0])


def _to_postgres(source: Any, select: str, described: list[tuple[str, str]], engine: Any, target: str) -> int:
    name = ident(target, "postgres")
    cols = ", ".join(f"{ident(n, 'postgres')} {postgres_type(t)}" for n, t in described)
    engine.execute(f"DROP TABLE IF EXISTS {name}")
    engine.execute(f"CREATE TABLE {name} ({cols})")
    rows = source.execute(select).fetchall()
    with engine._lock, engine._conn.cursor() as cur:
        with cur.copy(f"COPY {name} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        engine._conn.commit()
    return len(rows)
