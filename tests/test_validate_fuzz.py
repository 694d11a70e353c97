"""Validation never raises, whatever JSON it gets, and agrees with the spec parser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.findings import Finding
from workbench.schema.columns import ColumnInfo, Schema
from workbench.spec.query import CALC_OPS, FILTER_OPS, HAVING_OPS, TOP_LEVEL_KEYS, parse_spec
from workbench.spec.validate.layers import check_structure, validate
from workbench.spec.validate.shape import ITEM_FIELDS

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
SCHEMA = Schema(
    columns=(
        ColumnInfo("duration_ms", "float", last_written=NOW, distinct_count=50_000),
        ColumnInfo(
            "app.platform", "string", last_written=NOW, distinct_count=3, values=("android", "ios", "web")
        ),
        ColumnInfo(
            "http.response.status_code", "integer", last_written=NOW, distinct_count=3, values=(200, 404, 500)
        ),
        ColumnInfo("error", "boolean", last_written=NOW, distinct_count=2, values=(False, True)),
        ColumnInfo("user.id", "string", last_written=NOW, distinct_count=90_000),
        ColumnInfo(
            "legacy.flag",
            "string",
            last_written=NOW - timedelta(days=10),
            distinct_count=2,
            values=("a", "b"),
        ),
        ColumnInfo("timestamp", "timestamp", last_written=NOW, distinct_count=1_000_000),
    ),
    now=NOW,
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)

# Spec-shaped values: mostly plausible pieces, sometimes anything, so the deep rules run too.
columns = st.sampled_from(
    [
        "duration_ms",
        "app.platform",
        "error",
        "http.response.status_code",
        "user.id",
        "legacy.flag",
        "timestamp",
        "root.service.name",
        "*",
        "",
        "platform",
        "nope",
    ]
)
ops = st.sampled_from(
    [*CALC_OPS, *FILTER_OPS, *HAVING_OPS, "p99", "==", "ascending", "descending", "AND", "OR"]
)
plausible = (
    columns
    | ops
    | st.sampled_from(
        [
            0,
            1,
            7,
            60,
            3600,
            7200,
            86400,
            1209600,
            1795176000,
            1795089600,
            -1,
            10**13,
            1000,
            1001,
            2**63,
            10**400,
            -(10**5000),
        ]
    )
    | st.sampled_from(
        ["android", "Android", "ios", "true", "500", "5s", "$total", "DIV($a, $b)", "((", "9" * 5000]
    )
    | st.lists(st.sampled_from(["android", "web", 200, 500, True, "x"]), max_size=3)
    | st.booleans()
    | st.floats(allow_nan=True, allow_infinity=True)
)
values = plausible | json_values


@st.composite
def items_of(draw: st.DrawFn, kind: str) -> Any:
    keys = [*ITEM_FIELDS[kind], "extra"]
    item = {k: draw(values) for k in draw(st.lists(st.sampled_from(keys), unique=True, max_size=6))}
    if kind == "calculations" and draw(st.booleans()):
        item["filters"] = draw(st.lists(items_of("filters"), max_size=3))
    return item


@st.composite
def spec_like(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from([*TOP_LEVEL_KEYS, "id", "query_window"]), unique=True, max_size=9))
    spec: dict[str, Any] = {}
    for key in keys:
        if key in ITEM_FIELDS and draw(st.integers(0, 4)):
            spec[key] = draw(st.lists(items_of(key), max_size=4))
        elif key == "breakdowns" and draw(st.booleans()):
            spec[key] = draw(st.lists(columns, max_size=4))
        else:
            spec[key] = draw(values)
    return spec


filter_values = st.one_of(
    st.none(),
    st.sampled_from(["android", "Android", "andriod", "ios", "true", "false", "500", "5s", "", "/api"]),
    st.integers(-10, 1000),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
    st.booleans(),
    st.lists(st.sampled_from(["android", "web", "x", 200, 500, 404, True, False, "500"]), max_size=3),
)


@st.composite
def near_valid(draw: st.DrawFn) -> dict[str, Any]:
    """Specs built from valid pieces (so most pass the structure and reach the semantic rules)."""
    spec: dict[str, Any] = {}
    calcs = []
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(CALC_OPS))
        calc: dict[str, Any] = {"op": op}
        if op != "CONCURRENCY" and (op != "COUNT" or draw(st.booleans())):
            calc["column"] = draw(columns.filter(bool))
        calcs.append(calc)
    if calcs:
        spec["calculations"] = calcs
    filters = [
        {
            "column": draw(columns.filter(bool)),
            "op": draw(st.sampled_from(FILTER_OPS)),
            "value": draw(filter_values),
        }
        for _ in range(draw(st.integers(0, 4)))
    ]
    for f in filters:
        if f["op"] in ("exists", "does-not-exist"):
            f.pop("value")
    if filters:
        spec["filters"] = filters
        spec["filter_combination"] = draw(st.sampled_from(["AND", "OR"]))
    breakdowns = draw(st.lists(columns.filter(bool), max_size=2, unique=True))
    if breakdowns:
        spec["breakdowns"] = breakdowns
    if draw(st.booleans()):
        targets = [
            {"op": c["op"], **({"column": c["column"]} if "column" in c else {})}
            for c in calcs or [{"op": "COUNT"}]
        ]
        targets += [{"column": b} for b in breakdowns]
        spec["orders"] = [
            {**draw(st.sampled_from(targets)), "order": draw(st.sampled_from(["ascending", "descending"]))}
        ]
    if draw(st.booleans()):
        c = draw(st.sampled_from(calcs or [{"op": "COUNT"}]))
        having = {
            "calculate_op": c["op"],
            "op": draw(st.sampled_from(HAVING_OPS)),
            "value": draw(st.integers(-5, 5000)),
        }
        if "column" in c:
            having["column"] = c["column"]
        spec["havings"] = [having]
    times = draw(
        st.sampled_from(
            [
                (),
                ("time_range",),
                ("start_time", "end_time"),
                ("start_time", "time_range"),
                ("end_time", "time_range"),
                ("start_time",),
                ("end_time",),
            ]
        )
    )
    for key in times:
        if key == "time_range":
            spec[key] = draw(st.sampled_from([60, 3600, 7200, 86400, 1209600, 10**9]))
        else:
            spec[key] = draw(st.integers(1795176000 - 20 * 86400, 1795176000 + 86400))
    if "start_time" in spec and "end_time" in spec and spec["start_time"] > spec["end_time"]:
        spec["start_time"], spec["end_time"] = spec["end_time"], spec["start_time"]
    if draw(st.booleans()):
        spec["granularity"] = draw(st.sampled_from([0, 1, 60, 300, 3600, 86400]))
    if draw(st.booleans()):
        spec["limit"] = draw(st.integers(1, 1000))
    return spec


def _check(raw: Any, schema: Schema | None = None) -> None:
    found = check_structure(raw)
    assert all(isinstance(f, Finding) for f in found)
    assert "validator_error" not in [f.code for f in found]
    result = validate(raw, schema)
    assert "validator_error" not in [f.code for f in result.findings], result.findings
    assert "invalid_spec" not in [f.code for f in result.findings], result.findings
    if not any(f.severity == "error" for f in found):
        assert result.spec is not None
        # the normalized form is valid too and parses to the same spec
        again = validate(result.spec.to_dict())
        assert again.spec == result.spec, (raw, again.findings)
    result.to_dict()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_value(raw: Any) -> None:
    _check(raw)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(spec_like())
def test_spec_shaped_json(raw: dict[str, Any]) -> None:
    _check(raw)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(spec_like())
def test_spec_shaped_json_with_a_schema(raw: dict[str, Any]) -> None:
    _check(raw, SCHEMA)


@settings(max_examples=1000, suppress_health_check=[HealthCheck.too_slow])
@given(near_valid())
def test_near_valid_specs_with_a_schema(raw: dict[str, Any]) -> None:
    _check(raw, SCHEMA)


@given(st.text(max_size=40))
def test_any_text(text: str) -> None:
    result = validate(text)
    assert isinstance(result.findings, tuple)


def test_structurally_valid_specs_parse() -> None:
    """The documented examples pass both the rules and the parser."""
    raw = {
        "breakdowns": ["user_agent"],
        "calculations": [{"op": "COUNT"}],
        "orders": [{"op": "COUNT", "order": "descending"}],
        "limit": 10,
        "time_range": 3600,
        "end_time": 1514768400,
    }
    assert check_structure(raw) == []
    assert parse_spec(raw).limit == 10


def test_deeply_nested_json_does_not_raise() -> None:
    deep: Any = 1
    for _ in range(5000):
        deep = [deep]
    assert [f.code for f in check_structure({"filters": deep})] == ["wrong_type"]
    assert not validate("[" * 100_000).ok


def _deep(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    "raw",
    [
        {"filters": [{"column": "a", "op": "in", "value": _deep(3000)}]},
        {"filters": [{"column": "a", "op": "=", "value": _deep(3000)}]},
        {"limit": _deep(3000)},
        {"havings": [{"calculate_op": "COUNT", "op": ">", "value": _deep(3000)}]},
        {"limit": 10**5000},
        {"time_range": "9" * 5000},
        {"filters": [{"column": "a", "op": "=", "value": 10**5000}]},
        {
            "filters": [
                {"column": "duration_ms", "op": ">", "value": 10**300},
                {"column": "duration_ms", "op": "<", "value": "9" * 4000},
            ]
        },
        {"start_time": 2**63},
        '{"limit": ' + "9" * 5000 + "}",
    ],
)
def test_absurd_values_are_findings_not_crashes(raw: Any) -> None:
    result = validate(raw, SCHEMA)
    codes = [f.code for f in result.findings]
    assert "validator_error" not in codes and "invalid_spec" not in codes, result.findings
    for f in result.findings:
        assert len(str(f)) < 600


def test_the_normal_form_keeps_what_makes_a_spec_invalid() -> None:
    """An empty ``in`` list is an error; serializing must not turn it into a different problem."""
    raw = {
        "calculations": [{"op": "COUNT"}],
        "filters": [{"column": "service.name", "op": "in", "value": []}],
    }
    from workbench.spec.query import parse_spec

    normal = parse_spec(raw).to_dict()
    assert normal["filters"][0]["value"] == []
    assert (
        [f.code for f in validate(normal).findings]
        == [f.code for f in validate(raw).findings]
        == ["empty_list"]
    )
