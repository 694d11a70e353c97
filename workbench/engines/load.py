"""Copy a DuckDB table into ClickHouse (chdb or a server) or PostgreSQL: for tests, benchmarks, `data generate`.

Types map through ``engines.types`` (every ClickHouse column nullable, times as UTC
``DateTime64(6, 'UTC')`` / ``TIMESTAMP``, lists and other nested values as JSON text);
identifiers are quoted by sqlglot. The rows go through a Parquet file for ClickHouse and
``COPY`` for PostgreSQL.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlglot import exp

from workbench.engines.base import Engine
from workbench.engines.types import engine_type, scalar_type

__all__ = ["copy_table", "ident"]


def ident(name: str, dialect: str) -> str:
    """A quoted identifier in ``dialect``."""
    return exp.to_identifier(name, quoted=True).sql(dialect=dialect)


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
    known = scalar_type(typ) is not None
    q = ident(name, "duckdb")
    return q if known else f"CAST(to_json({q}) AS VARCHAR) AS {q}"


def _to_clickhouse(
    source: Any, select: str, described: list[tuple[str, str]], engine: Any, target: str
) -> int:
    name = ident(target, "clickhouse")
    cols = ", ".join(f"{ident(n, 'clickhouse')} {engine_type(t, 'clickhouse')}" for n, t in described)
    engine.command(f"DROP TABLE IF EXISTS {name}")
    engine.command(f"CREATE TABLE {name} ({cols}) ENGINE = MergeTree ORDER BY tuple()")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.parquet"
        source.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
        engine.command(f"INSERT INTO {name} SELECT * FROM file('{path}', Parquet)")
    return int(source.execute(f"SELECT count(*) FROM ({select})").fetchone()[0])


def _to_postgres(source: Any, select: str, described: list[tuple[str, str]], engine: Any, target: str) -> int:
    name = ident(target, "postgres")
    cols = ", ".join(f"{ident(n, 'postgres')} {engine_type(t, 'postgres')}" for n, t in described)
    engine.execute(f"DROP TABLE IF EXISTS {name}")
    engine.execute(f"CREATE TABLE {name} ({cols})")
    rows = source.execute(select).fetchall()
    with engine._lock, engine._conn.cursor() as cur:
        with cur.copy(f"COPY {name} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        engine._conn.commit()
    return len(rows)
