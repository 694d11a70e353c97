"""Values the question names that the query ignores: the dropped condition of a schema-valid answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.critic.values import unused_question_values
from workbench.evaluation.questions import load_question_set
from workbench.spec.query import parse_spec

REPO = Path(__file__).resolve().parents[1]
COUNT = {"calculations": [{"op": "COUNT"}]}


def codes(question: str, spec: dict, schema) -> list[str]:
    return [f.message.split("'")[1] for f in unused_question_values(question, parse_spec(spec), schema)]


def test_a_dropped_value_is_named(small_schema) -> None:
    spec = {**COUNT, "filters": [{"column": "duration_ms", "op": "<", "value": 50}]}
    (finding,) = unused_question_values(
        "count of catalog requests under 50ms", parse_spec(spec), small_schema
    )
    assert finding.severity == "warning" and finding.code == "question_value_unused"
    assert (
        "'catalog', a value of service.name" in finding.message
        and "service.name = 'catalog'" in finding.suggestion
    )


@pytest.mark.parametrize(
    ("question", "spec"),
    [
        ("errors on android", {**COUNT, "filters": [{"column": "app.platform", "op": "=", "value": "android"}]}),
        ("p95 latency android vs ios", {"calculations": [{"op": "P95", "column": "duration_ms"}], "breakdowns": ["app.platform"]}),
        ("checkout latency", {**COUNT, "filters": [{"column": "http.route", "op": "=", "value": "/api/checkout"}]}),
        ("everything but android", {**COUNT, "filters": [{"column": "app.platform", "op": "!=", "value": "android"}]}),
        ("p95 latency by payment provider", {"calculations": [{"op": "P95", "column": "duration_ms"}], "breakdowns": ["app.payment.provider"]}),
        ("get me the errors by service", {**COUNT, "breakdowns": ["service.name"]}),
        ("top 5 services in the last 3 days", {**COUNT, "breakdowns": ["service.name"], "limit": 5}),
    ],
)  # fmt: skip
def test_what_counts_as_using_the_value(small_schema, question: str, spec: dict) -> None:
    assert codes(question, spec, small_schema) == []


def test_capital_values_only_match_in_capitals(small_schema) -> None:
    assert "POST" in codes(
        "POST requests that failed",
        {**COUNT, "filters": [{"column": "error", "op": "=", "value": True}]},
        small_schema,
    )
    assert (
        codes(
            "post the count of failed requests",
            {**COUNT, "filters": [{"column": "error", "op": "=", "value": True}]},
            small_schema,
        )
        == []
    )


def test_no_gold_answer_of_the_shipped_set_is_flagged(small_schema) -> None:
    """Precision: the right answers to 78 questions draw no warning."""
    qs = load_question_set(REPO / "questions" / "core.yaml")
    flagged = {q.id: codes(q.question, q.gold, small_schema) for q in qs}
    assert {k: v for k, v in flagged.items() if v} == {}


def test_the_pipeline_warns_without_blocking(small_schema) -> None:
    from workbench.llm.client import ModelCall
    from workbench.pipeline.judge import judge

    args = (
        '{"calculations": [{"op": "COUNT"}], "filters": [{"column": "duration_ms", "op": "<", "value": 50}]}'
    )
    response = {"choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None,
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "run_query", "arguments": args}}]}}]}  # fmt: skip
    call = ModelCall(request_hash="x", model="offline", response=response, latency_ms=1.0)
    attempt = judge(call, "tool_call", small_schema, "count of catalog requests under 50ms")
    assert attempt.ok and [f.code for f in attempt.findings] == ["question_value_unused"]
    assert judge(call, "tool_call", small_schema).findings == ()  # without the question: no such check
