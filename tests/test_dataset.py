"""Opening datasets: the generated file, user DuckDB/Parquet/CSV files, schema metadata and errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workbench.dataset import open_dataset
from workbench.errors import DatasetError


def test_open_generated(small_dataset) -> None:
    assert small_dataset.table == "events"
    assert small_dataset.now == datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert small_dataset.source == "generated"
    assert len(small_dataset.identity) == 12
    assert small_dataset.row_count() == 60_000


def test_schema_types_and_domains(small_schema) -> None:
    assert len(small_schema) >= 400
    status = small_schema.get("http.response.status_code")
    assert status.type == "integer"
    assert all(isinstance(v, int) for v in status.values)
    assert set(small_schema.get("error").values) == {True, False}
    assert small_schema.get("duration_ms").type == "float"
    assert small_schema.get("timestamp").type == "timestamp"


def test_missing_dataset_error(tmp_path) -> None:
    with pytest.raises(DatasetError, match="dataset not found"):
        open_dataset(tmp_path / "nope.duckdb")
