"""HEATMAP cells from ClickHouse (lowers, counts) arrays and PostgreSQL arrays become DuckDB's {lower: count}."""

from __future__ import annotations

import pytest

from workbench.core.errors import WorkbenchError
from workbench.spec.query import parse_spec
from workbench.sql.compiler import compile_spec
from workbench.sql.heatmap import count_cells

_SPEC = {"calculations": [{"op": "COUNT"}, {"op": "HEATMAP", "column": "duration_ms"}], "breakdowns": ["x"]}


def test_cells_from_each_engine_become_one_form() -> None:
    rows = [("a", 3, ([0.5, 2.0], [2, 1])), ("b", 1, [2.0, 0.5, 0.5]), ("c", 0, None), ("d", 0, ([], []))]
    assert count_cells(rows, (2,)) == [
        ("a", 3, {0.5: 2, 2.0: 1}),
        ("b", 1, {0.5: 2, 2.0: 1}),
        ("c", 0, None),
        ("d", 0, None),
    ]
    assert count_cells(rows, ()) is rows


@pytest.mark.parametrize("dialect", ["duckdb", "clickhouse", "postgres"])
def test_heatmap_compiles_where_it_runs(dialect: str) -> None:
    compiled = compile_spec(parse_spec(_SPEC), 1795176000, dialect=dialect)
    assert compiled.heatmaps == (2,)
    assert {"duckdb": "HISTOGRAM", "clickhouse": "sumMap", "postgres": "ARRAY_AGG"}[
        dialect
    ] in compiled.sql.replace("histogram", "HISTOGRAM")


def test_heatmap_refused_elsewhere_in_one_line() -> None:
    with pytest.raises(WorkbenchError) as info:
        compile_spec(parse_spec(_SPEC), 1795176000, dialect="bigquery")
    assert "\n" not in str(info.value) and "duckdb, clickhouse, postgres" in str(info.value)
