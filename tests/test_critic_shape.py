"""The critic's structural rules (exclusions, count thresholds, "or", A vs B, statistics nobody asked for) and the
general-English readings they rely on; the critic's own questions on its own schema (tests/_critic_schema.py)."""

from __future__ import annotations

import pytest

from tests._critic_schema import CONVENTIONS, MIDNIGHT, SCHEMA
from workbench.critic import critique
from workbench.critic.text import expand_contractions

WEEK = {"time_range": 604800}
P90 = {"op": "P90", "column": "duration_ms"}
ERR = {"column": "error", "op": "=", "value": True}
BY_SERVICE = {"breakdowns": ["service.name"]}


def codes(question: str, spec: dict) -> list[str]:
    return sorted({f.code for f in critique(question, spec, SCHEMA, CONVENTIONS) if f.severity == "warning"})


CLEAN = [
    # exclusions honoured by a filter that excludes
    ("traffic on routes leaving out anything login related", {"filters": [{"column": "http.route", "op":
     "does-not-contain", "value": "login"}], **WEEK}),
    ("requests that aren't from the web", {"filters": [{"column": "app.platform", "op": "!=", "value": "web"}], **WEEK}),
    ("routes outside the billing service", {"filters": [{"column": "service.name", "op": "!=", "value": "billing"}],
     "breakdowns": ["http.route"], **WEEK}),
    ("calls without a user id by service", {"filters": [{"column": "user.id", "op": "does-not-exist"}],
     **BY_SERVICE, **WEEK}),
    ("requests without errors", {"filters": [{"column": "error", "op": "=", "value": False}], **WEEK}),
    # a named value after "non-" is the value rule's, read on the domain (an inclusion list excludes it too)
    ("non-android requests by platform", {"filters": [{"column": "app.platform", "op": "in", "value": ["ios", "web"]}],
     "breakdowns": ["app.platform"], **WEEK}),
    # thresholds on counts
    ("services with over 40 failures", {"filters": [ERR], **BY_SERVICE,
     "havings": [{"calculate_op": "COUNT", "op": ">", "value": 40}], **WEEK}),
    ("services with more than 500 errors", {"filters": [ERR], **BY_SERVICE,
     "havings": [{"calculate_op": "COUNT", "op": ">", "value": 500}], **WEEK}),
    ("requests over 3 seconds", {"filters": [{"column": "duration_ms", "op": ">", "value": 3000}], **WEEK}),
    ("requests taking 2s or longer", {"filters": [{"column": "duration_ms", "op": ">=", "value": 2000}], **WEEK}),
    # "or" inside one column, and "or more" is a threshold
    ("requests from ios or android on the billing service", {"filters": [{"column": "app.platform", "op": "in",
     "value": ["ios", "android"]}, {"column": "service.name", "op": "=", "value": "billing"}], **WEEK}),
    ("failed calls or calls over 2s", {"filters": [ERR, {"column": "duration_ms", "op": ">", "value": 2000}],
     "filter_combination": "OR", **WEEK}),
    # A vs B
    ("p90 latency, ios vs android", {"calculations": [P90], "filters": [{"column": "app.platform", "op": "in",
     "value": ["ios", "android"]}], "breakdowns": ["app.platform"], **WEEK}),
    ("p90 latency with vs without one click", {"calculations": [P90], "breakdowns": ["feature_flag.one_click"], **WEEK}),
    # statistics
    ("the largest invoice this week", {"calculations": [{"op": "MAX", "column": "app.invoice.amount_usd"}], **WEEK}),
    ("smallest and largest invoice amounts by plan", {"calculations": [{"op": "MIN", "column":
     "app.invoice.amount_usd"}, {"op": "MAX", "column": "app.invoice.amount_usd"}], "breakdowns": ["app.plan"], **WEEK}),
    ("total time spent per service", {"calculations": [{"op": "SUM", "column": "duration_ms"}], **BY_SERVICE, **WEEK}),
    ("how many users on premium", {"calculations": [{"op": "COUNT_DISTINCT", "column": "user.id"}],
     "filters": [{"column": "app.plan", "op": "=", "value": "premium"}], **WEEK}),
    ("p90 and p99 latency", {"calculations": [P90, {"op": "P99", "column": "duration_ms"}], **WEEK}),
    # status codes: a count after a comparison is no status code; several codes add up
    ("routes with at least 404 requests", {"breakdowns": ["http.route"],
     "havings": [{"calculate_op": "COUNT", "op": ">=", "value": 404}], **WEEK}),
    ("how many 500s or 503s by route", {"filters": [{"column": "http.response.status_code", "op": "in",
     "value": [500, 503]}], "breakdowns": ["http.route"], **WEEK}),
    # "last week" may be the calendar week
    ("invoices last week", {"start_time": MIDNIGHT - 11 * 86400, "end_time": MIDNIGHT - 4 * 86400}),
]  # fmt: skip


@pytest.mark.parametrize(("question", "spec"), CLEAN)
def test_answers_that_honour_the_question_draw_nothing(question: str, spec: dict) -> None:
    assert codes(question, spec) == []


WRONG = [
    ("traffic on routes leaving out anything login related", {**WEEK}, "critic_negation"),
    ("calls without a user id by service", {**BY_SERVICE, **WEEK}, "critic_negation"),
    ("requests that aren't from the web", {"filters": [{"column": "app.platform", "op": "=", "value": "web"}], **WEEK},
     "critic_negation"),
    ("non-android requests", {**WEEK}, "critic_negation"),
    ("services with over 40 failures", {"filters": [ERR], **BY_SERVICE, **WEEK}, "critic_threshold"),
    ("plans with fewer than 7 of them failing", {"filters": [ERR], "breakdowns": ["app.plan"], **WEEK},
     "critic_threshold"),
    ("users with at least 2 failed calls", {"filters": [ERR, {"column": "user.id", "op": ">=", "value": 2}], **WEEK},
     "critic_threshold"),
    ("requests taking 2s or longer", {**WEEK}, "critic_threshold"),
    ("failed calls or calls over 2s", {"filters": [ERR, {"column": "duration_ms", "op": ">", "value": 2000}], **WEEK},
     "critic_combination"),
    ("p90 latency, ios vs android", {"calculations": [P90], "filters": [{"column": "app.platform", "op": "in",
     "value": ["ios", "android"]}], **WEEK}, "critic_group"),
    ("p90 latency with vs without one click", {"calculations": [P90], "filters": [{"column": "feature_flag.one_click",
     "op": "=", "value": True}], **WEEK}, "critic_group"),
    ("the largest invoice", {"calculations": [{"op": "COUNT"}], **WEEK}, "critic_statistic"),
    ("total time spent per service", {**BY_SERVICE, **WEEK}, "critic_statistic"),
    ("p95 latency", {"calculations": [{"op": "P95", "column": "duration_ms"}, {"op": "P99", "column": "duration_ms"}],
     **WEEK}, "critic_statistic"),
    ("count of billing requests", {"calculations": [{"op": "COUNT_DISTINCT", "column": "app.plan"}],
     "filters": [{"column": "service.name", "op": "=", "value": "billing"}], **WEEK}, "critic_statistic"),
    ("how many 404 responses did we send", {"filters": [{"column": "error", "op": "=", "value": True}], **WEEK},
     "critic_threshold"),
    ("how many requests returned 201", {**WEEK}, "critic_threshold"),
    ("500s or 503s by route", {"filters": [{"column": "http.response.status_code", "op": "=", "value": 500}],
     "breakdowns": ["http.route"], **WEEK}, "critic_threshold"),
    ("p90 latency by route", {"calculations": [P90], "filters": [{"column": "http.route", "op": "!=",
     "value": "/v1/login"}], **WEEK}, "critic_group"),
    ("how many traces", {"filters": [{"column": "trace.parent_id", "op": "exists"}], **WEEK}, "critic_root_spans"),
]  # fmt: skip


@pytest.mark.parametrize(("question", "spec", "code"), WRONG)
def test_a_structural_mismatch_is_named_with_a_fix(question: str, spec: dict, code: str) -> None:
    assert code in codes(question, spec)
    mine = next(f for f in critique(question, spec, SCHEMA, CONVENTIONS) if f.code == code)
    assert mine.severity == "warning" and mine.suggestion and mine.path


def test_contractions_read_as_negation() -> None:
    assert expand_contractions("it isn't web, they don't pay, it won't load") == (
        "it is not web, they do not pay, it will not load"
    )


def test_or_fix_is_the_combination_and_count_fix_a_having() -> None:
    (f,) = [f for f in critique("failed calls or calls over 2s", {"filters": [ERR, {"column": "duration_ms", "op": ">",
            "value": 2000}], **WEEK}, SCHEMA, CONVENTIONS) if f.code == "critic_combination"]  # fmt: skip
    assert f.suggestion == "filter_combination: OR"
    (f,) = [f for f in critique("services with over 40 failures", {"filters": [ERR], **BY_SERVICE, **WEEK}, SCHEMA,
            CONVENTIONS) if f.code == "critic_threshold"]  # fmt: skip
    assert f.suggestion == "havings[+]: {calculate_op: COUNT, op: '>', value: 40}"


def test_the_having_a_count_threshold_suggests_reads_the_comparison() -> None:
    def fix(question: str) -> str:
        spec = {"filters": [ERR], **BY_SERVICE, **WEEK}
        (f,) = [f for f in critique(question, spec, SCHEMA, CONVENTIONS) if f.code == "critic_threshold"]
        return f.suggestion

    assert fix("services with at least 5 failures") == "havings[+]: {calculate_op: COUNT, op: '>=', value: 5}"
    assert (
        fix("services with no more than 5 failures")
        == "havings[+]: {calculate_op: COUNT, op: '<=', value: 5}"
    )
    assert (
        fix("services with fewer than 5 failures") == "havings[+]: {calculate_op: COUNT, op: '<', value: 5}"
    )
