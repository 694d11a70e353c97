"""Opening datasets: the generated file, user DuckDB/Parquet/CSV files, schema metadata and errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from workbench.cli import main
from workbench.core import paths
from workbench.core.errors import DatasetError
from workbench.dataset.metadata import compute_metadata
from workbench.dataset.source import Dataset, open_dataset

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def events_df(small_dataset_path):
    """A few columns of the shared dataset as a DataFrame (user files are made from it)."""
    with duckdb.connect(str(small_dataset_path), read_only=True) as con:
        return con.execute(
            'SELECT "timestamp", "service.name", duration_ms, error, "http.response.status_code", '
            '"app.order.total_usd" FROM events ORDER BY "timestamp" LIMIT 20000'
        ).df()


def _write(df, path, fmt: str) -> None:
    with duckdb.connect() as con:
        con.register("df", df)
        con.execute(f"COPY (SELECT * FROM df) TO '{path}' (FORMAT {fmt})")


# --- the generated dataset ------------------------------------------------------------------------


def test_open_generated(small_dataset) -> None:
    assert isinstance(small_dataset, Dataset)
    assert small_dataset.table == "events"
    assert small_dataset.now == NOW
    assert small_dataset.source == "generated"
    assert len(small_dataset.identity) == 12
    assert small_dataset.row_count() == 60_000
    again = open_dataset(small_dataset.path)
    assert again.identity == small_dataset.identity


def test_schema_from_metadata(small_dataset, small_schema) -> None:
    assert small_dataset.schema() is small_schema  # cached
    assert small_schema.now == NOW and small_schema.identity == small_dataset.identity
    assert len(small_schema) >= 400
    status = small_schema.get("http.response.status_code")
    assert status.type == "integer" and all(isinstance(v, int) for v in status.values)
    assert set(small_schema.get("error").values) == {True, False}
    total = small_schema.get("app.order.total_usd")
    assert total.type == "float" and all(isinstance(v, float) for v in total.sample_values)
    assert total.values is None and total.null_fraction > 0.9
    assert small_schema.get("timestamp").type == "timestamp"
    assert small_schema.get("service.name").last_written.tzinfo is not None
    assert small_schema.names[:3] == ["timestamp", "trace.trace_id", "trace.span_id"]


def test_connections_are_read_only_and_sandboxed(small_dataset, tmp_path) -> None:
    con = small_dataset.connect()
    try:
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 60_000
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM events")
        with pytest.raises(duckdb.Error):
            con.execute(f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'")
        with pytest.raises(duckdb.Error):
            con.execute("SELECT * FROM read_csv('/etc/passwd')")
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")
    finally:
        con.close()
    assert small_dataset.connect() is not small_dataset.connect()


def test_describe(small_dataset) -> None:
    info = small_dataset.describe()
    assert info["rows"] == 60_000 and info["columns"] >= 400
    assert info["now"] == "2026-11-20T12:00:00Z" and info["now_epoch"] == 1795176000
    assert info["columns_active_7d"] < info["columns"]
    assert info["info"]["seed"] == "7"
    assert set(info["column_types"]) == {"string", "integer", "float", "boolean", "timestamp"}
    json.dumps(info)


def test_default_dataset_is_generated_on_first_use(capsys) -> None:
    ds = open_dataset(rows=2_000, seed=11)
    err = capsys.readouterr().err
    assert "generating" in err and str(ds.path) in err
    assert ds.path.parent == paths.home() / "data"
    assert ds.row_count() == 2_000
    assert open_dataset(rows=2_000, seed=11).identity == ds.identity
    assert capsys.readouterr().err == ""


# --- metadata: exact, in a documented order -------------------------------------------------------

#: ties everywhere: a and b twice, c/d/e/f once; 10 and 9 three times, 100 once; one false, one true.
TIES = """
SELECT TIMESTAMP '2026-11-20' + INTERVAL (i) MINUTE AS "timestamp",
       ['b', 'a', 'f', 'c', 'a', 'e', 'd', 'b'][i + 1] AS s,
       [10, 100, 9, 10, 9, 9, 10, NULL][i + 1] AS n,
       [true, NULL, NULL, false, NULL, NULL, NULL, NULL][i + 1] AS flag,
       ([0.5, 0.25, 0.5, 0.25, NULL, NULL, NULL, NULL]::DOUBLE[])[i + 1] AS x
FROM range(8) t(i)
"""


@pytest.mark.parametrize("kind", ["table", "parquet view"])
def test_metadata_orders_values_by_count_then_value(tmp_path, kind: str) -> None:
    """The order that used to change with DuckDB's patch release: ties are broken by value, in its type."""
    with duckdb.connect() as con:
        if kind == "table":
            con.execute(f"CREATE TABLE events AS {TIES}")
        else:  # a user's files: a view, no rowid
            con.execute(f"COPY ({TIES}) TO '{tmp_path / 'ties.parquet'}' (FORMAT parquet)")
            con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{tmp_path / 'ties.parquet'}')")
        meta = {m["key_name"]: m for m in compute_metadata(con, "events")}
    assert meta["s"]["domain"] == ["a", "b", "c", "d", "e", "f"]
    assert meta["s"]["sample_values"] == ["a", "b", "c", "d", "e"]
    assert meta["n"]["domain"] == ["9", "10", "100"]  # numerically, not as text
    assert meta["flag"]["domain"] == ["false", "true"]
    assert meta["x"]["domain"] == ["0.25", "0.5"]
    assert [meta[k]["distinct_count"] for k in ("s", "n", "flag", "x")] == [6, 3, 2, 2]
    assert meta["n"]["null_fraction"] == 1 / 8 and meta["flag"]["null_fraction"] == 6 / 8
    assert meta["flag"]["last_written"] == datetime(2026, 11, 20, 0, 3)
    assert meta["timestamp"]["distinct_count"] == 8 and meta["timestamp"]["sample_values"] == []


def test_metadata_distinct_counts_are_exact() -> None:
    """HyperLogLog is a few percent off at these sizes (978 for 1,000, 4,902 for 5,000): counts must be exact."""
    with duckdb.connect() as con:
        con.execute(
            "CREATE TABLE events AS SELECT TIMESTAMP '2026-11-20' + INTERVAL (i) SECOND AS \"timestamp\", "
            "i % 1000 AS a, i % 5000 AS b, 'v' || (i % 3000) AS c, i % 30 AS d FROM range(20000) t(i)"
        )
        meta = {m["key_name"]: m for m in compute_metadata(con, "events")}
    assert [meta[k]["distinct_count"] for k in ("timestamp", "a", "b", "c", "d")] == [
        20000,
        1000,
        5000,
        3000,
        30,
    ]
    # every value of a is there 20 times: the samples are the smallest, in numeric order
    assert meta["a"]["sample_values"] == ["0", "1", "2", "3", "4"] and meta["a"]["domain"] is None
    assert meta["c"]["sample_values"] == ["v0", "v1", "v10", "v100", "v1000"]  # strings by bytes
    assert meta["d"]["domain"] is None and len(meta["d"]["sample_values"]) == 5


# --- user data ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_open_files_round_trip(events_df, tmp_path, fmt: str) -> None:
    path = tmp_path / f"events.{fmt}"
    _write(events_df, path, fmt)
    ds = open_dataset(path)
    assert ds.source == fmt and ds.files == (path.resolve(),)
    assert ds.row_count() == len(events_df)
    assert ds.now == events_df["timestamp"].max().to_pydatetime().replace(tzinfo=UTC)
    assert ds.path.parent == paths.home() / ".cache" / "datasets"
    schema = ds.schema()
    assert schema.names == list(events_df.columns)
    assert schema.get("error").type == "boolean"
    assert schema.get("http.response.status_code").type == "integer"
    assert set(schema.get("service.name").values) == set(events_df["service.name"].unique())
    with ds.connect() as con:  # the view's own files stay readable, nothing else
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] == len(events_df)
        with pytest.raises(duckdb.Error):
            con.execute("SELECT * FROM read_csv('/etc/passwd')")
    again = open_dataset(str(path))
    assert again.path == ds.path and again.identity == ds.identity


def test_open_glob_and_list(events_df, tmp_path) -> None:
    half = len(events_df) // 2
    _write(events_df.iloc[:half], tmp_path / "a.parquet", "parquet")
    _write(events_df.iloc[half:], tmp_path / "b.parquet", "parquet")
    by_glob = open_dataset(str(tmp_path / "*.parquet"))
    by_list = open_dataset([tmp_path / "a.parquet", tmp_path / "b.parquet"])
    assert by_glob.row_count() == by_list.row_count() == len(events_df)
    assert by_glob.identity == by_list.identity
    assert len(by_glob.files) == 2


def test_user_duckdb_without_metadata_is_not_written(events_df, tmp_path) -> None:
    path = tmp_path / "mine.duckdb"
    with duckdb.connect(str(path)) as con:
        con.register("df", events_df)
        con.execute("CREATE TABLE events AS SELECT * FROM df")
    before = (path.stat().st_size, path.stat().st_mtime_ns)
    ds = open_dataset(path)
    assert ds.source == "duckdb"
    assert ds.now == events_df["timestamp"].max().to_pydatetime().replace(tzinfo=UTC)
    col = ds.schema().get("service.name")
    assert col.distinct_count == events_df["service.name"].nunique()
    assert col.last_written is not None
    assert (path.stat().st_size, path.stat().st_mtime_ns) == before
    with duckdb.connect(str(path), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert tables == {"events"}


def test_schema_active_rule(small_schema) -> None:
    active = small_schema.active(7)
    cutoff = NOW - timedelta(days=7)
    assert all(c.last_written >= cutoff for c in active)
    assert "http.method" not in active and "http.request.method" in active


# --- errors ---------------------------------------------------------------------------------------


def test_missing_dataset(tmp_path) -> None:
    with pytest.raises(DatasetError) as err:
        open_dataset(tmp_path / "nope.duckdb")
    assert str(err.value) == (
        f"dataset not found: {tmp_path / 'nope.duckdb'} (run `workbench data generate` or pass --data PATH)"
    )
    with pytest.raises(DatasetError, match="dataset not found"):
        open_dataset(str(tmp_path / "nothing-*.parquet"))


def test_not_a_duckdb_file(tmp_path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    with pytest.raises(DatasetError, match="not a DuckDB file"):
        open_dataset(bad)


def test_no_events_table(tmp_path) -> None:
    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE spans AS SELECT now() AS timestamp")
    with pytest.raises(DatasetError, match="no `events` table"):
        open_dataset(path)


def test_no_timestamp_column(tmp_path) -> None:
    path = tmp_path / "nots.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE events AS SELECT 1 AS x")
    with pytest.raises(DatasetError, match="no `timestamp` column"):
        open_dataset(path)
    csv = tmp_path / "x.csv"
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(DatasetError, match="no `timestamp` column"):
        open_dataset(csv)


def test_mixed_files(events_df, tmp_path) -> None:
    _write(events_df, tmp_path / "a.parquet", "parquet")
    _write(events_df, tmp_path / "b.csv", "csv")
    with pytest.raises(DatasetError, match="mixed or unsupported"):
        open_dataset([tmp_path / "a.parquet", tmp_path / "b.csv"])


def test_errors_are_one_line(tmp_path) -> None:
    with pytest.raises(DatasetError) as err:
        open_dataset(tmp_path / "missing.parquet")
    assert "\n" not in str(err.value)


# --- CLI ------------------------------------------------------------------------------------------


def test_cli_generate_and_info(tmp_path, capsys) -> None:
    out = tmp_path / "cli.duckdb"
    assert main(["data", "generate", "--rows", "3000", "--seed", "2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"path: {out}" in text and "rows: 3000" in text and "columns: " in text and "seconds: " in text
    assert main(["data", "info", "--data", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["rows"] == 3000 and info["source"] == "generated" and info["info"]["seed"] == "2"
    assert main(["data", "info", "--data", str(out)]) == 0
    assert "rows: 3000" in capsys.readouterr().out


def test_cli_info_missing(tmp_path, capsys) -> None:
    assert main(["data", "info", "--data", str(tmp_path / "none.duckdb")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("workbench: error: dataset not found") and err.count("\n") == 1
