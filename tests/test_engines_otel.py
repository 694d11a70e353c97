"""The OpenTelemetry ``otel_traces`` schema on embedded ClickHouse, read through ``mappings/otel_traces.yaml``.

The session dataset is written in the exporter's schema (``engines.otel``: nanosecond
``Duration``, ``ParentSpanId = ''`` for roots, attributes as text in Maps) and opened with the
shipped mapping; every gold and accepted spec of ``questions/core.yaml`` must give the result it
gives on the flat DuckDB ``events`` table, under the eval's result matching.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from workbench.core.errors import WorkbenchError
from workbench.dataset.source import open_dataset
from workbench.engines.connect import open_engine
from workbench.engines.load import copy_table
from workbench.engines.mapping import load_mapping, parse_expression
from workbench.engines.otel import copy_otel_traces
from workbench.spec.matching import results_match, spec_is_ordered
from workbench.spec.query import parse_spec
from workbench.sql.compiler import compile_spec
from workbench.sql.execute import run_compiled

pytest.importorskip("chdb", reason="embedded ClickHouse needs the engines extra (chdb)")

CORE = Path(__file__).resolve().parents[1] / "questions" / "core.yaml"


@pytest.fixture(scope="module")
def otel(tmp_path_factory: pytest.TempPathFactory, small_dataset_path: Path):
    dsn = f"chdb://{tmp_path_factory.mktemp('otel')}"
    loader = open_engine(f"{dsn}?table=otel_traces", writable=True)
    copy_otel_traces(small_dataset_path, loader, "otel_traces")
    copy_table(small_dataset_path, "dataset_info", loader)
    copy_table(small_dataset_path, "column_metadata", loader)
    dataset = open_dataset(f"{dsn}?table=otel_traces&mapping=otel_traces")
    yield dataset
    dataset.close()


def test_otel_table_has_the_exporter_schema(otel) -> None:
    run = otel.engine.query
    _, rows = run(
        "SELECT name, type FROM system.columns WHERE table = 'otel_traces' AND database = currentDatabase()",
        timeout_s=30,
        max_rows=100,
    )
    types = dict(rows)
    assert types["Duration"] == "UInt64" and types["Timestamp"] == "DateTime64(9)"
    assert types["SpanAttributes"] == "Map(LowCardinality(String), String)"
    _, rows = run(
        "SELECT countIf(ParentSpanId = ''), countIf(mapContains(SpanAttributes, 'http.route')) FROM otel_traces",
        timeout_s=30,
        max_rows=1,
    )
    roots, routed = rows[0]
    assert 0 < roots < otel.row_count() and routed > 0


def test_otel_schema_is_the_flat_schema(otel, small_dataset) -> None:
    flat = {c.name: c.type for c in small_dataset.schema()}
    mapped = {c.name: c.type for c in otel.schema()}
    assert mapped == flat
    assert otel.now == small_dataset.now and otel.row_count() == small_dataset.row_count()


def _core_specs() -> list[tuple[str, dict[str, Any]]]:
    from workbench.evaluation.questions import load_question_set

    qs = load_question_set(CORE)
    return [(f"{q.id}/{i}", s) for q in qs.questions for i, s in enumerate(q.specs)]


def test_core_gold_specs_agree_on_otel_traces(otel, small_dataset) -> None:
    flat, mapped = small_dataset.schema(), otel.schema()
    cases = _core_specs()
    assert len(cases) >= 90
    differ, ran = [], 0
    with ThreadPoolExecutor(max_workers=1) as pool:  # the two engines at once
        for label, spec in cases:
            parsed = parse_spec(spec)
            mapped_run = pool.submit(
                run_compiled, otel, compile_spec(parsed, mapped, dialect="clickhouse"), timeout_s=30
            )
            reference = run_compiled(small_dataset, compile_spec(parsed, flat), timeout_s=30)
            got = mapped_run.result()
            ran += 1
            if not results_match(got, reference, ordered=spec_is_ordered(spec)):
                differ.append(f"{label}: {got.rows[:3]} vs {reference.rows[:3]}")
    assert ran == len(cases)
    assert not differ, "\n".join(differ[:10])


def test_mapped_filters_read_the_exporter_columns(otel) -> None:
    """Root spans are ParentSpanId = '', an attribute's `exists` is mapContains; unused columns are not read."""
    spec = {
        "calculations": [{"op": "COUNT"}],
        "filters": [
            {"column": "trace.parent_id", "op": "does-not-exist"},
            {"column": "http.route", "op": "exists"},
        ],
    }
    sql = compile_spec(parse_spec(spec), otel.schema(), dialect="clickhouse").sql
    assert "nullIf(ParentSpanId, '')" in sql
    assert "mapContains(\"SpanAttributes\", 'http.route')" in sql
    assert "app.cart.item_count" not in sql


@pytest.mark.parametrize(
    "text",
    [
        "Duration /",
        "(SELECT 1)",
        "x; DROP TABLE t",
        "dictGet('d', 'v', 1)",
        "joinGet('t', 'v', 1)",
        "url('http://x')",
    ],
)
def test_bad_mapping_expression_is_one_line(text: str) -> None:
    with pytest.raises(WorkbenchError) as info:
        parse_expression(text, "clickhouse", "mapping m.yaml, column 'x'")
    assert "\n" not in str(info.value) and "column 'x'" in str(info.value)


def test_mapping_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "m.yaml"
    bad.write_text("columns: {duration_ms: 'Duration /'}\n")
    with pytest.raises(WorkbenchError, match="does not parse"):
        load_mapping(str(bad), "clickhouse")
    bad.write_text("columns: {duration_ms: Duration}\n")
    with pytest.raises(WorkbenchError, match="timestamp"):
        load_mapping(str(bad), "clickhouse")
    with pytest.raises(WorkbenchError, match="otel_traces"):
        load_mapping("no_such_mapping", "clickhouse")
    assert "duration_ms" in load_mapping("otel_traces", "clickhouse").columns


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (["--to", "postgresql://db/telemetry?table=otel_traces"], "ClickHouse's otel_traces"),
        ([], "--schema otel describes the table --to writes"),
    ],
)
def test_generate_otel_schema_needs_clickhouse(
    tmp_path: Path, capsys, extra: list[str], problem: str
) -> None:
    from workbench.cli import main

    code = main(
        ["data", "generate", "--rows", "10", "--out", str(tmp_path / "t.duckdb"), "--schema", "otel", *extra]
    )
    err = capsys.readouterr().err
    assert code != 0 and problem in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "t.duckdb").exists()  # refused before generating


def test_dataset_sql_reads_the_mapping(otel, small_dataset) -> None:
    """DuckDB SQL on the dataset (metadata, `data info`) reads the logical columns, each SELECT only its own."""
    assert otel.query("SELECT count(*) FROM otel_traces")[0][0] == small_dataset.row_count()
    sql = 'SELECT count(DISTINCT "http.route") FROM otel_traces WHERE "trace.parent_id" IS NULL'
    expected = small_dataset.engine.query(sql.replace("otel_traces", "events"), timeout_s=30, max_rows=1)[1]
    assert otel.query(sql) == expected
    info = otel.describe()
    assert info["rows"] == small_dataset.row_count() and "mapping=otel_traces" in info["path"]
