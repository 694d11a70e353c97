"""validate(): structure then semantics, the Validation record, and the spec fixture files."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from workbench.cli.spec import check_file
from workbench.schema.columns import ColumnInfo, Schema
from workbench.spec.query import parse_spec
from workbench.spec.validate.layers import Validation, explain_empty, validate

SPECS = Path(__file__).parent / "specs"
VALID = sorted((SPECS / "valid").glob("*.json"))
INVALID = sorted((SPECS / "invalid").glob("*.json"))

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
SCHEMA = Schema(
    columns=(
        ColumnInfo("duration_ms", "float", last_written=NOW, distinct_count=50_000),
        ColumnInfo(
            "app.platform", "string", last_written=NOW, distinct_count=3, values=("android", "ios", "web")
        ),
        ColumnInfo("http.route", "string", last_written=NOW, distinct_count=3, values=("/a", "/b", "/c")),
    ),
    now=NOW,
)


# --------------------------------------------------------------------------- fixture files


def test_there_are_fixtures() -> None:
    assert len(VALID) >= 20 and len(INVALID) >= 40


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_fixture(path: Path) -> None:
    report = check_file(str(path))
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    assert report["valid"] and not errors, errors


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_fixture(path: Path) -> None:
    expected = path.stem.split("__")[0]
    report = check_file(str(path))
    errors = [f["code"] for f in report["findings"] if f["severity"] == "error"]
    assert not report["valid"]
    assert expected in errors, report["findings"]


# --------------------------------------------------------------------------- validate()


def test_valid_spec_is_parsed() -> None:
    result = validate(
        {"calculations": [{"op": "P99", "column": "duration_ms"}], "breakdowns": ["http.route"]}
    )
    assert result.ok and result.findings == ()
    assert result.spec is not None and result.spec.breakdowns == ("http.route",)


def test_structural_errors_leave_no_spec() -> None:
    result = validate({"calculations": [{"op": "AVG"}], "limit": 5000})
    assert not result.ok and result.spec is None
    assert result.codes == ["column_required", "limit_out_of_range"]


def test_warnings_do_not_block() -> None:
    result = validate({"time_range": 7200, "granularity": 7200})
    assert result.ok and result.spec is not None
    assert [f.code for f in result.warnings] == ["granularity_coarse"] and result.errors == ()


@pytest.mark.parametrize(
    "raw",
    [
        '{"calculations": [{"op": "COUNT"}]}',
        b'{"calculations": [{"op": "COUNT"}]}',
        {"calculations": [{"op": "COUNT"}]},
        parse_spec({"calculations": [{"op": "COUNT"}]}),
    ],
)
def test_accepts_text_bytes_dicts_and_specs(raw: Any) -> None:
    result = validate(raw)
    assert result.ok and result.spec == parse_spec({"calculations": [{"op": "COUNT"}]})


def test_invalid_json_text_is_a_finding() -> None:
    result = validate('{"calculations": [}')
    assert result.codes == ["invalid_json"]
    assert "line 1 column 19" in result.findings[0].message


def test_read_only_id_is_ignored() -> None:
    result = validate({"id": "abc", "time_range": 60})
    assert result.ok and result.codes == ["read_only_field"]
    assert result.spec is not None and result.spec.time_range == 60


def test_semantics_run_only_with_a_schema_and_a_valid_structure() -> None:
    spec = {"filters": [{"column": "platform", "op": "=", "value": "ios"}]}
    assert validate(spec).ok
    with_schema = validate(spec, SCHEMA)
    assert not with_schema.ok and with_schema.codes == ["unknown_column"]
    assert with_schema.findings[0].suggestion == "use 'app.platform'"
    broken = validate({**spec, "limit": 0}, SCHEMA)
    assert broken.codes == ["limit_out_of_range"]


def test_semantic_findings_follow_structural_ones() -> None:
    result = validate({"time_range": 7200, "granularity": 7200, "breakdowns": ["nope"]}, SCHEMA)
    assert result.codes == ["granularity_coarse", "unknown_column"]


def test_validation_is_frozen_and_serialises() -> None:
    result = validate({"calculations": [{"op": "COUNT"}], "filter_combination": "or"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.spec = None  # type: ignore[misc]
    data = result.to_dict()
    assert set(data) == {"valid", "spec", "findings"} and data["valid"] is False and data["spec"] is None
    assert data["findings"][0] == {
        "severity": "error",
        "code": "invalid_filter_combination",
        "message": "filter_combination must be AND or OR, got 'or'",
        "path": "filter_combination",
        "suggestion": "use 'OR'",
    }
    json.dumps(validate({"time_range": 60}).to_dict())


def test_empty_validation() -> None:
    assert not Validation(None).ok


# --------------------------------------------------------------------------- the generated dataset


def test_convention_specs_are_valid_on_the_dataset(small_schema: Schema) -> None:
    for name in (
        "workbench_slow_endpoints_android_yesterday",
        "workbench_5xx_per_hour",
        "workbench_top_users_by_revenue",
    ):
        raw = json.loads((SPECS / "valid" / f"{name}.json").read_text())
        result = validate(raw, small_schema)
        assert result.ok, (name, result.findings)


def test_dataset_mistakes_get_suggestions(small_schema: Schema) -> None:
    result = validate(
        {
            "calculations": [{"op": "P99", "column": "duration_ms"}],
            "filters": [
                {"column": "platform", "op": "=", "value": "android"},
                {"column": "app.platform", "op": "=", "value": "Android"},
                {"column": "error", "op": "=", "value": "true"},
            ],
            "breakdowns": ["status_code"],
        },
        small_schema,
    )
    by_code = {f.code: f for f in result.findings}
    assert by_code["value_case_mismatch"].suggestion == "use 'android'"
    assert by_code["value_type_mismatch"].suggestion == "use true (a JSON boolean, no quotes)"
    suggestions = [f.suggestion for f in result.findings if f.code == "unknown_column"]
    assert [s.split("'")[1] for s in suggestions] == ["app.platform", "http.response.status_code"]
    empty = explain_empty(
        parse_spec({"filters": [{"column": "app.platform", "op": "=", "value": "blackberry"}]}), small_schema
    )
    assert [f.code for f in empty] == ["value_not_in_domain"]
