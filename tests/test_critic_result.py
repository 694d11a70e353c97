"""Result sanity, self-consistency and AUROC."""

from __future__ import annotations

import pytest

from tests._critic_schema import CONVENTIONS, SCHEMA
from workbench.critic import agreement, auroc, critique
from workbench.critic.result import check_result, constant_columns
from workbench.spec.query import parse_spec

WEEK = {"time_range": 604800}


def codes(question, spec, result):
    return {f.code for f in check_result(question, parse_spec(spec), SCHEMA, result)}


def test_a_breakdown_of_only_null_groups() -> None:
    spec = {"calculations": [{"op": "P95", "column": "duration_ms"}], "breakdowns": ["app.plan"], **WEEK}
    assert "critic_result_null_groups" in codes(
        "p95 by plan", spec, {"columns": ["app.plan", "P95"], "rows": [[None, 3.0]]}
    )


def test_all_null_aggregates() -> None:
    spec = {"calculations": [{"op": "P95", "column": "duration_ms"}], **WEEK}
    assert "critic_result_null_values" in codes("p95", spec, {"columns": ["P95"], "rows": [[None]]})


def test_an_aggregate_over_a_constant_column() -> None:
    spec = {"calculations": [{"op": "HEATMAP", "column": "app.retry_budget"}], **WEEK}
    assert "critic_constant_column" in {f.code for f in constant_columns(parse_spec(spec), SCHEMA)}
    assert "critic_constant_column" in {f.code for f in critique("retries", spec, SCHEMA)}  # before execution


def test_one_bucket_when_a_distribution_was_asked() -> None:
    spec = {"calculations": [{"op": "HEATMAP", "column": "duration_ms"}], **WEEK}
    assert "critic_result_one_bucket" in codes(
        "distribution of latency", spec, {"columns": ["H"], "rows": [[[[0, 9]]]]}
    )
    assert not codes("distribution of latency", spec, {"columns": ["H"], "rows": [[[[0, 9], [5, 3]]]]})


def test_one_group_when_the_question_compares() -> None:
    spec = {"breakdowns": ["app.platform"], **WEEK}
    assert "critic_result_one_group" in codes(
        "compare platforms", spec, {"columns": ["p", "c"], "rows": [["ios", 3]]}
    )


@pytest.mark.parametrize(
    "result", [None, {"columns": ["c"], "rows": []}, {"columns": ["c"], "rows": [[3]]}, object()]
)
def test_plain_results_draw_nothing(result) -> None:
    assert not codes("how many requests", {"calculations": [{"op": "COUNT"}], **WEEK}, result)


def test_result_findings_come_through_critique() -> None:
    spec = {"calculations": [{"op": "P95", "column": "duration_ms"}], **WEEK}
    found = critique("p95 latency", spec, SCHEMA, CONVENTIONS, {"columns": ["P95"], "rows": [[None]]})
    assert [f.code for f in found] == ["critic_result_null_values"]


def test_agreement_is_the_share_of_the_modal_result() -> None:
    a, b = {"columns": ["c"], "rows": [[1]]}, {"columns": ["c"], "rows": [[2]]}
    assert agreement([a, a, b]) == pytest.approx(2 / 3)
    assert agreement([a, {"columns": ["n"], "rows": [[1.0]]}]) == 1.0  # equal as the eval judges results
    assert agreement([None, None]) == 0.0 and agreement([]) == 0.0


def test_auroc_is_rank_based() -> None:
    assert auroc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]) == 1.0
    assert auroc([0.1, 0.2, 0.9, 0.8], [1, 1, 0, 0]) == 0.0
    assert auroc([0.5, 0.5], [1, 0]) == 0.5
    assert auroc([0.3, 0.4], [1, 1]) is None


def test_a_negated_text_filter_keeps_only_what_it_does_not_match() -> None:
    from types import SimpleNamespace

    from workbench.critic.values import keeps

    def f(op: str, value: str) -> SimpleNamespace:
        return SimpleNamespace(op=op, value=value, column="http.route")

    assert not keeps(f("does-not-contain", "api"), "/api/search")
    assert keeps(f("does-not-contain", "api"), "/health")
    assert not keeps(f("does-not-start-with", "/api"), "/api/search")
    assert not keeps(f("does-not-end-with", "search"), "/api/search")
    assert keeps(f("does-not-end-with", "search"), "/api/cart")


def test_a_null_group_in_a_top_n_list_takes_a_place() -> None:
    spec = {
        "breakdowns": ["http.route"],
        "orders": [{"op": "COUNT", "order": "descending"}],
        "limit": 2,
        **WEEK,
    }
    rows = [["/v1/pay", 90], [None, 50], ["/v1/login", 10]]
    assert "critic_result_null_groups" in codes(
        "top 2 routes", spec, {"columns": ["http.route", "COUNT"], "rows": rows}
    )
    # outside the top N, or with no N asked for, the NULL group is just part of the data
    assert "critic_result_null_groups" not in codes(
        "top 2 routes", spec, {"columns": ["http.route", "COUNT"], "rows": [rows[0], rows[2], rows[1]]}
    )
    unlimited = {k: v for k, v in spec.items() if k != "limit"}
    assert "critic_result_null_groups" not in codes(
        "busiest routes", unlimited, {"columns": ["http.route", "COUNT"], "rows": rows}
    )
