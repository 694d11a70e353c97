"""Semantic rules against a hand-built schema, one table per rule: (spec, expected codes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from workbench.schema.columns import ColumnInfo, Schema
from workbench.spec.query import parse_spec
from workbench.spec.validate import semantics as sem
from workbench.spec.validate.layers import check_semantics, explain_empty
from workbench.spec.validate.suggest import column_suggestions

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
NOW_EPOCH = 1795176000
DAY = 86400


def col(
    name: str, type_: str, values: tuple[Any, ...] | None = None, distinct: int = 0, **kw: Any
) -> ColumnInfo:
    distinct = distinct or (len(values) if values else 100)
    return ColumnInfo(
        name, type_, last_written=kw.pop("last_written", NOW), distinct_count=distinct, values=values, **kw
    )  # type: ignore[arg-type]


SCHEMA = Schema(
    columns=(
        col("timestamp", "timestamp", distinct=1_000_000),
        col("service.name", "string", ("frontend", "api-gateway", "checkout", "payment")),
        col("name", "string", distinct=90),
        col("duration_ms", "float", distinct=50_000),
        col("http.route", "string", ("/api/products", "/api/checkout", "/api/cart", "/healthz")),
        col("http.request.method", "string", ("GET", "POST", "PUT", "DELETE")),
        col("http.response.status_code", "integer", (200, 201, 404, 429, 500, 503)),
        col("error", "boolean", (False, True)),
        col("app.platform", "string", ("android", "ios", "web")),
        col("app.version", "string", ("5.1.0", "5.2.0", "5.3.0")),
        col("app.cart.item_count", "integer", distinct=40),
        col("user.id", "string", distinct=120_000),
        col("trace.parent_id", "string", distinct=900_000),
        col("legacy.region", "string", ("east", "west"), last_written=NOW - timedelta(days=10)),
        col("never.written", "string", last_written=None),
    ),
    now=NOW,
)


def codes(rule: Any, spec: dict[str, Any], schema: Schema = SCHEMA) -> list[str]:
    return [f.code for f in rule(sem.make_context(parse_spec(spec), schema))]


def one(rule: Any, spec: dict[str, Any]):
    found = list(rule(sem.make_context(parse_spec(spec), SCHEMA)))
    assert len(found) == 1, found
    return found[0]


def f(column: str, op: str, value: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"column": column, "op": op}
    if value is not None:
        out["value"] = value
    return out


# --------------------------------------------------------------------------- unsupported, unknown columns


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"calculations": [{"op": "COUNT"}]}, []),
        ({"calculated_fields": [{"name": "fast", "expression": "LTE($duration_ms, 100)"}]}, ["unsupported_feature"]),
        ({"calculations": [{"op": "COUNT", "name": "t"}], "formulas": [{"name": "r", "expression": "$t"}]},
         ["unsupported_feature"]),
        ({"compare_time_offset_seconds": 86400}, ["unsupported_feature"]),
        ({"filters": [f("root.service.name", "=", "checkout")]}, ["unsupported_feature"]),
        ({"breakdowns": ["parent.name"]}, ["unsupported_feature"]),
    ],
)  # fmt: skip
def test_unsupported(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(sem.check_unsupported, spec) == expected


def test_unsupported_relational_suggests_the_plain_column() -> None:
    finding = one(sem.check_unsupported, {"filters": [f("root.service.name", "=", "checkout")]})
    assert finding.severity == "error" and finding.suggestion == "use 'service.name'"
    assert "embedded engine" in finding.message


@pytest.mark.parametrize(
    ("spec", "paths"),
    [
        ({"calculations": [{"op": "P99", "column": "duration_ms"}], "breakdowns": ["service.name"]}, []),
        ({"calculations": [{"op": "COUNT", "column": "*"}]}, []),
        ({"calculations": [{"op": "P99", "column": "duration"}]}, ["calculations[0].column"]),
        ({"filters": [f("platform", "=", "ios")]}, ["filters[0].column"]),
        ({"breakdowns": ["service.name", "route"]}, ["breakdowns[1]"]),
        ({"calculations": [{"op": "COUNT", "name": "e", "filters": [f("eror", "=", True)]}]},
         ["calculations[0].filters[0].column"]),
        ({"calculations": [{"op": "P99", "column": "latency"}], "orders": [{"op": "P99", "column": "latency"}],
          "havings": [{"calculate_op": "P99", "column": "latency", "op": ">", "value": 1}]}, ["calculations[0].column"]),
        ({"calculated_fields": [{"name": "fast", "expression": "1"}], "breakdowns": ["fast"]}, []),
        ({"calculations": [{"op": "COUNT", "name": "n"}], "orders": [{"column": "n"}]}, []),
    ],
)  # fmt: skip
def test_unknown_columns(spec: dict[str, Any], paths: list[str]) -> None:
    found = list(sem.check_unknown_columns(sem.make_context(parse_spec(spec), SCHEMA)))
    assert [x.path for x in found] == paths
    assert all(x.code == "unknown_column" and x.severity == "error" for x in found)


@pytest.mark.parametrize(
    ("name", "best"),
    [
        ("platform", "app.platform"),
        ("status_code", "http.response.status_code"),
        ("response.status_code", "http.response.status_code"),
        ("service_name", "service.name"),
        ("Service.Name", "service.name"),
        ("duraton_ms", "duration_ms"),
        ("route", "http.route"),
        ("user_id", "user.id"),
        ("method", "http.request.method"),
    ],
)
def test_column_suggestions(name: str, best: str) -> None:
    assert column_suggestions(name, SCHEMA.names)[0] == best


def test_unknown_column_finding_suggests_the_closest_name() -> None:
    finding = one(sem.check_unknown_columns, {"filters": [f("platform", "=", "ios")]})
    assert finding.suggestion == "use 'app.platform'"
    assert "'platform'" in finding.message


# --------------------------------------------------------------------------- types


@pytest.mark.parametrize(
    ("calc", "expected"),
    [
        ({"op": "P99", "column": "duration_ms"}, []),
        ({"op": "SUM", "column": "app.cart.item_count"}, []),
        ({"op": "P99", "column": "http.route"}, ["op_type_mismatch"]),
        ({"op": "AVG", "column": "error"}, ["op_type_mismatch"]),
        ({"op": "HEATMAP", "column": "service.name"}, ["op_type_mismatch"]),
        ({"op": "RATE_SUM", "column": "app.platform"}, ["op_type_mismatch"]),
        ({"op": "MAX", "column": "timestamp"}, ["op_type_mismatch"]),
        ({"op": "COUNT_DISTINCT", "column": "user.id"}, []),
        ({"op": "COUNT_DISTINCT", "column": "error"}, []),
        ({"op": "COUNT", "column": "http.route"}, []),
    ],
)
def test_op_types(calc: dict[str, Any], expected: list[str]) -> None:
    assert codes(sem.check_op_types, {"calculations": [calc]}) == expected


@pytest.mark.parametrize(
    ("filt", "expected"),
    [
        (f("duration_ms", ">", 500), []),
        (f("duration_ms", ">", 2.5), []),
        (f("duration_ms", ">", "500"), ["value_coerced"]),
        (f("duration_ms", ">", "slow"), ["value_type_mismatch"]),
        (f("duration_ms", ">", "5s"), ["value_type_mismatch"]),
        (f("duration_ms", "=", True), ["value_type_mismatch"]),
        (f("http.response.status_code", "in", [500, "503", "x"]), ["value_coerced", "value_type_mismatch"]),
        (f("http.response.status_code", "starts-with", "5"), ["string_op_on_numeric"]),
        (f("error", "=", True), []),
        (f("error", "=", "true"), ["value_type_mismatch"]),
        (f("error", "!=", "False"), ["value_type_mismatch"]),
        (f("error", "=", 1), ["value_type_mismatch"]),
        (f("error", ">", True), ["op_type_mismatch"]),
        (f("error", "contains", "t"), ["op_type_mismatch"]),
        (f("error", "exists"), []),
        (f("app.version", "=", 5.2), ["value_coerced"]),
        (f("app.version", ">=", "5.2.0"), []),
        (f("app.version", ">", 5), ["value_coerced"]),
        (f("timestamp", ">", "2026-11-19"), ["filter_on_timestamp"]),
        (f("nope", "=", 1), []),  # unknown columns are reported once, by check_unknown_columns
    ],
)
def test_filter_types(filt: dict[str, Any], expected: list[str]) -> None:
    assert codes(sem.check_filter_types, {"filters": [filt]}) == expected


def test_boolean_string_suggests_the_boolean() -> None:
    finding = one(sem.check_filter_types, {"filters": [f("error", "=", "true")]})
    assert finding.severity == "error" and finding.suggestion == "use true (a JSON boolean, no quotes)"
    finding = one(sem.check_filter_types, {"filters": [f("duration_ms", ">", "500")]})
    assert finding.severity == "warning" and finding.suggestion == "use 500 (no quotes)"


# --------------------------------------------------------------------------- domains


@pytest.mark.parametrize(
    ("filt", "expected"),
    [
        (f("app.platform", "=", "android"), []),
        (f("app.platform", "=", "Android"), ["value_case_mismatch"]),
        (
            f("app.platform", "in", ["ios", "ANDROID", "blackberry"]),
            ["value_case_mismatch", "value_not_in_domain"],
        ),
        (f("app.platform", "=", "blackberry"), ["value_not_in_domain"]),
        (f("app.platform", "!=", "blackberry"), ["value_not_in_domain"]),
        (f("http.response.status_code", "=", 500), []),
        (f("http.response.status_code", "=", "500"), []),
        (f("http.response.status_code", "=", 502), ["value_not_in_domain"]),
        (f("http.response.status_code", ">=", 500), []),
        (f("http.response.status_code", ">", 600), ["value_not_in_domain"]),
        (f("http.route", "starts-with", "/api"), []),
        (f("http.route", "starts-with", "/API"), ["value_case_mismatch"]),
        (f("http.route", "contains", "orders"), ["value_not_in_domain"]),
        (f("http.route", "does-not-contain", "orders"), []),
        (f("error", "=", True), []),  # booleans: types are checked by check_filter_types
        (f("duration_ms", "=", 3), []),  # no known domain
    ],
)
def test_value_domains(filt: dict[str, Any], expected: list[str]) -> None:
    assert codes(sem.check_value_domains, {"filters": [filt]}) == expected


def test_case_mismatch_suggests_the_domain_value() -> None:
    finding = one(sem.check_value_domains, {"filters": [f("app.platform", "=", "Android")]})
    assert finding.severity == "error" and finding.suggestion == "use 'android'"
    assert finding.path == "filters[0].value"


def test_domain_miss_says_empty_and_lists_values() -> None:
    finding = one(sem.check_value_domains, {"filters": [f("app.platform", "=", "andriod")]})
    assert finding.severity == "warning" and "empty result" in finding.message
    assert finding.suggestion == "did you mean 'android'? values: 'android', 'ios', 'web'"
    finding = one(sem.check_value_domains, {"filters": [f("app.platform", "!=", "blackberry")]})
    assert "no effect" in finding.message


# --------------------------------------------------------------------------- time, cardinality, stale columns


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, []),
        ({"time_range": 1209600}, []),
        ({"time_range": 30 * DAY}, ["time_partially_outside"]),
        ({"start_time": NOW_EPOCH - DAY, "end_time": NOW_EPOCH}, []),
        ({"start_time": NOW_EPOCH - 30 * DAY, "end_time": NOW_EPOCH - 20 * DAY}, ["time_outside_data"]),
        ({"start_time": NOW_EPOCH + DAY}, ["time_outside_data"]),
        ({"end_time": 1577844000, "time_range": 3600}, ["time_outside_data"]),
        ({"start_time": NOW_EPOCH - 3600, "end_time": NOW_EPOCH + 3600}, ["time_partially_outside"]),
        ({"start_time": NOW_EPOCH, "end_time": NOW_EPOCH - 60}, ["time_reversed"]),
        ({"start_time": NOW_EPOCH * 1000}, ["time_out_of_range"]),  # past the year 9999: cannot compile
    ],
)
def test_time_window(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(sem.check_time_window, spec) == expected


def test_time_outside_data_is_an_error_naming_the_data_window() -> None:
    finding = one(
        sem.check_time_window, {"start_time": NOW_EPOCH - 30 * DAY, "end_time": NOW_EPOCH - 20 * DAY}
    )
    assert finding.severity == "error" and finding.path == "start_time"
    assert "2026-11-06T12:00:00Z to 2026-11-20T12:00:00Z" in (finding.suggestion or "")


def test_data_start_can_be_given() -> None:
    spec = parse_spec({"time_range": 20 * DAY})
    assert [x.code for x in check_semantics(spec, SCHEMA, data_start=NOW_EPOCH - 30 * DAY)] == []


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"breakdowns": ["service.name"]}, []),
        ({"breakdowns": ["user.id"]}, ["high_cardinality_breakdown"]),
        ({"breakdowns": ["trace.parent_id"], "limit": 10}, ["high_cardinality_breakdown"]),
        ({"breakdowns": ["trace.parent_id"], "limit": 10, "orders": [{"op": "COUNT", "order": "descending"}]}, []),
    ],
)  # fmt: skip
def test_breakdown_cardinality(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(sem.check_breakdown_cardinality, spec) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"filters": [f("service.name", "=", "checkout")]}, []),
        ({"filters": [f("legacy.region", "=", "east")]}, ["stale_column"]),
        ({"breakdowns": ["legacy.region"], "filters": [f("legacy.region", "exists")]}, ["stale_column"]),
        ({"breakdowns": ["legacy.region"], "time_range": 12 * DAY}, []),
        ({"breakdowns": ["never.written"]}, ["stale_column"]),
    ],
)
def test_stale_columns(spec: dict[str, Any], expected: list[str]) -> None:
    assert codes(sem.check_stale_columns, spec) == expected


# --------------------------------------------------------------------------- contradictions


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([f("app.platform", "=", "ios"), f("app.platform", "=", "ios")], []),
        ([f("app.platform", "=", "ios"), f("app.platform", "=", "android")], ["contradictory_filters"]),
        ([f("app.platform", "=", "ios"), f("app.platform", "!=", "ios")], ["contradictory_filters"]),
        ([f("app.platform", "in", ["ios", "web"]), f("app.platform", "not-in", ["ios", "web"])],
         ["contradictory_filters"]),
        ([f("app.platform", "in", ["ios", "web"]), f("app.platform", "not-in", ["ios"])], []),
        ([f("app.platform", "in", ["ios"]), f("app.platform", "in", ["web"])], ["contradictory_filters"]),
        ([f("duration_ms", ">", 500), f("duration_ms", "<", 100)], ["contradictory_filters"]),
        ([f("duration_ms", ">", 100), f("duration_ms", "<", 100)], ["contradictory_filters"]),
        ([f("duration_ms", ">=", 100), f("duration_ms", "<=", 100)], []),
        ([f("duration_ms", ">", 100), f("duration_ms", "<", 500)], []),
        ([f("http.response.status_code", ">=", 400), f("http.response.status_code", "<", 500)], []),
        ([f("http.response.status_code", "=", 200), f("http.response.status_code", ">=", 500)],
         ["contradictory_filters"]),
        ([f("error", "exists"), f("error", "does-not-exist")], ["contradictory_filters"]),
        ([f("trace.parent_id", "does-not-exist"), f("trace.parent_id", "=", "abc")], ["contradictory_filters"]),
        ([f("trace.parent_id", "does-not-exist"), f("trace.parent_id", "!=", "abc")], []),
        ([f("http.route", "=", "/api/cart"), f("http.route", "starts-with", "/healthz")], ["contradictory_filters"]),
        ([f("http.route", "=", "/api/cart"), f("http.route", "starts-with", "/api")], []),
        ([f("app.platform", "=", "ios"), f("service.name", "=", "checkout")], []),
        ([f("http.response.status_code", "=", "500"), f("http.response.status_code", ">", 400)], []),
    ],
)  # fmt: skip
def test_contradictions(filters: list[dict[str, Any]], expected: list[str]) -> None:
    assert codes(sem.check_contradictions, {"filters": filters}) == expected


def test_contradictions_only_under_and() -> None:
    filters = [f("app.platform", "=", "ios"), f("app.platform", "=", "android")]
    assert codes(sem.check_contradictions, {"filters": filters, "filter_combination": "OR"}) == []
    finding = one(sem.check_contradictions, {"filters": filters})
    assert finding.severity == "warning" and "result will be empty" in finding.message
    assert (
        finding.suggestion
        == 'use one filter {"op": "in", "value": ["ios", "android"]}, or filter_combination "OR"'
    )


def test_contradictions_in_calculation_filters() -> None:
    calc = {"op": "COUNT", "name": "n", "filters": [f("error", "exists"), f("error", "does-not-exist")]}
    found = list(sem.check_contradictions(sem.make_context(parse_spec({"calculations": [calc]}), SCHEMA)))
    assert [x.path for x in found] == ["calculations[0].filters[1]"]
    calc["filter_combination"] = "OR"
    assert codes(sem.check_contradictions, {"calculations": [calc]}) == []


# --------------------------------------------------------------------------- the whole stage, explain_empty


def test_check_semantics_collects_every_rule() -> None:
    spec = parse_spec({
        "calculations": [{"op": "P99", "column": "http.route"}],
        "filters": [f("platform", "=", "ios"), f("app.platform", "=", "Android"), f("error", "=", "true")],
        "breakdowns": ["user.id"],
    })  # fmt: skip
    assert sorted(x.code for x in check_semantics(spec, SCHEMA)) == [
        "high_cardinality_breakdown", "op_type_mismatch", "unknown_column", "value_case_mismatch", "value_type_mismatch",
    ]  # fmt: skip


def test_semantic_rules_are_listed_once_and_documented() -> None:
    names = [rule.__name__ for rule in sem.SEMANTIC_RULES]
    assert len(names) == len(set(names)) and all(rule.__doc__ for rule in sem.SEMANTIC_RULES)


def test_a_semantic_rule_bug_becomes_a_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(ctx: sem.SemanticContext):
        raise KeyError("boom")

    monkeypatch.setattr(sem, "SEMANTIC_RULES", (broken,))
    assert [x.code for x in sem.check_semantics(parse_spec({}), SCHEMA)] == ["validator_error"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"filters": [f("app.platform", "=", "blackberry")]}, ["value_not_in_domain"]),
        ({"filters": [f("app.platform", "=", "Android")]}, ["value_case_mismatch"]),
        ({"filters": [f("app.platform", "=", "ios"), f("app.platform", "=", "web")]}, ["contradictory_filters"]),
        ({"start_time": NOW_EPOCH + DAY}, ["time_outside_data"]),
        ({"filters": [f("legacy.region", "=", "east")]}, ["stale_column"]),
        ({"filters": [f("app.platform", "=", "ios")]}, ["empty_result_unexplained"]),
        ({"filters": [f("app.platform", "=", "blackberry"), f("app.platform", "=", "ios")], "filter_combination": "OR"},
         ["empty_result_unexplained"]),
        ({"filters": [f("app.platform", "!=", "blackberry")]}, ["empty_result_unexplained"]),
        ({"time_range": 30 * DAY, "havings": [{"calculate_op": "COUNT", "op": ">", "value": 10**9}]},
         ["havings_filter_groups", "empty_result_unexplained"]),
        ({"breakdowns": ["legacy.region"]}, ["empty_result_unexplained"]),
    ],
)  # fmt: skip
def test_explain_empty(spec: dict[str, Any], expected: list[str]) -> None:
    assert [x.code for x in explain_empty(parse_spec(spec), SCHEMA)] == expected


def test_explain_empty_names_the_filter() -> None:
    found = explain_empty(
        parse_spec({"filters": [f("service.name", "=", "checkout"), f("app.platform", "=", "ANDROID")]}),
        SCHEMA,
    )
    assert [(x.code, x.path) for x in found] == [("value_case_mismatch", "filters[1].value")]


def test_top_n_on_a_high_cardinality_breakdown_is_not_warned() -> None:
    from datetime import UTC, datetime

    from workbench.schema.columns import ColumnInfo, Schema
    from workbench.spec.query import parse_spec
    from workbench.spec.validate.layers import check_semantics

    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    schema = Schema(
        (
            ColumnInfo("user.id", "string", "", now, 50_000),
            ColumnInfo("app.order.total_usd", "float", "", now, 900),
        ),
        now,
    )
    base = {
        "calculations": [{"op": "SUM", "column": "app.order.total_usd"}],
        "breakdowns": ["user.id"],
        "time_range": 86400,
    }
    top_n = {
        **base,
        "orders": [{"op": "SUM", "column": "app.order.total_usd", "order": "descending"}],
        "limit": 10,
    }
    codes = lambda spec: [f.code for f in check_semantics(parse_spec(spec), schema)]  # noqa: E731
    assert "high_cardinality_breakdown" in codes(base)
    assert "high_cardinality_breakdown" in codes({**base, "limit": 10})
    assert "high_cardinality_breakdown" not in codes(top_n)
