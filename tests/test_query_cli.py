"""``workbench query``: exit codes, JSON contract, human output, other dialects."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from _events_fixture import ROWS, StubDataset, make_events_db

from workbench.cli import main
from workbench.cli import query as query_cli
from workbench.core.findings import Finding, error, warning
from workbench.spec.query import parse_spec


@pytest.fixture(scope="module")
def events_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_events_db(tmp_path_factory.mktemp("events") / "events.duckdb")


@dataclass
class FakeValidation:
    spec: Any
    findings: tuple[Finding, ...] = ()
    ok: bool = field(default=True)


@pytest.fixture
def dataset(events_path, monkeypatch) -> StubDataset:
    """The CLI opens the fixture instead of the generated dataset, and records the path it was given."""
    ds = StubDataset(events_path)
    opened: list[Any] = []

    def open_dataset(path):
        opened.append(path)
        return ds

    monkeypatch.setattr(query_cli, "_open_dataset", open_dataset)
    ds.opened = opened  # type: ignore[attr-defined]
    yield ds
    ds.close()


@pytest.fixture
def fake_validate(monkeypatch) -> list[FakeValidation]:
    """Replace validation with a queue of verdicts (the CLI's contract, independent of validate.py)."""
    verdicts: list[FakeValidation] = []

    def validate(raw, schema):
        if verdicts:
            return verdicts.pop(0)
        return FakeValidation(spec=parse_spec(raw))

    monkeypatch.setattr(query_cli, "_validate", validate)
    return verdicts


def write_spec(tmp_path: Path, spec: Any, name: str = "spec.json") -> str:
    path = tmp_path / name
    path.write_text(spec if isinstance(spec, str) else json.dumps(spec), encoding="utf-8")
    return str(path)


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["query", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_missing_file_is_a_one_line_error(capsys, tmp_path) -> None:
    code, out, err = run_cli(capsys, str(tmp_path / "nope.json"), "--json")
    assert code == 2 and out == ""
    assert err.startswith("workbench: error: spec file not found") and err.count("\n") == 1


def test_malformed_json_is_a_one_line_error(capsys, tmp_path) -> None:
    code, out, err = run_cli(capsys, write_spec(tmp_path, '{"calculations": [}'), "--json")
    assert code == 2 and out == ""
    assert "is not valid JSON" in err and err.count("\n") == 1


def test_json_output_contract(capsys, tmp_path, dataset, fake_validate) -> None:
    spec = {"calculations": [{"op": "COUNT"}], "breakdowns": ["service.name"], "time_range": 3 * 86400}
    fake_validate.append(FakeValidation(spec=parse_spec(spec), findings=(warning("w", "just so you know"),)))
    code, out, _ = run_cli(capsys, write_spec(tmp_path, spec), "--json", "--data", "somewhere.duckdb")
    assert code == 0
    data = json.loads(out)
    assert {"valid", "findings", "sql", "columns", "rows"} <= set(data)
    assert data["valid"] is True
    assert data["findings"] == [
        {"severity": "warning", "code": "w", "message": "just so you know", "path": "", "suggestion": None}
    ]
    assert data["columns"] == ["service.name", "COUNT"]
    assert sum(r[1] for r in data["rows"]) == ROWS
    assert data["sql"].startswith('SELECT "service.name"')
    assert "series" not in data
    assert dataset.opened == ["somewhere.duckdb"]


def test_json_series(capsys, tmp_path, dataset, fake_validate) -> None:
    spec = {"breakdowns": ["service.name"], "granularity": 3600, "time_range": 86400}
    code, out, _ = run_cli(capsys, write_spec(tmp_path, spec), "--json")
    data = json.loads(out)
    assert code == 0 and data["series"]["columns"] == ["time", "service.name", "COUNT"]
    assert data["series"]["rows"][0][0].startswith("2026-11-")


def test_invalid_spec_is_judged_not_run(capsys, tmp_path, dataset, fake_validate) -> None:
    fake_validate.append(
        FakeValidation(
            spec=None,
            findings=(error("unknown_column", "unknown column 'nope'", "breakdowns[0]", "use 'name'"),),
            ok=False,
        )
    )
    code, out, _ = run_cli(capsys, write_spec(tmp_path, {"breakdowns": ["nope"]}), "--json")
    assert code == 0
    data = json.loads(out)
    assert data == {
        "valid": False,
        "findings": [{"severity": "error", "code": "unknown_column", "message": "unknown column 'nope'",
                      "path": "breakdowns[0]", "suggestion": "use 'name'"}],
        "sql": None, "columns": [], "rows": [],
    }  # fmt: skip
    assert dataset.connections == [], "an invalid spec never reaches the database"


def test_other_dialect_prints_sql_without_running(capsys, tmp_path, dataset, fake_validate) -> None:
    spec = {"calculations": [{"op": "P99", "column": "duration_ms"}], "breakdowns": ["http.route"]}
    code, out, _ = run_cli(capsys, write_spec(tmp_path, spec), "--dialect", "trino", "--json")
    data = json.loads(out)
    assert code == 0 and data["valid"] and data["rows"] == []
    assert "APPROX_PERCENTILE" in data["sql"] and data["dialect"] == "trino"
    code, out, _ = run_cli(capsys, write_spec(tmp_path, spec), "--dialect", "bigquery")
    assert "`http.route`" in out and "not run" in out
    assert dataset.connections == []


def test_unknown_dialect_is_an_error(capsys, tmp_path, dataset, fake_validate) -> None:
    code, _, err = run_cli(capsys, write_spec(tmp_path, {}), "--dialect", "oracle")
    assert code == 2 and "unknown SQL dialect 'oracle'" in err


def test_human_output(capsys, tmp_path, dataset, fake_validate) -> None:
    spec = {"calculations": [{"op": "COUNT"}, {"op": "AVG", "column": "duration_ms"}, {"op": "HEATMAP", "column": "duration_ms"}],
            "breakdowns": ["http.route"], "time_range": 3 * 86400, "granularity": 86400}  # fmt: skip
    fake_validate.append(
        FakeValidation(spec=parse_spec(spec), findings=(warning("w", "mind the gap", "filters[0]"),))
    )
    code, out, _ = run_cli(capsys, write_spec(tmp_path, spec))
    assert code == 0
    assert "spec: valid" in out and "warning at filters[0]: mind the gap" in out
    assert "SQL (duckdb):" in out and 'GROUP BY "http.route"' in out
    assert "/api/100%_off" in out and "NULL" in out and "heatmap(" in out
    assert "6 rows" in out and "series:" in out


def test_query_errors_exit_2(capsys, tmp_path, dataset, fake_validate) -> None:
    spec = {"breakdowns": ["user.id"], "time_range": 3 * 86400}
    code, out, err = run_cli(capsys, write_spec(tmp_path, spec), "--max-rows", "-1")
    assert code == 2 and "--max-rows" in err
    code, out, _ = run_cli(capsys, write_spec(tmp_path, spec), "--max-rows", "3", "--json")
    data = json.loads(out)
    assert len(data["rows"]) == 3 and data["truncated"] is True


def test_format_table_aligns_and_elides() -> None:
    text = query_cli.format_table(["name", "n"], [["a", 1], ["bb", 22.5], [None, None]], limit=2)
    lines = text.splitlines()
    assert lines[0] == "name     n" and lines[2] == "a        1" and lines[3] == "bb    22.5"
    assert lines[-1] == "... 1 more rows (use --json for all)"


def test_with_the_real_validator(capsys, tmp_path, dataset) -> None:
    good = {
        "calculations": [{"op": "P99", "column": "duration_ms"}],
        "breakdowns": ["app.platform"],
        "time_range": 3 * 86400,
    }
    code, out, _ = run_cli(capsys, write_spec(tmp_path, good), "--json")
    data = json.loads(out)
    assert code == 0 and data["valid"] is True and len(data["rows"]) == 4
    bad = {"calculations": [{"op": "SUM", "column": "service.name"}]}
    code, out, _ = run_cli(capsys, write_spec(tmp_path, bad, "bad.json"), "--json")
    data = json.loads(out)
    assert code == 0 and data["valid"] is False and data["sql"] is None and data["rows"] == []
    assert any(f["severity"] == "error" for f in data["findings"])
