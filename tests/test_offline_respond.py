"""The offline model's answers in OpenAI's wire format, read back by the real ``openai`` client."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from offline_prompt import body

from workbench.core.tokens import count_request, count_tokens
from workbench.offline import MODEL_ID, BadRequest, complete, describe, stream_chunks
from workbench.spec.query import query_json_schema


def _handler(request: httpx.Request) -> httpx.Response:
    """An in-process OpenAI endpoint around ``complete`` (SSE when the body asks to stream)."""
    payload = json.loads(request.content)
    try:
        response = complete(payload)
    except BadRequest as exc:
        return httpx.Response(exc.status, json=exc.body())
    if payload.get("stream"):
        chunks = stream_chunks(
            response, include_usage=bool((payload.get("stream_options") or {}).get("include_usage"))
        )
        text = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})
    return httpx.Response(200, json=response)


@pytest.fixture
def client() -> openai.OpenAI:
    http = httpx.Client(transport=httpx.MockTransport(_handler))
    return openai.OpenAI(
        api_key="unused", base_url="http://offline.invalid/v1", http_client=http, max_retries=0
    )


def test_tool_call_mode(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(**body("p99 latency by service"))
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.function.name == "run_query" and call.id.startswith("call_")
    args = json.loads(call.function.arguments)
    assert list(args) == list(query_json_schema()["properties"]), "strict mode: every field, in schema order"
    assert args["breakdowns"] == ["service.name"] and args["limit"] is None and args["filters"] == []
    assert (
        completion.id.startswith("chatcmpl-")
        and completion.object == "chat.completion"
        and completion.model == MODEL_ID
    )


def test_json_schema_mode(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(**body("errors by service yesterday", mode="json_schema"))
    message = completion.choices[0].message
    assert (
        completion.choices[0].finish_reason == "stop" and not message.tool_calls and message.refusal is None
    )
    spec = json.loads(message.content)
    assert spec["filters"] == [{"column": "error", "op": "=", "value": True}]


def test_json_schema_refusal(client: openai.OpenAI) -> None:
    message = (
        client.chat.completions.create(**body("delete all events", mode="json_schema")).choices[0].message
    )
    assert message.content is None and "can't change or delete" in message.refusal


def test_plain_json_mode(client: openai.OpenAI) -> None:
    message = client.chat.completions.create(**body("how many users today", mode="text")).choices[0].message
    spec = json.loads(message.content)
    assert spec["calculations"] == [{"op": "COUNT_DISTINCT", "column": "user.id"}]
    assert "filters" not in spec, "without a strict schema only the fields used are written"


def test_tool_mode_declines_in_text(client: openai.OpenAI) -> None:
    message = client.chat.completions.create(**body("drop table events")).choices[0].message
    assert not message.tool_calls and "events table" in message.content


def test_tool_choice_none_answers_in_content() -> None:
    response = complete({**body("p99 latency by service"), "tool_choice": "none"})
    message = response["choices"][0]["message"]
    assert "tool_calls" not in message and json.loads(message["content"])["breakdowns"] == ["service.name"]


def test_usage_counts_the_request_and_the_output() -> None:
    request = body("top 5 users by order value this week")
    response = complete(request)
    usage = response["usage"]
    args = response["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    assert usage["prompt_tokens"] == count_request(request).total
    assert usage["completion_tokens"] == count_tokens(args)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert usage["prompt_tokens_details"]["cached_tokens"] == 0
    assert usage["completion_tokens_details"]["reasoning_tokens"] == 0


@pytest.mark.parametrize("mode", ["tool", "json_schema", "text"])
def test_max_tokens_cuts_the_answer(mode: str) -> None:
    full = complete(body("p99 latency by service", mode=mode))
    cut = complete(body("p99 latency by service", mode=mode, max_tokens=7))
    assert cut["choices"][0]["finish_reason"] == "length"
    assert cut["usage"]["completion_tokens"] == 7

    def text(r: dict) -> str:
        m = r["choices"][0]["message"]
        return m["tool_calls"][0]["function"]["arguments"] if m.get("tool_calls") else m["content"]

    assert text(full).startswith(text(cut)) and len(text(cut)) < len(text(full))


def test_max_completion_tokens_is_honoured_too() -> None:
    assert (
        complete(body("p99 latency by service", max_completion_tokens=3))["choices"][0]["finish_reason"]
        == "length"
    )


def test_stop_sequence_cuts_content() -> None:
    content = complete(body("p99 latency by service", mode="text", stop=["breakdowns"]))["choices"][0][
        "message"
    ]["content"]
    assert "breakdowns" not in content and content.startswith('{"calculations"')


def test_streaming_reassembles_the_same_tool_call(client: openai.OpenAI) -> None:
    request = body("slow endpoints for android users yesterday")
    expected = complete(request)["choices"][0]["message"]["tool_calls"][0]["function"]
    stream = client.chat.completions.create(**request, stream=True, stream_options={"include_usage": True})
    name, args, finish, usage, pieces = None, "", None, None, 0
    for chunk in stream:
        if chunk.usage:
            usage = chunk.usage
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                name = name or call.function.name
                args += call.function.arguments or ""
                pieces += 1
            finish = choice.finish_reason or finish
    assert (name, args, finish) == (expected["name"], expected["arguments"], "tool_calls")
    assert pieces > 5 and usage is not None and usage.completion_tokens == count_tokens(args)


def test_streaming_text(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(**body("drop table events"), stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text.startswith("I can't change or delete data")


def test_stream_chunks_shape() -> None:
    response = complete(body("p99 latency by service"))
    chunks = stream_chunks(response, include_usage=True)
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == response["id"] for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"] == response["usage"]
    assert all(c["usage"] is None for c in chunks[:-1])
    assert "usage" not in stream_chunks(response)[0]


def test_errors_reach_the_client_as_openai_exceptions(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="offline", messages=[{"role": "user", "content": "x"}], temperature=5
        )
    assert info.value.body["param"] == "temperature"
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-nope", messages=[{"role": "user", "content": "x"}])


def test_describe() -> None:
    assert describe() == {
        "id": "offline",
        "object": "model",
        "created": describe()["created"],
        "owned_by": "query-workbench",
    }
