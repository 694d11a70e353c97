"""Structural rules, one table per rule: (spec, expected finding codes). A new case is one new line."""

from __future__ import annotations

from typing import Any

import pytest

from workbench.spec.query import CALC_OPS, FILTER_OPS
from workbench.spec.validate import layers as vd
from workbench.spec.validate import links as lk
from workbench.spec.validate import shape
from workbench.spec.validate import structure as st
from workbench.spec.validate import window as wn
from workbench.spec.validate.layers import check_structure


def codes(rule: Any, spec: dict[str, Any]) -> list[str]:
    return [f.code for f in rule(spec)]


def one(rule: Any, spec: dict[str, Any]):
    found = list(rule(spec))
    assert len(found) == 1, found
    return found[0]


C = {"op": "COUNT"}
P99 = {"op": "P99", "column": "duration_ms"}


# --------------------------------------------------------------------------- shape rules


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, []),
        ({k: None for k in ("calculations", "filters", "limit", "usage_mode")}, []),
        ({"query_window": 7200}, ["unknown_field"]),
        ({"foo": "bar"}, ["unknown_field"]),
        ({"calculation": [C]}, ["unknown_field"]),
        ({"id": "abc123", "time_range": 60}, ["read_only_field"]),
        ({"query": {"calculations": [C]}}, ["unknown_field"]),
        ({"group_by": ["x"], "where": []}, ["unknown_field", "unknown_field"]),
    ],
)
def test_top_level_keys(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(shape.check_top_level_keys, spec) == expected


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("query_window", "use 'time_range'"),
        ("calculation", "did you mean 'calculations'?"),
        ("breakdown", "did you mean 'breakdowns'?"),
        ("Limit", "use 'limit'"),
        ("group_by", "use 'breakdowns'"),
        ("filterCombination", "did you mean 'filter_combination'?"),
        ("query", "put the fields of 'query' at the top level"),
    ],
)
def test_unknown_key_suggests_the_closest_known_key(key: str, suggestion: str) -> None:
    raw: dict[str, Any] = {key: {"a": 1} if key == "query" else 1}
    finding = one(shape.check_top_level_keys, raw)
    assert finding.severity == "error" and finding.path == key
    assert finding.suggestion == suggestion


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"limit": 10, "time_range": 60, "usage_mode": True, "filter_combination": "OR"}, []),
        ({"limit": "10"}, ["wrong_type"]),
        ({"limit": 10.0}, ["wrong_type"]),
        ({"limit": True}, ["wrong_type"]),
        ({"time_range": "1h"}, ["wrong_type"]),
        ({"start_time": "2026-11-19T00:00:00Z"}, ["wrong_type"]),
        ({"granularity": [60]}, ["wrong_type"]),
        ({"usage_mode": "true"}, ["wrong_type"]),
        ({"usage_mode": 1}, ["wrong_type"]),
        ({"filter_combination": 1}, ["wrong_type"]),
        ({"calculations": C}, ["wrong_type"]),
        ({"breakdowns": "service.name"}, ["wrong_type"]),
        ({"filters": "error = true"}, ["wrong_type"]),
        ({"compare_time_offset_seconds": 3600.5}, ["wrong_type"]),
    ],
)
def test_field_types(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(shape.check_field_types, spec) == expected


@pytest.mark.parametrize(
    ("spec", "suggestion"),
    [
        ({"time_range": "1h"}, "use 3600 (seconds, as a number)"),
        ({"time_range": "-6h"}, "use 21600 (seconds, as a number)"),
        ({"limit": "10"}, "use 10 (a number, not a string)"),
        ({"limit": 10.0}, "use 10 (no decimal point)"),
        ({"breakdowns": "service.name"}, 'use a list: ["service.name"]'),
    ],
)
def test_field_type_suggestions(spec: dict[str, Any], suggestion: str) -> None:
    assert one(shape.check_field_types, spec).suggestion == suggestion


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"breakdowns": ["a"] * 100}, []),
        ({"breakdowns": ["a"] * 101}, ["too_many_items"]),
        ({"filters": [{"column": "a", "op": "exists"}] * 101}, ["too_many_items"]),
        ({"calculations": [{"op": "COUNT", "name": "n", "filters": [{"column": "a", "op": "exists"}] * 101}]},
         ["too_many_items"]),
    ],
)  # fmt: skip
def test_array_sizes(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(shape.check_array_sizes, spec) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"calculations": [C, P99], "filters": [{"column": "a", "op": "exists"}]}, []),
        ({"calculations": ["COUNT"]}, ["wrong_type"]),
        ({"calculations": [{"column": "duration_ms"}]}, ["missing_field"]),
        ({"calculations": [{"op": 5}]}, ["wrong_type"]),
        ({"calculations": [{"op": "COUNT", "field": "x"}]}, ["unknown_field"]),
        ({"calculations": [{"op": "COUNT", "name": ""}]}, ["empty_string"]),
        ({"calculations": [{"op": "COUNT", "name": "n", "filters": [{"op": "exists"}]}]}, ["missing_field"]),
        ({"calculations": [{"op": "COUNT", "filters": {"column": "a"}}]}, ["wrong_type"]),
        ({"filters": [{"column": "a", "op": "=", "value": 1, "join_column": "b"}]}, ["unknown_field"]),
        ({"filters": [{"column": "a"}]}, ["missing_field"]),
        ({"filters": [{"column": "", "op": "exists"}]}, ["empty_string"]),
        ({"filters": [{"column": 3, "op": "exists"}]}, ["wrong_type"]),
        ({"filters": [None]}, ["wrong_type"]),
        ({"orders": ["duration_ms"]}, ["wrong_type"]),
        ({"orders": [{"column": "a", "direction": "descending"}]}, ["unknown_field"]),
        ({"havings": [{"op": ">", "value": 1}]}, ["missing_field"]),
        ({"havings": [{"calculate_op": "COUNT", "op": ">"}]}, ["missing_field"]),
        ({"formulas": [{"name": "rate"}]}, ["missing_field"]),
        ({"calculated_fields": [{"name": "x", "expression": ""}]}, ["empty_string"]),
        ({"breakdowns": ["a", 1, ""]}, ["wrong_type", "empty_string"]),
    ],
)
def test_items(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(shape.check_items, spec) == expected


def test_item_key_suggestion() -> None:
    finding = one(shape.check_items, {"filters": [{"column": "a", "op": "in", "values": [1]}]})
    assert finding.path == "filters[0].values" and finding.suggestion == "use 'value'"


# --------------------------------------------------------------------------- calculations


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"calculations": [{"op": op, "column": "x"} for op in CALC_OPS]}, []),
        ({"calculations": [{"op": "p99", "column": "x"}]}, ["unknown_op"]),
        ({"calculations": [{"op": "MEDIAN", "column": "x"}]}, ["unknown_op"]),
        ({"calculations": [{"op": "HISTOGRAM_COUNT", "column": "x"}]}, ["unknown_op"]),
        ({"calculations": [{"op": 7}]}, []),  # wrong type: reported by the shape rules
    ],
)
def test_calculation_ops(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(st.check_calculation_ops, spec) == expected


@pytest.mark.parametrize(
    ("op", "suggestion"),
    [
        ("p99", "use 'P99' (ops are upper case)"),
        ("count", "use 'COUNT' (ops are upper case)"),
        ("count_distinct", "use 'COUNT_DISTINCT' (ops are upper case)"),
        ("MEDIAN", "use 'P50'"),
        ("average", "use 'AVG'"),
        ("P99.9", "use 'P999'"),
        ("percentile_95", "use 'P95'"),
        ("COUNT DISTINCT", "use 'COUNT_DISTINCT'"),
        ("P99(duration_ms)", 'use {"op": "P99", "column": "duration_ms"}'),
    ],
)
def test_calculation_op_suggestions(op: str, suggestion: str) -> None:
    assert one(st.check_calculation_ops, {"calculations": [{"op": op}]}).suggestion == suggestion


@pytest.mark.parametrize(
    ("calc", "expected"),
    [
        ({"op": "COUNT"}, []),
        ({"op": "COUNT", "column": "*"}, []),
        ({"op": "COUNT", "column": "app.cumulative"}, []),
        ({"op": "CONCURRENCY"}, []),
        ({"op": "CONCURRENCY", "column": "x"}, ["column_forbidden"]),
        ({"op": "AVG"}, ["column_required"]),
        ({"op": "HEATMAP"}, ["column_required"]),
        ({"op": "RATE_MAX"}, ["column_required"]),
        ({"op": "COUNT_DISTINCT"}, ["column_required"]),
        ({"op": "P001", "column": "x"}, []),
        ({"op": "AVG", "column": None}, ["column_required"]),
        ({"op": "avg"}, []),  # unknown op: reported by check_calculation_ops only
    ],
)
def test_calculation_columns(calc: dict[str, Any], expected: list[str]) -> None:
    assert codes(st.check_calculation_columns, {"calculations": [calc]}) == expected


F = [{"column": "status", "op": "=", "value": "error"}]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"calculations": [{"op": "COUNT", "name": "errors", "filters": F}]}, []),
        ({"calculations": [{"op": "COUNT", "filters": F}]}, ["name_required"]),
        ({"calculations": [{"op": "COUNT", "filters": []}]}, []),
        ({"calculations": [{"op": "COUNT", "name": "n"}, {"op": "AVG", "column": "d", "name": "n"}]},
         ["duplicate_name"]),
        ({"calculations": [{"op": "COUNT", "name": "total"}], "formulas": [{"name": "total", "expression": "$total"}]},
         ["duplicate_name"]),
        ({"calculations": [P99, P99]}, ["duplicate_calculation"]),
        ({"calculations": [P99, {**P99, "name": "p99b"}]}, []),
    ],
)  # fmt: skip
def test_calculation_names(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(st.check_calculation_names, spec) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"filter_combination": "AND"}, []),
        ({"filter_combination": "OR"}, []),
        ({"filter_combination": "or"}, ["invalid_filter_combination"]),
        ({"filter_combination": "XOR"}, ["invalid_filter_combination"]),
        ({"calculations": [{"op": "COUNT", "filter_combination": "any"}]}, ["invalid_filter_combination"]),
    ],
)
def test_filter_combinations(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(st.check_filter_combinations, spec) == expected


def test_filter_combination_case_hint() -> None:
    assert one(st.check_filter_combinations, {"filter_combination": "or"}).suggestion == "use 'OR'"


# --------------------------------------------------------------------------- filters


def filt(op: str, **kw: Any) -> dict[str, Any]:
    return {"filters": [{"column": "c", "op": op, **kw}]}


@pytest.mark.parametrize("op", FILTER_OPS)
def test_every_filter_op_is_known(op: str) -> None:
    assert codes(st.check_filter_ops, filt(op)) == []


@pytest.mark.parametrize(
    ("op", "suggestion"),
    [
        ("==", "use '='"),
        ("eq", "use '='"),
        ("<>", "use '!='"),
        ("not_in", "use 'not-in'"),
        ("NOT IN", "use 'not-in'"),
        ("IN", "use 'in'"),
        ("startswith", "use 'starts-with'"),
        ("not-exists", "use 'does-not-exist'"),
        ("does_not_contain", "use 'does-not-contain'"),
        ("gte", "use '>='"),
        ("like", "use 'contains'"),
    ],
)
def test_unknown_filter_op_suggestions(op: str, suggestion: str) -> None:
    finding = one(st.check_filter_ops, filt(op))
    assert (
        finding.code == "unknown_op" and finding.path == "filters[0].op" and finding.suggestion == suggestion
    )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (filt("exists"), []),
        (filt("exists", value=None), []),
        (filt("exists", value=""), ["value_forbidden"]),
        (filt("does-not-exist", value="x"), ["value_forbidden"]),
        (filt("in", value=["a", 1, 2.5, True]), []),
        (filt("not-in", value=[347338, 837359]), []),
        (filt("in", value="a,b"), ["value_not_list"]),
        (filt("in", value="a"), ["value_not_list"]),
        (filt("in", value=[]), ["empty_list"]),
        (filt("in", value=[["a"]]), ["value_not_scalar"]),
        (filt("in", value=[None]), ["value_not_scalar"]),
        (filt("starts-with", value="4"), []),
        (filt("contains", value=4), ["value_not_string"]),
        (filt("does-not-end-with", value=True), ["value_not_string"]),
        (filt("=", value="x"), []),
        (filt("=", value=0), []),
        (filt("=", value=False), []),
        (filt("=", value=2.5), []),
        (filt("="), ["value_required"]),
        (filt(">", value=None), ["value_required"]),
        (filt("=", value=["a", "b"]), ["value_not_scalar"]),
        (filt("!=", value={"a": 1}), ["value_not_scalar"]),
        (filt(">", value=True), ["value_not_comparable"]),
        ({"calculations": [{"op": "COUNT", "name": "n", "filters": [{"column": "c", "op": "exists", "value": 1}]}]},
         ["value_forbidden"]),
    ],
)  # fmt: skip
def test_filter_values(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(st.check_filter_values, spec) == expected


def test_list_value_suggestions() -> None:
    assert one(st.check_filter_values, filt("in", value="a, b")).suggestion == 'use ["a", "b"]'
    assert one(st.check_filter_values, filt("=", value=["a"])).suggestion == 'use "op": "in" for a list'
    assert one(st.check_filter_values, filt("contains", value=4)).suggestion == 'use "4"'


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"breakdowns": ["a", "b"]}, []),
        ({"breakdowns": ["a", "a"]}, ["duplicate_breakdown"]),
        ({"filters": [{"column": "a", "op": "=", "value": 1}] * 2}, ["duplicate_filter"]),
        ({"filters": [{"column": "a", "op": "=", "value": 1}, {"column": "a", "op": "=", "value": "1"}]}, []),
    ],
)
def test_duplicates(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(st.check_duplicates, spec) == expected


# --------------------------------------------------------------------------- orders and havings


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"orders": [{"op": "COUNT", "order": "descending"}]}, []),  # implicit COUNT (TF test)
        ({"calculations": [C], "orders": [{"op": "COUNT"}]}, []),
        ({"calculations": [{"op": "MAX", "column": "d"}], "orders": [{"op": "COUNT"}]}, ["order_unmatched"]),
        ({"calculations": [{"op": "AVG", "column": "d"}], "breakdowns": ["t"],
          "orders": [{"op": "AVG", "column": "d", "order": "ascending"}, {"column": "t", "order": "descending"}]}, []),
        ({"calculations": [{"op": "MAX", "column": "d"}], "breakdowns": ["t"], "orders": [{"column": "column_1"}]},
         ["order_unmatched"]),
        ({"calculations": [{"op": "HEATMAP", "column": "d"}], "orders": [{"op": "HEATMAP", "column": "d"}]},
         ["order_heatmap"]),
        ({"calculations": [P99], "orders": [{"op": "AVG", "column": "duration_ms"}]}, ["order_unmatched"]),
        ({"calculations": [P99], "orders": [{"column": "duration_ms"}]}, ["order_unmatched"]),
        ({"calculations": [P99], "orders": [{"op": "P99"}]}, ["column_required"]),
        ({"calculations": [{"op": "CONCURRENCY"}], "orders": [{"op": "CONCURRENCY"}]}, []),
        ({"orders": [{}]}, ["order_empty"]),
        ({"orders": [{"order": "descending"}]}, ["order_empty"]),
        ({"orders": [{"op": "COUNT", "order": "desc"}]}, ["invalid_order"]),
        ({"orders": [{"op": "count"}]}, ["unknown_op"]),
        ({"calculations": [{"op": "COUNT", "name": "my_count"}], "orders": [{"column": "my_count"}]}, []),
        ({"calculations": [{"op": "COUNT", "name": "total"}, {"op": "COUNT", "name": "errors"}],
          "formulas": [{"name": "error_rate", "expression": "DIV($errors, $total)"}],
          "orders": [{"column": "error_rate", "order": "descending"}]}, []),
        ({"calculations": [{"op": "COUNT", "column": "*"}], "orders": [{"op": "COUNT", "column": "*"}]}, []),
    ],
)  # fmt: skip
def test_orders(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(lk.check_orders, spec) == expected


def test_order_suggests_the_matching_calculation() -> None:
    spec = {"calculations": [P99], "orders": [{"column": "duration_ms", "order": "descending"}]}
    assert (
        one(lk.check_orders, spec).suggestion
        == 'use {"op": "P99", "column": "duration_ms"} to order by P99(duration_ms)'
    )


H = {"op": ">", "value": 1000}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"calculations": [P99], "havings": [{"calculate_op": "P99", "column": "duration_ms", **H}]}, []),
        ({"havings": [{"calculate_op": "COUNT", **H}]}, []),  # implicit COUNT
        ({"havings": [{"calculate_op": "COUNT", **H}, {"calculate_op": "COUNT", "op": "<", "value": 5}]}, []),
        ({"calculations": [P99], "havings": [{"calculate_op": "P95", "column": "duration_ms", **H}]},
         ["having_unmatched"]),
        ({"calculations": [P99], "havings": [{"calculate_op": "COUNT", **H}]}, ["having_unmatched"]),
        ({"havings": [{"calculate_op": "P99", **H}]}, ["column_required"]),
        ({"havings": [{"calculate_op": "CONCURRENCY", "column": "x", **H}]}, ["column_forbidden"]),
        ({"calculations": [{"op": "HEATMAP", "column": "d"}], "havings": [{"calculate_op": "HEATMAP", "column": "d", **H}]},
         ["having_heatmap"]),
        ({"havings": [{"calculate_op": "COUNT", "op": "!=", "value": 0}]}, []),
        ({"havings": [{"calculate_op": "COUNT", "op": "in", "value": 0}]}, ["unknown_op"]),
        ({"havings": [{"calculate_op": "COUNT", "op": "==", "value": 0}]}, ["unknown_op"]),
        ({"havings": [{"calculate_op": "COUNT", "op": ">", "value": "850"}]}, ["wrong_type"]),
        ({"havings": [{"calculate_op": "COUNT", "op": ">", "value": True}]}, ["wrong_type"]),
        ({"havings": [{"calculate_op": "COUNT", "op": ">", "value": 2.5}]}, []),
        ({"havings": [{"calculate_op": "count", **H}]}, ["unknown_op"]),
        ({"calculations": [{"op": "COUNT", "column": "*"}], "havings": [{"calculate_op": "COUNT", "column": "*", **H}]},
         []),
        ({"calculations": [{"op": "COUNT", "name": "errors", "filters": F}],
          "havings": [{"calculate_op": "COUNT", "column": "errors", **H}]}, []),
    ],
)  # fmt: skip
def test_havings(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(lk.check_havings, spec) == expected


# --------------------------------------------------------------------------- time, granularity, limit, offset


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, []),
        ({"time_range": 3600}, []),
        ({"start_time": 1525125600, "end_time": 1525132800}, []),
        ({"end_time": 1525132800, "time_range": 3600}, []),
        ({"start_time": 1525125600}, []),
        ({"time_range": 7200, "start_time": 1577836800, "end_time": 1577844000}, ["time_overconstrained"]),
        ({"start_time": 1577844000, "end_time": 1577836800}, ["time_reversed"]),
        ({"start_time": 1577836800, "end_time": 1577836800}, ["time_empty"]),
        ({"time_range": 0}, ["time_out_of_range"]),
        ({"time_range": -3600}, ["time_out_of_range"]),
        ({"start_time": 0, "end_time": 10}, ["time_out_of_range"]),
        (
            {"start_time": 1795089600000, "end_time": 1795176000000},
            ["time_out_of_range", "time_in_milliseconds", "time_in_milliseconds"],
        ),
    ],
)
def test_time(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(wn.check_time, spec) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"granularity": 0}, []),
        ({"time_range": 7200, "granularity": 0}, []),
        ({"time_range": 7200, "granularity": 30}, []),
        ({"time_range": 7200, "granularity": 720}, []),  # T/10, the docs' maximum
        ({"time_range": 7200, "granularity": 721}, ["granularity_coarse"]),
        (
            {"time_range": 7200, "granularity": 7200},
            ["granularity_coarse"],
        ),  # T: one bucket, allowed since #762
        ({"time_range": 120, "granularity": 121}, ["granularity_out_of_range"]),
        ({"time_range": 60000, "granularity": 59}, ["granularity_out_of_range"]),
        ({"time_range": 60000, "granularity": 60}, []),
        (
            {"time_range": 7200, "granularity": 7},
            [],
        ),  # floor(T/1000) = 7: borderline, accepted like the provider
        ({"time_range": 7200, "granularity": 6}, ["granularity_out_of_range"]),
        ({"granularity": 8000}, ["granularity_out_of_range"]),  # default T = 7200
        ({"start_time": 100000, "end_time": 186400, "granularity": 3600}, []),
        ({"granularity": -1}, ["granularity_out_of_range"]),
    ],
)
def test_granularity(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(wn.check_granularity, spec) == expected


@pytest.mark.parametrize(
    ("limit", "expected"),
    [(1, []), (250, []), (1000, []), (0, ["limit_out_of_range"]), (-5, ["limit_out_of_range"]),
     (1200, ["limit_out_of_range"]), (10**12, ["limit_out_of_range"])],
)  # fmt: skip
def test_limit(limit: int, expected: list[str]) -> None:
    assert codes(wn.check_limit, {"limit": limit}) == expected


def test_huge_limit_names_the_fix() -> None:
    finding = one(wn.check_limit, {"limit": 100000})
    assert "1000" in finding.message and "1000" in (finding.suggestion or "")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"compare_time_offset_seconds": 7200}, []),
        ({"time_range": 3600, "compare_time_offset_seconds": 86400}, []),
        ({"time_range": 5000, "compare_time_offset_seconds": 5000}, []),  # "same as the time range"
        ({"compare_time_offset_seconds": 1}, ["compare_offset_invalid"]),
        ({"compare_time_offset_seconds": 1800}, ["compare_offset_too_small"]),  # default T = 7200
        ({"start_time": 1714738800, "compare_time_offset_seconds": 1800}, ["compare_offset_too_small"]),
    ],
)
def test_compare_offset(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(wn.check_compare_offset, spec) == expected


# --------------------------------------------------------------------------- relational, formulas


NAMED_TOTAL = {"op": "COUNT", "name": "total"}
RATE = [{"name": "rate", "expression": "DIV($total, 100)"}]
FILTERED = {"op": "COUNT", "name": "filtered", "filters": F}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"filters": [{"column": "root.service.name", "op": "=", "value": "x"}], "breakdowns": ["parent.name"]}, []),
        ({"calculations": [{**FILTERED, "filters": [{"column": "root.status_code", "op": "=", "value": "500"}]}]},
         ["relational_not_allowed"]),
        ({"calculations": [{**FILTERED, "filters": [{"column": "child.duration_ms", "op": ">", "value": 100}]}]},
         ["relational_not_allowed"]),
        ({"calculations": [NAMED_TOTAL], "formulas": RATE,
          "filters": [{"column": "root.status_code", "op": "=", "value": "200"}]}, ["relational_not_allowed"]),
        ({"calculations": [NAMED_TOTAL], "formulas": RATE, "breakdowns": ["child.service_name"]},
         ["relational_not_allowed"]),
        ({"calculations": [FILTERED], "filters": [{"column": "parent.trace_id", "op": "exists"}]},
         ["relational_not_allowed"]),
        ({"calculations": [FILTERED], "breakdowns": ["root.service_name"]}, ["relational_not_allowed"]),
        ({"calculations": [FILTERED], "breakdowns": ["rooted.service"]}, []),
    ],
)  # fmt: skip
def test_relational(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(lk.check_relational, spec) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"calculated_fields": [{"name": "adhoc_test", "expression": "BOOL(1)"}]}, []),
        ({"calculated_fields": [{"name": "a", "expression": "1"}, {"name": "a", "expression": "2"}]},
         ["duplicate_name"]),
        ({"calculations": [NAMED_TOTAL, {"op": "COUNT", "name": "errors"}],
          "formulas": [{"name": "rate", "expression": "100 ) * $errors"}]}, ["invalid_expression"]),
        ({"calculations": [NAMED_TOTAL], "formulas": [{"name": "r", "expression": "DIV($total, $missing)"}]},
         ["unknown_reference"]),
        ({"calculations": [{"op": "HEATMAP", "column": "d"}, NAMED_TOTAL], "formulas": RATE},
         ["heatmap_with_formulas"]),
        ({"calculations": [{"op": "SUM", "column": "used", "name": "used"}, {"op": "SUM", "column": "a", "name": "available"}],
          "formulas": [{"name": "pct", "expression": "$used / ($used + $available) * 100"}]}, []),
    ],
)  # fmt: skip
def test_named_expressions(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(lk.check_named_expressions, spec) == expected


# --------------------------------------------------------------------------- the whole pipeline


def test_rules_are_listed_once_and_documented() -> None:
    names = [rule.__name__ for rule in vd.STRUCTURE_RULES]
    assert len(names) == len(set(names))
    assert all(rule.__doc__ for rule in vd.STRUCTURE_RULES)


@pytest.mark.parametrize("raw", [None, 1, 2.5, True, "COUNT", [], [{"op": "COUNT"}]])
def test_non_objects_give_one_finding(raw: Any) -> None:
    found = check_structure(raw)
    assert [f.code for f in found] == ["not_an_object"]


def test_one_mistake_one_finding() -> None:
    """A wrong type is reported by the shape rules only, not again by the rules that read the field."""
    spec = {
        "calculations": [{"op": 5}],
        "orders": [{"op": ["COUNT"]}],
        "havings": [{"calculate_op": 1, "op": ">", "value": 1}],
    }
    assert [f.code for f in check_structure(spec)] == ["wrong_type", "wrong_type", "wrong_type"]


def test_a_rule_bug_becomes_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(raw: dict[str, Any]):
        raise RuntimeError("boom")

    broken.__name__ = "broken"
    monkeypatch.setattr(vd, "STRUCTURE_RULES", (broken,))
    assert [f.code for f in vd.check_structure({})] == ["validator_error"]
