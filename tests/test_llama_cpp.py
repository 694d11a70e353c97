"""Recorded llama.cpp ``llama-server`` bodies (tests/fixtures/llama_cpp) replayed through the real openai client.

Each fixture holds the exact request a real server got and its real answer (Qwen2.5-Coder
0.5B Instruct, see the fixtures' README). Every answer that holds a query specification must
give one, with the finding that says how it was written; none may count as a decline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from openai_wire import FakeEndpoint

from workbench.llm.client import CallFailure, request_hash, send
from workbench.llm.usage import call_cost
from workbench.pipeline.judge import judge, needs_repair
from workbench.spec.validate.layers import validate

FIXTURES = Path(__file__).parent / "fixtures" / "llama_cpp"
ALL = sorted(p.stem for p in FIXTURES.glob("*.json"))


def doc(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def reply(name: str) -> dict[str, Any]:
    """The recorded answer in ``openai_wire``'s form: status, headers, body or SSE events."""
    d = doc(name)
    if "response_chunks" in d:
        return {
            "status": d["status"],
            "headers": {"content-type": "text/event-stream"},
            "events": d["response_chunks"],
        }
    return {"status": d["status"], "headers": {"content-type": "application/json"}, "body": d["response"]}


def replay(http: Any, name: str, **backend: Any):
    """Send the recorded request through the real openai client to a fake server giving the recorded answer."""
    request = doc(name)["request"]
    endpoint = FakeEndpoint(http, reply(name))
    call = send(request, backend=endpoint.backend(**backend), stream=bool(request.get("stream")))
    return call, endpoint


@pytest.fixture(params=[httpx2, httpx], ids=["httpx2", "httpx"])
def http(request: pytest.FixtureRequest):
    return request.param


def test_every_fixture_is_a_recording() -> None:
    assert len(ALL) == 12
    for name in ALL:
        d = doc(name)
        assert d["server"] and d["model"] and isinstance(d["request"], dict), name
        assert ("response" in d) != ("response_chunks" in d), name


# --------------------------------------------------------------------------- specs written as text


@pytest.mark.parametrize(
    ("name", "mode", "codes"),
    [
        ("tool_auto", "tool_call", {"query_as_text"}),
        ("tool_auto_stream", "tool_call", {"query_as_text"}),
        ("tool_required", "tool_call", {"query_as_text", "truncated"}),
        ("json_schema_strict", "json_schema", set()),
    ],
)
def test_an_answer_holding_a_spec_gives_it(http, name: str, mode: str, codes: set[str], small_schema) -> None:
    call, endpoint = replay(http, name)
    assert endpoint.history == [{k: v for k, v in doc(name)["request"].items()}]
    attempt = judge(call, mode, small_schema)
    assert attempt.parsed.spec is not None, attempt.parsed.findings
    assert {f.code for f in attempt.parsed.findings} == codes
    assert all(f.severity == "warning" for f in attempt.parsed.findings)
    assert not attempt.declined
    assert "calculations" in attempt.parsed.spec and attempt.validation is not None
    # the 0.5B model's queries are wrong in ways validation names, so a repair turn is asked for
    assert needs_repair(attempt)


def test_the_recorded_tool_call_text_is_unwrapped(http, small_schema) -> None:
    call, _ = replay(http, "tool_auto")
    attempt = judge(call, "tool_call", small_schema)
    text = json.loads(doc("tool_auto")["response"]["choices"][0]["message"]["content"].strip("`json\n"))
    assert attempt.parsed.spec == text["arguments"]
    assert "p99_latency_by_route_for_android_users_yesterday" in attempt.parsed.findings[0].message
    # the same query streamed is read the same way (the streamed text differs: cache state)
    streamed, _ = replay(http, "tool_auto_stream")
    assert judge(streamed, "tool_call", small_schema).parsed.findings[0].code == "query_as_text"


def test_a_variant_may_reject_a_query_written_as_text(http, small_schema) -> None:
    call, _ = replay(http, "tool_auto")
    attempt = judge(call, "tool_call", small_schema, text_query="reject")
    (finding,) = attempt.parsed.findings
    assert (finding.code, finding.severity) == ("query_as_text", "error")
    assert "text_query: accept" in finding.suggestion
    assert attempt.parsed.spec is None and not attempt.declined
    assert needs_repair(attempt)  # a repair turn asks for the call; a decline would not


def test_another_function_written_as_text_is_not_a_spec(http, small_schema) -> None:
    call, _ = replay(http, "tool_trivial")
    attempt = judge(call, "tool_call", small_schema)
    assert "get_weather" in attempt.parsed.findings[0].message
    assert not attempt.ok and {f.code for f in attempt.validation.findings} >= {"unknown_field"}


@pytest.mark.parametrize("name", ["plain_json", "plain_json_stream", "seed_repeat_a", "error_unknown_model"])
def test_sql_wrapped_in_json_is_named(http, name: str, small_schema) -> None:
    call, _ = replay(http, name)
    attempt = judge(call, "plain_json", small_schema)
    assert attempt.parsed.spec is None and not attempt.declined
    assert [f.code for f in attempt.parsed.findings] == ["sql_not_spec"]
    assert needs_repair(attempt)


def test_strict_json_schema_output_is_valid_json_but_over_constrained(http, small_schema) -> None:
    call, _ = replay(http, "json_schema_strict")
    codes = {
        f.code for f in validate(judge(call, "json_schema", small_schema).parsed.spec, small_schema).findings
    }
    assert {"time_overconstrained", "limit_out_of_range", "unknown_op"} <= codes


# --------------------------------------------------------------------------- usage, cost, errors


@pytest.mark.parametrize("name", ["tool_auto", "tool_auto_stream", "json_schema_strict", "plain_json_stream"])
def test_the_servers_usage_is_used(http, name: str) -> None:
    call, _ = replay(http, name)
    d = doc(name)
    usage = d["response"]["usage"] if "response" in d else d["response_chunks"][-2]["usage"]
    assert call.usage_estimated is False
    assert (call.prompt_tokens, call.completion_tokens) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
    )
    assert call.cached_tokens == usage["prompt_tokens_details"]["cached_tokens"]


def test_an_unknown_local_model_has_no_price_until_the_variant_declares_one(http) -> None:
    call, _ = replay(http, "tool_auto")
    assert call.cost_usd is None  # never $0
    free = FakeEndpoint(http).backend().configured(price=(0.0, 0.0, 0.0))
    assert call_cost(free, call.model, 693, 0, 232) == 0.0
    priced = FakeEndpoint(http).backend().configured(price=(1.0, 0.5, 2.0))
    assert call_cost(priced, call.model, 693, 93, 232) == pytest.approx((600 * 1 + 93 * 0.5 + 232 * 2) / 1e6)


@pytest.mark.parametrize(
    ("name", "text"), [("error_bad_request", "Expected 'messages'"), ("n2", "Field 'n'")]
)
def test_error_shapes(http, name: str, text: str) -> None:
    with pytest.raises(CallFailure) as failure:
        replay(http, name)
    assert failure.value.status == 400 and not failure.value.retryable
    assert failure.value.message.startswith("HTTP 400") and text in failure.value.message


def test_a_seeded_repeat_is_the_same_request_and_answer(http) -> None:
    a, _ = replay(http, "seed_repeat_a")
    b, _ = replay(http, "seed_repeat_b")
    assert a.request_hash == b.request_hash == request_hash(doc("seed_repeat_a")["request"])
    assert a.response["choices"] == b.response["choices"]


# --------------------------------------------------------------------------- the forms, one by one


def _answer(content: str, finish_reason: str = "stop") -> dict[str, Any]:
    message = {"role": "assistant", "content": content}
    return {"choices": [{"index": 0, "message": message, "finish_reason": finish_reason}]}


SPEC = {"calculations": [{"op": "COUNT"}], "breakdowns": ["service.name"]}


@pytest.mark.parametrize(
    "content",
    [
        json.dumps(SPEC),
        "```json\n" + json.dumps(SPEC) + "\n```",
        json.dumps({"name": "run_query", "arguments": SPEC}),
        json.dumps({"name": "run_query", "arguments": json.dumps(SPEC)}),  # arguments as a JSON string
        "Here is the query:\n```\n" + json.dumps({"name": "query", "parameters": SPEC}) + "\n```",
    ],
)
def test_every_text_form_of_a_call_is_read(content: str) -> None:
    from workbench.llm.modes import get_mode

    outcome = get_mode("tool_call").parse(_answer(content))
    assert outcome.spec == SPEC and outcome.ok
    assert [f.code for f in outcome.findings] == ["query_as_text"]
    rejected = get_mode("tool_call").parse(_answer(content), text_query="reject")
    assert rejected.spec is None and [f.code for f in rejected.findings] == ["query_as_text"]


def test_words_without_json_are_still_a_decline() -> None:
    from workbench.llm.modes import get_mode

    outcome = get_mode("tool_call").parse(_answer("I cannot answer that with this table."))
    assert [f.code for f in outcome.findings] == ["no_query"]


def test_a_call_cut_off_inside_the_json_is_truncated() -> None:
    from workbench.llm.modes import get_mode

    outcome = get_mode("tool_call").parse(
        _answer('```json\n{"name": "run_query", "arguments": {"calc', "length")
    )
    assert outcome.spec is None and [f.code for f in outcome.findings] == ["truncated"]


def test_a_variant_chooses_through_the_repair_policy(small_schema) -> None:
    from workbench.pipeline.policy import RepairPolicy
    from workbench.prompt.variant import load_variant

    variant = load_variant("compact").with_(text_query="reject", repair=True)
    policy = RepairPolicy.for_variant(variant, small_schema, checks=())
    assert policy.text_query == "reject"


def test_a_repair_turn_fixes_the_strict_answer(http, small_schema) -> None:
    """The recorded strict-mode answer draws a repair turn that keeps the schema and names each error."""
    from workbench.pipeline.policy import RepairPolicy, drive

    fixed = {
        "calculations": [{"op": "P99", "column": "duration_ms"}],
        "breakdowns": ["http.route"],
        "time_range": 86400,
    }
    good = reply("json_schema_strict")
    good = {**good, "body": json.loads(json.dumps(good["body"]))}
    good["body"]["choices"][0]["message"]["content"] = json.dumps(fixed)
    endpoint = FakeEndpoint(http, reply("json_schema_strict"), good)
    backend = endpoint.backend()
    policy = RepairPolicy("json_schema", small_schema, repair=True, checks=())
    request = doc("json_schema_strict")["request"]
    attempts = drive(policy.steps(request, "p99 latency by route"), lambda body: send(body, backend=backend))
    assert len(attempts) == 2 and not attempts[0].ok and attempts[1].ok
    repair = endpoint.history[1]
    assert repair["response_format"] == request["response_format"]
    note = repair["messages"][-1]["content"]
    assert "at most two of time_range, start_time and end_time" in note
    assert "limit 1000000000" in note and "DESC" in note


def test_a_stray_brace_in_words_is_a_decline_and_broken_json_is_invalid() -> None:
    from workbench.llm.modes import get_mode

    words = get_mode("tool_call").parse(_answer("Sorry {user}, this table holds no invoices."))
    assert [f.code for f in words.findings] == ["no_query"]
    broken = get_mode("tool_call").parse(_answer('{"calculations": [{"op": "COUNT"}] "breakdowns": []}'))
    assert [f.code for f in broken.findings] == ["invalid_json"] and not broken.ok


@pytest.mark.filterwarnings("ignore:unknown model")
@pytest.mark.parametrize(
    ("name", "estimate", "server"),
    [("plain_json", 186, 202), ("tool_auto", 467, 693), ("json_schema_strict", 519, 189)],
)
def test_the_o200k_estimate_against_the_servers_count(name: str, estimate: int, server: int) -> None:
    """README's figures: -8% for text, -33% with tools (the chat template), +175% for a schema (a grammar)."""
    from workbench.core.tokens import count_request, model_encoding

    d = doc(name)
    assert model_encoding(d["request"]["model"]) is None  # so the workbench calls its count an estimate
    assert count_request(d["request"]).total == estimate
    assert d["response"]["usage"]["prompt_tokens"] == server
