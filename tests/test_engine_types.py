"""engines.types: one type mapping (sqlglot's, a few names pinned) between DuckDB and the engines."""

from __future__ import annotations

import pytest

from workbench.dataset.metadata import honeycomb_type
from workbench.engines.types import SCALAR_TYPES, duckdb_type, engine_type, scalar_type

ENGINES = ("clickhouse", "postgres")


@pytest.mark.parametrize("dialect", ENGINES)
@pytest.mark.parametrize("name", SCALAR_TYPES)
def test_every_scalar_reads_back_with_its_honeycomb_type(name: str, dialect: str) -> None:
    stored = engine_type(name, dialect)
    back = honeycomb_type(duckdb_type(stored, dialect))
    if dialect == "postgres" and name in ("UBIGINT", "HUGEINT"):  # NUMERIC there, which may hold fractions
        assert stored == "DECIMAL" and back == "float"
    else:
        assert back == honeycomb_type(name)


@pytest.mark.parametrize("name", SCALAR_TYPES)
def test_clickhouse_keeps_every_scalar_exactly_and_nullable(name: str) -> None:
    stored = engine_type(name, "clickhouse")
    assert stored.startswith("Nullable(")
    assert duckdb_type(stored, "clickhouse") == name


@pytest.mark.parametrize(
    ("duckdb", "clickhouse", "postgres"),
    [
        ("DATE", "Nullable(Date32)", "DATE"),
        ("TIMESTAMP", "Nullable(DateTime64(6, 'UTC'))", "TIMESTAMP"),
        ("TIMESTAMP WITH TIME ZONE", "Nullable(DateTime64(6, 'UTC'))", "TIMESTAMP"),
        ("UBIGINT", "Nullable(UInt64)", "DECIMAL"),
        ("UINTEGER", "Nullable(UInt32)", "BIGINT"),
        ("FLOAT", "Nullable(Float32)", "REAL"),
        ("VARCHAR", "Nullable(String)", "TEXT"),
        ("VARCHAR[]", "Nullable(String)", "TEXT"),  # nested values travel as JSON text
        ("STRUCT(a INTEGER)", "Nullable(String)", "TEXT"),
    ],
)
def test_pinned_engine_types(duckdb: str, clickhouse: str, postgres: str) -> None:
    assert engine_type(duckdb, "clickhouse") == clickhouse
    assert engine_type(duckdb, "postgres") == postgres


@pytest.mark.parametrize(
    ("engine", "dialect", "expected"),
    [
        ("Nullable(LowCardinality(String))", "clickhouse", "VARCHAR"),
        ("LowCardinality(Nullable(String))", "clickhouse", "VARCHAR"),
        ("Nullable(Int32)", "clickhouse", "INTEGER"),
        ("Float32", "clickhouse", "FLOAT"),
        ("Date32", "clickhouse", "DATE"),
        ("DateTime", "clickhouse", "TIMESTAMP"),
        ("DateTime64(3, 'Europe/Paris')", "clickhouse", "TIMESTAMP"),
        ("Map(LowCardinality(String), String)", "clickhouse", "VARCHAR"),
        ("Array(UInt64)", "clickhouse", "VARCHAR"),
        ("Nullable(Nothing)", "clickhouse", "VARCHAR"),
        ("Object('json')", "clickhouse", "VARCHAR"),  # sqlglot cannot read it: text
        ("integer", "postgres", "INTEGER"),
        ("real", "postgres", "FLOAT"),
        ("double precision", "postgres", "DOUBLE"),
        ("numeric", "postgres", "DOUBLE"),
        ("character varying", "postgres", "VARCHAR"),
        ("timestamp with time zone", "postgres", "TIMESTAMP"),
        ("time without time zone", "postgres", "VARCHAR"),
        ("jsonb", "postgres", "VARCHAR"),
        ("USER-DEFINED", "postgres", "VARCHAR"),
    ],
)
def test_engine_types_read_as_duckdb_names(engine: str, dialect: str, expected: str) -> None:
    assert duckdb_type(engine, dialect) == expected


def test_scalar_type() -> None:
    assert scalar_type("timestamp_ns") == "TIMESTAMP"
    assert scalar_type("integer") == "INTEGER"
    assert scalar_type("VARCHAR[]") is None and scalar_type("DECIMAL(10,2)") is None
