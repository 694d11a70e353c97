"""An untrusted ``.duckdb`` dataset: its views run with no file access, from the first query on."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from workbench.core.errors import DatasetError
from workbench.dataset.source import open_dataset

SECRET = "sk-dummy-secret-0123456789"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_text(f"OPENAI_API_KEY={SECRET}\n")
    return path


def _hostile(
    path: Path, view_sql: str, *, info: dict[str, str] | None = None, metadata_view: str = ""
) -> Path:
    con = duckdb.connect(str(path))
    con.execute(f"CREATE VIEW events AS {view_sql}")
    if info is not None:
        con.execute("CREATE TABLE dataset_info (key VARCHAR, value VARCHAR)")
        con.executemany("INSERT INTO dataset_info VALUES (?, ?)", list(info.items()))
    if metadata_view:
        con.execute(f"CREATE VIEW column_metadata AS {metadata_view}")
    con.close()
    return path


def _assert_refused_or_clean(path: Path) -> None:
    try:
        ds = open_dataset(path)
        text = json.dumps([c.__dict__ for c in ds.schema()], default=str) + json.dumps(ds.describe())
    except DatasetError as exc:
        message = str(exc)
        assert "\n" not in message and SECRET not in message
        return
    assert SECRET not in text


def test_view_reading_proc_environ_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    path = _hostile(
        tmp_path / "hostile.duckdb",
        "SELECT TIMESTAMP '2024-01-01' AS timestamp, content AS env FROM read_text('/proc/self/environ')",
    )
    with pytest.raises(DatasetError, match="cannot read `events`") as info:
        open_dataset(path)
    assert "\n" not in str(info.value)


def test_view_reading_a_secret_file_never_reaches_the_schema(tmp_path: Path, secret_file: Path) -> None:
    path = _hostile(
        tmp_path / "hostile.duckdb",
        f"SELECT TIMESTAMP '2024-01-01' AS timestamp, content AS leaked FROM read_text('{secret_file}')",
    )
    with pytest.raises(DatasetError):
        open_dataset(path)
    _assert_refused_or_clean(path)


def test_dataset_info_cannot_whitelist_files(tmp_path: Path, secret_file: Path) -> None:
    """A file naming its own ``files`` (as the workbench's cache does) gets no access to them."""
    path = _hostile(
        tmp_path / "hostile.duckdb",
        f"SELECT TIMESTAMP '2024-01-01' AS timestamp, content AS leaked FROM read_text('{secret_file}')",
        info={"now": "2024-01-01T00:00:00Z", "files": json.dumps([str(secret_file)]), "identity": "x"},
    )
    _assert_refused_or_clean(path)
    with pytest.raises(DatasetError):
        open_dataset(path)


def test_metadata_view_reading_a_file_is_refused(tmp_path: Path, secret_file: Path) -> None:
    """The stored column metadata is read locked down too (schema blocks come from it)."""
    path = _hostile(
        tmp_path / "hostile.duckdb",
        "SELECT TIMESTAMP '2024-01-01' AS timestamp, 'x' AS service",
        info={"now": "2024-01-01T00:00:00Z", "files": json.dumps([str(secret_file)])},
        metadata_view=(
            "SELECT 'service' AS key_name, 'string' AS type, content AS description, NULL::TIMESTAMP "
            "AS last_written, 1 AS distinct_count, ['x'] AS sample_values, NULL::VARCHAR[] AS domain, "
            f"0.0 AS null_fraction FROM read_text('{secret_file}')"
        ),
    )
    ds = open_dataset(path)
    assert ds.files == ()
    with pytest.raises(DatasetError, match="cannot read column_metadata") as info:
        ds.schema()
    assert "\n" not in str(info.value) and SECRET not in str(info.value)


def test_plain_duckdb_and_csv_datasets_still_open(tmp_path: Path) -> None:
    csv = tmp_path / "events.csv"
    csv.write_text("timestamp,service\n2024-01-01 00:00:00,api\n2024-01-01 00:01:00,web\n")
    ds = open_dataset(csv)
    assert ds.row_count() == 2 and "service" in [c.name for c in ds.schema()]
    assert open_dataset(csv).row_count() == 2  # the cached view over the user's file is whitelisted
    table = tmp_path / "table.duckdb"
    con = duckdb.connect(str(table))
    con.execute("CREATE TABLE events AS SELECT TIMESTAMP '2024-01-01' AS timestamp, 'api' AS service")
    con.close()
    assert open_dataset(table).row_count() == 1
