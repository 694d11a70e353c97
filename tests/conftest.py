"""Shared fixtures: every test gets its own WORKBENCH_HOME; one small dataset per session."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: rows in the shared test dataset: big enough for every column and incident, small enough to be quick.
SMALL_ROWS = 60_000
SMALL_SEED = 7


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the workbench home at a fresh temp folder and keep real keys out of every test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(scope="session")
def small_dataset_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated telemetry DuckDB file shared by the whole session (read it, never write it)."""
    from workbench.dataset.source import generate

    path = tmp_path_factory.mktemp("data") / "telemetry.duckdb"
    generate(path, rows=SMALL_ROWS, seed=SMALL_SEED)
    return path


@pytest.fixture(scope="session")
def small_dataset(small_dataset_path: Path):
    from workbench.dataset.source import open_dataset

    return open_dataset(small_dataset_path)


@pytest.fixture(scope="session")
def small_schema(small_dataset):
    return small_dataset.schema()
