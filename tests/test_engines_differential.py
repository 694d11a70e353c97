"""The same specs on DuckDB, embedded ClickHouse (chdb) and PostgreSQL give the same results.

Every gold and accepted spec of the shipped question sets, the valid spec corpus, and
generated valid specs (``test_execute.specs``) are compiled for each engine's dialect and run
there; results must match DuckDB's under the eval's result matching (``results_match``).
The engines get copies of the same rows (``engines.load.copy_table``): the 60,000-row session
dataset (the columns the specs use) and the hand-made fixture table (quotes in names and values).
"""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from _engines_fixture import Postgres, postgres_bin
from _events_fixture import NOW, make_events_db, make_schema
from hypothesis import HealthCheck, assume, given, settings
from test_execute import specs

from workbench.core.errors import WorkbenchError
from workbench.dataset.source import open_dataset
from workbench.engines.connect import open_engine
from workbench.engines.duckdb import DuckDBEngine
from workbench.engines.load import copy_table
from workbench.spec.matching import results_match, spec_is_ordered
from workbench.spec.query import parse_spec
from workbench.spec.validate.layers import validate
from workbench.sql.compiler import compile_spec
from workbench.sql.execute import QueryError, run_compiled, run_sql

pytest.importorskip("chdb", reason="embedded ClickHouse needs the engines extra (chdb)")
pytest.importorskip("psycopg", reason="PostgreSQL needs the engines extra (psycopg)")
if postgres_bin() is None:
    pytest.skip(
        "no PostgreSQL binaries (initdb, pg_ctl): apt-get install postgresql", allow_module_level=True
    )

ENGINES = ("chdb", "postgres")
FIXTURE_TABLE = "fixture_events"
_WEEK = {"time_range": 604800}
#: HEATMAP on a float and an integer column, by group, per time bucket, with a calculation filter, and
#: on a sparse column (groups where every value is missing): the same bucket edges on every engine
HEATMAP_SPECS: list[dict[str, Any]] = [
    {"calculations": [{"op": "HEATMAP", "column": "duration_ms"}], **_WEEK},
    {"calculations": [{"op": "HEATMAP", "column": "http.response.status_code"}, {"op": "COUNT"}],
     "breakdowns": ["service.name"], "granularity": 86400, **_WEEK},
    {"calculations": [{"op": "HEATMAP", "column": "duration_ms", "filters": [{"column": "error", "op": "=",
     "value": True}]}, {"op": "P50", "column": "duration_ms"}], "breakdowns": ["app.platform"], **_WEEK},
    {"calculations": [{"op": "HEATMAP", "column": "app.order.total_usd"}], "breakdowns": ["http.route"], **_WEEK},
    {"calculations": [{"op": "HEATMAP", "column": "app.cart.item_count"}, {"op": "RATE_SUM",
     "column": "app.cart.item_count"}], "breakdowns": ["cloud.region"], "granularity": 3600, "time_range": 86400},
]  # fmt: skip


def _question_specs() -> list[tuple[str, dict[str, Any]]]:
    from workbench.evaluation.conversations import load_questions

    out = []
    for path in sorted((Path(__file__).resolve().parents[1] / "questions").glob("*.yaml")):
        qs = load_questions(path)
        out += [(f"{qs.name}/{q.id}/{i}", s) for q in qs.questions for i, s in enumerate(q.specs)]
    return out


def _corpus_specs(schema: Any) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted((Path(__file__).parent / "specs" / "valid").glob("*.json")):
        raw = json.loads(path.read_text())
        result = validate(raw, schema)
        if result.ok and result.spec is not None:
            out.append((path.stem, result.spec.to_dict()))
    return out


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory, small_dataset, small_dataset_path: Path):
    """``{name: (dataset on the engine, the spec list it holds data for)}`` plus the fixture tables."""
    fixture_path = make_events_db(tmp_path_factory.mktemp("fixture") / "events.duckdb")
    import duckdb

    with duckdb.connect(str(fixture_path)) as con:
        con.execute(f"ALTER TABLE events RENAME TO {FIXTURE_TABLE}")
    schema = small_dataset.schema()
    cases = (
        _question_specs() + _corpus_specs(schema) + [(f"heatmap/{i}", s) for i, s in enumerate(HEATMAP_SPECS)]
    )
    columns = {"timestamp", "duration_ms"}
    for _, spec in cases:
        columns |= parse_spec(spec).columns_used()
    pg = Postgres()
    dsns = {"chdb": f"chdb://{tmp_path_factory.mktemp('chdb')}", "postgres": pg.dsn}
    opened = {}
    try:
        for name, dsn in dsns.items():
            loader = open_engine(dsn, writable=True)
            copy_table(small_dataset_path, "events", loader, columns=sorted(columns & set(schema.names)))
            copy_table(small_dataset_path, "dataset_info", loader)
            copy_table(fixture_path, FIXTURE_TABLE, loader)
            if name == "postgres":
                loader.close()
            sep = "&" if "?" in dsn else "?"
            opened[name] = (
                open_dataset(f"{dsn}{sep}table=events"),
                open_dataset(f"{dsn}{sep}table={FIXTURE_TABLE}"),
            )
        duck = _Duck(fixture_path)
        with ThreadPoolExecutor(max_workers=len(ENGINES)) as pool:
            yield {"cases": cases, "opened": opened, "duck": duck, "pool": pool}
        duck.engine.close()
    finally:
        for events, fixture in opened.values():
            events.close()
            fixture.close()
        pg.stop()


def _has_heatmap(spec: dict[str, Any]) -> bool:
    return any(c.op == "HEATMAP" for c in parse_spec(spec).effective_calculations)


def _run(dataset: Any, spec: Any, schema: Any) -> Any:
    return run_compiled(dataset, compile_spec(spec, schema, dialect=dataset.dialect), timeout_s=30)


def _differences(
    engines: dict[str, Any], reference: Any, datasets: dict[str, Any], spec: Any, schema: Any
) -> list[str]:
    """Run ``spec`` on the DuckDB ``reference`` and on every engine at once (one thread per engine: each
    waits on its own server or native code), and name the engines whose result differs from DuckDB's."""
    futures = {name: engines["pool"].submit(_run, ds, spec, schema) for name, ds in datasets.items()}
    expected = _run(reference, spec, schema)
    out = []
    for name, future in futures.items():
        got = future.result()
        if not results_match(got, expected, ordered=spec_is_ordered(spec.to_dict())):
            out.append(f"{name}: {got.rows[:3]} vs {expected.rows[:3]}")
    return out


def test_gold_and_corpus_specs_agree_on_every_engine(engines, small_dataset) -> None:
    schema = small_dataset.schema()
    cases = engines["cases"]
    assert len(cases) >= 90
    assert sum(_has_heatmap(spec) for _, spec in cases) > len(HEATMAP_SPECS)  # shipped ones run too
    datasets = {name: events for name, (events, _) in engines["opened"].items()}
    differ = []
    for label, spec in cases:
        differ += [
            f"{label} {d}" for d in _differences(engines, small_dataset, datasets, parse_spec(spec), schema)
        ]
    assert not differ, "\n".join(differ[:10])


def test_engine_datasets_know_the_clock_and_types(engines, small_dataset) -> None:
    duck = {c.name: c.type for c in small_dataset.schema()}
    for name, (dataset, _) in engines["opened"].items():
        assert dataset.now == small_dataset.now, name
        assert dataset.dialect == ("clickhouse" if name == "chdb" else "postgres")
        for col in dataset.schema():
            assert col.type == duck[col.name], (name, col.name)
        assert "wb@" not in dataset.engine.redacted


_DIFF_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@_DIFF_SETTINGS
@given(spec=specs())
def test_generated_valid_specs_agree_on_every_engine(engines, spec: dict[str, Any]) -> None:
    """Generated specs over the hand-made table (NULLs, quotes in names and values) agree everywhere."""
    schema = dataclasses.replace(make_schema(), table=FIXTURE_TABLE)
    validation = validate(spec, schema)
    assume(validation.ok)
    try:
        compile_spec(validation.spec, schema)
    except WorkbenchError:
        assume(False)
    datasets = {name: fixture for name, (_, fixture) in engines["opened"].items()}
    differ = _differences(engines, engines["duck"], datasets, validation.spec, schema)
    assert not differ, "\n".join(differ) + "\n" + json.dumps(validation.spec.to_dict())


class _Duck:
    """The fixture table on DuckDB through one shared engine connection (as datasets query it)."""

    dialect = "duckdb"

    def __init__(self, path: Path) -> None:
        import duckdb

        self.engine = DuckDBEngine(lambda: duckdb.connect(str(path), read_only=True), "duckdb:fixture")


@pytest.mark.parametrize("name", ENGINES)
@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE events",
        "INSERT INTO events SELECT * FROM events",
        "SELECT 1; DROP TABLE events",
        "DELETE FROM events",
    ],
)
def test_engines_refuse_writes(engines, name: str, sql: str) -> None:
    dataset, _ = engines["opened"][name]
    with pytest.raises(QueryError) as info:
        run_sql(dataset, sql)
    assert "\n" not in str(info.value)
    assert run_sql(dataset, "SELECT count(*) FROM events").rows[0][0] == 60_000


def test_now_is_shared(engines) -> None:
    for _, fixture in engines["opened"].values():
        assert fixture.now == NOW
