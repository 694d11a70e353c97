"""The critic's question constraints: table tests on its own questions and schema (tests/_critic_schema.py)."""

from __future__ import annotations

import pytest

from tests._critic_schema import CONVENTIONS, MIDNIGHT, NOW_EPOCH, SCHEMA
from workbench.critic import critique
from workbench.prompt.conventions import Conventions

P90 = {"op": "P90", "column": "duration_ms"}
WEEK = {"time_range": 604800}
YESTERDAY = {"start_time": MIDNIGHT - 86400, "end_time": MIDNIGHT}


def codes(question: str, spec: dict, conventions=CONVENTIONS) -> list[str]:
    return sorted({f.code for f in critique(question, spec, SCHEMA, conventions) if f.severity == "warning"})


CLEAN = [
    ("how many requests", {**WEEK}),
    ("p95 latency on ios in the last 3 hours", {"calculations": [{"op": "P95", "column": "duration_ms"}],
     "filters": [{"column": "app.platform", "op": "=", "value": "ios"}], "time_range": 10800}),
    ("median duration by service yesterday", {"calculations": [{"op": "P50", "column": "duration_ms"}],
     "breakdowns": ["service.name"], **YESTERDAY}),
    ("slowest routes", {"calculations": [P90], "breakdowns": ["http.route"],
     "orders": [{"op": "P90", "column": "duration_ms", "order": "descending"}], **WEEK}),
    ("top 3 services by error count over the past day", {"filters": [{"column": "error", "op": "=", "value": True}],
     "breakdowns": ["service.name"], "orders": [{"op": "COUNT", "order": "descending"}], "limit": 3,
     "time_range": 86400}),
    ("requests from anything other than web", {"filters": [{"column": "app.platform", "op": "!=", "value": "web"}], **WEEK}),
    ("5xx responses per hour today", {"filters": [{"column": "http.response.status_code", "op": ">=", "value": 500}],
     "granularity": 3600, "start_time": MIDNIGHT, "end_time": MIDNIGHT + 86400}),
    ("requests slower than 2s right now", {"filters": [{"column": "duration_ms", "op": ">", "value": 2000}],
     "time_range": 3600}),
    ("how many traces on nov 18", {"filters": [{"column": "trace.parent_id", "op": "does-not-exist"}],
     "start_time": MIDNIGHT - 2 * 86400, "end_time": MIDNIGHT - 86400}),
    ("how many users per plan", {"calculations": [{"op": "COUNT_DISTINCT", "column": "user.id"}],
     "breakdowns": ["app.plan"], **WEEK}),
    ("total revenue by plan", {"calculations": [{"op": "SUM", "column": "app.invoice.amount_usd"}],
     "breakdowns": ["app.plan"], **WEEK}),
    ("billing requests 3 hours ago", {"filters": [{"column": "service.name", "op": "=", "value": "billing"}]}),
]  # fmt: skip


@pytest.mark.parametrize(("question", "spec"), CLEAN)
def test_clean_answers_draw_nothing(question: str, spec: dict) -> None:
    assert codes(question, spec) == []


WRONG = [
    ("how many requests in the last hour", {"time_range": 7200}, "critic_time"),
    ("how many requests", {"time_range": 86400}, "critic_time"),
    ("how many requests right now", {"time_range": 604800}, "critic_time"),
    ("errors yesterday", {"filters": [{"column": "error", "op": "=", "value": True}], "start_time": MIDNIGHT,
     "end_time": MIDNIGHT + 86400}, "critic_time"),
    ("p95 latency", {"calculations": [{"op": "P99", "column": "duration_ms"}], **WEEK}, "critic_statistic"),
    ("average latency", {"calculations": [{"op": "AVG", "column": "app.retry_budget"}], **WEEK}, "critic_statistic"),
    ("requests on android", {"filters": [{"column": "app.platform", "op": "=", "value": "ios"}], **WEEK}, "critic_value"),
    ("requests on android", {**WEEK}, "question_value_unused"),
    ("requests not on android", {"filters": [{"column": "app.platform", "op": "=", "value": "android"}], **WEEK},
     "critic_negation"),
    ("requests excluding android", {**WEEK}, "critic_negation"),
    ("failed requests", {**WEEK}, "critic_value"),
    ("5xx responses", {"filters": [{"column": "http.response.status_code", "op": ">=", "value": 400}], **WEEK},
     "critic_threshold"),
    ("status 404 responses", {"filters": [{"column": "http.response.status_code", "op": "=", "value": 500}], **WEEK},
     "critic_threshold"),
    ("requests over 500 ms", {"filters": [{"column": "duration_ms", "op": ">", "value": 50}], **WEEK}, "critic_threshold"),
    ("p90 latency by service", {"calculations": [P90], "breakdowns": ["app.plan"], **WEEK}, "critic_group"),
    ("p90 latency for each platform", {"calculations": [P90], **WEEK}, "critic_group"),
    ("slowest services", {"calculations": [P90], "breakdowns": ["service.name"],
     "orders": [{"op": "P90", "column": "duration_ms", "order": "ascending"}], **WEEK}, "critic_order"),
    ("top 4 services by count", {"breakdowns": ["service.name"], "orders": [{"op": "COUNT", "order": "descending"}],
     "limit": 10, **WEEK}, "critic_limit"),
    ("requests per hour", {**WEEK}, "critic_granularity"),
    ("daily errors", {"filters": [{"column": "error", "op": "=", "value": True}], "granularity": 3600, **WEEK},
     "critic_granularity"),
    ("how many traces", {**WEEK}, "critic_root_spans"),
]  # fmt: skip


@pytest.mark.parametrize(("question", "spec", "code"), WRONG)
def test_a_missing_or_contradicting_constraint_is_named(question: str, spec: dict, code: str) -> None:
    found = critique(question, spec, SCHEMA, CONVENTIONS)
    assert code in codes(question, spec)
    mine = next(f for f in found if f.code == code)
    assert mine.severity == "warning" and mine.suggestion and mine.path


def test_suggestions_are_corrected_fragments() -> None:
    (f,) = [
        f for f in critique("how many requests in the last hour", {"time_range": 7200}, SCHEMA, CONVENTIONS)
    ]
    assert f.suggestion == "time_range: 3600" and f.path == "time_range"
    (f,) = critique("requests on android", {"filters": [{"column": "app.platform", "op": "=", "value": "ios"}],
                    **WEEK}, SCHEMA, CONVENTIONS)  # fmt: skip
    assert f.suggestion == "filters[+]: app.platform = android"


def test_conventions_come_from_the_variant_not_code() -> None:
    # no conventions: no default window, no slow statistic, no error filter to demand
    assert codes("how many requests", {"time_range": 86400}, Conventions()) == []
    assert codes("failed requests", {**WEEK}, Conventions()) == []
    other = CONVENTIONS.model_copy(update={"default_time_range": 86400})
    assert codes("how many requests", {"time_range": 86400}, other) == []


def test_the_critic_never_raises_on_odd_input() -> None:
    assert critique("", {}, SCHEMA, CONVENTIONS) == ()
    assert critique("p95 latency", "not json", SCHEMA, CONVENTIONS) == ()
    assert critique("p95 latency", {"calculations": [{"op": "P95"}]}, None, None) is not None
    broken = critique("requests by service", {"time_range": 3600}, object(), CONVENTIONS)
    assert all(f.severity in ("info", "warning") for f in broken)


def test_the_legacy_check_keeps_its_code_where_it_was_imported() -> None:
    from workbench.critic.values import unused_question_values
    from workbench.spec.query import parse_spec

    (f,) = unused_question_values("requests on android", parse_spec(WEEK), SCHEMA)
    assert f.code == "question_value_unused" and NOW_EPOCH
