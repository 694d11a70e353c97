"""The real openai client on httpx transports, with recorded OpenAI wire bodies; backends; request hashing."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import types

import httpx
import httpx2
import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai_wire import FIXTURES, FakeEndpoint, body, load

from workbench.core.errors import ConfigError, WorkbenchError
from workbench.core.prices import cost_usd
from workbench.llm import backends
from workbench.llm.backends import Backend, backend_for, get_backend, in_process_backend
from workbench.llm.client import (
    CallFailure,
    ModelCall,
    _create_kwargs,
    _post_kwargs,
    acall_model,
    call_model,
    request_hash,
    send,
)
from workbench.llm.failures import retry_after_seconds
from workbench.llm.modes import get_mode
from workbench.llm.streaming import assemble, to_chunks

REQUEST = {
    "model": "gpt-4.1-mini",
    "messages": [
        {"role": "system", "content": "You write queries."},
        {"role": "user", "content": "errors by service"},
    ],
    "tools": get_mode("tool_call").request_fields({"type": "object", "properties": {}})["tools"],
    "tool_choice": "auto",
    "temperature": 0,
    "seed": 7,
}
SECRET = "sk-proj-test-DO-NOT-LEAK-0123456789abcdef"


@pytest.fixture(params=[httpx2, httpx], ids=["httpx2", "httpx"])
def http(request: pytest.FixtureRequest):
    """openai 3.x is built on httpx2 and accepts legacy httpx clients: test both."""
    return request.param


# --------------------------------------------------------------------------- fixtures are real wire format


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_fixtures_are_openai_wire_format(path) -> None:
    doc = json.loads(path.read_text())
    if "events" in doc:
        assert doc["events"][-1] == "[DONE]"
        for event in doc["events"][:-1]:
            ChatCompletionChunk.model_validate(event)
    elif doc["status"] == 200:
        if doc["body"]["choices"][0]["finish_reason"] is not None:
            ChatCompletion.model_validate(doc["body"])
    else:
        assert set(doc["body"]) == {"error"}
        assert set(doc["body"]["error"]) == {"message", "type", "param", "code"}


# --------------------------------------------------------------------------- answers


def test_tool_call_through_the_real_client(http) -> None:
    endpoint = FakeEndpoint(http, "tool_call")
    call = call_model(REQUEST, backend=endpoint.backend())
    assert call.error is None and call.ok
    assert call.response == body("tool_call")
    assert (call.prompt_tokens, call.cached_tokens, call.completion_tokens) == (1873, 1536, 74)
    assert call.usage_estimated is False
    assert call.ttft_ms is None and call.attempts == 1 and call.cache_hit is False
    assert call.latency_ms > 0 and call.started_at.endswith("Z")
    assert call.request_hash == request_hash(REQUEST, 0)
    assert call.model == "gpt-4.1-mini"
    assert get_mode("tool_call").parse(call.response).ok


def test_the_body_goes_on_the_wire_unchanged(http) -> None:
    endpoint = FakeEndpoint(http, "tool_call")
    request = {**REQUEST, "top_k": 20, "response_format": None}  # a vLLM parameter, and an explicit null
    call_model(request, backend=endpoint.backend())
    assert endpoint.history == [request]


def test_the_sdk_transform_is_the_identity_on_rendered_bodies() -> None:
    """Why the body may travel in extra_body: the SDK's own param transform would not change it."""
    from openai._utils import async_maybe_transform
    from openai.types.chat import completion_create_params

    for mode in ("tool_call", "json_schema", "plain_json"):
        request = {**REQUEST, **get_mode(mode).request_fields({"type": "object", "properties": {}})}
        if mode != "tool_call":
            request.pop("tools"), request.pop("tool_choice")
        out = asyncio.run(
            async_maybe_transform(request, completion_create_params.CompletionCreateParamsNonStreaming)
        )
        assert out == request
    assert _create_kwargs(REQUEST, False, 5.0)["extra_body"] == REQUEST
    assert _post_kwargs(REQUEST, 5.0)["body"] == REQUEST


def test_structured_output(http) -> None:
    endpoint = FakeEndpoint(http, "structured_output")
    call = call_model({**REQUEST, "response_format": {"type": "json_schema"}}, backend=endpoint.backend())
    assert get_mode("json_schema").parse(call.response).spec["limit"] == 10
    assert call.cached_tokens == 1920


@pytest.mark.parametrize("fixture", ["refusal", "plain_text", "length", "wrong_function"])
def test_malformed_answers_are_answers_not_errors(http, fixture: str) -> None:
    call = call_model(REQUEST, backend=FakeEndpoint(http, fixture).backend())
    assert call.error is None
    assert call.response == body(fixture)
    assert get_mode("tool_call").parse(call.response).spec is None


def test_async_call(http) -> None:
    endpoint = FakeEndpoint(http, "tool_call", asynchronous=True)
    call = asyncio.run(acall_model(REQUEST, backend=endpoint.backend(), trial=3))
    assert call.response == body("tool_call")
    assert call.trial == 3 and call.request_hash == request_hash(REQUEST, 3)


def test_missing_usage_is_estimated_and_flagged(http) -> None:
    call = call_model({**REQUEST, "model": "gpt-4o-mini"}, backend=FakeEndpoint(http, "no_usage").backend())
    assert call.usage_estimated is True
    assert call.prompt_tokens > 20 and call.completion_tokens > 20 and call.cached_tokens == 0


def test_cost_is_priced_and_zero_for_free_backends(http) -> None:
    priced = call_model(REQUEST, backend=FakeEndpoint(http, "tool_call").backend())
    free = call_model(REQUEST, backend=FakeEndpoint(http, "tool_call").backend(free=True))
    unknown = call_model(
        {**REQUEST, "model": "no-such-model-xyz"}, backend=FakeEndpoint(http, "tool_call").backend()
    )
    assert free.cost_usd == 0.0
    assert unknown.cost_usd is None
    assert priced.cost_usd == pytest.approx(cost_usd("gpt-4.1-mini", 1873, 74, 1536))
    assert priced.cost_usd > 0


# --------------------------------------------------------------------------- streaming


@pytest.mark.parametrize(
    ("fixture", "mode"), [("stream_tool_call", "tool_call"), ("stream_content", "json_schema")]
)
def test_streaming_chunks(http, fixture: str, mode: str) -> None:
    endpoint = FakeEndpoint(http, fixture)
    call = call_model(REQUEST, backend=endpoint.backend(), stream=True)
    assert call.error is None
    assert endpoint.history[0]["stream"] is True
    assert endpoint.history[0]["stream_options"] == {"include_usage": True}
    assert call.ttft_ms is not None and 0 < call.ttft_ms <= call.latency_ms
    assert call.usage_estimated is False and call.prompt_tokens in (1873, 2011)
    outcome = get_mode(mode).parse(call.response)
    assert outcome.ok
    streamed = json.dumps(outcome.spec, sort_keys=True)
    plain = "tool_call" if mode == "tool_call" else "structured_output"
    assert streamed == json.dumps(get_mode(mode).parse(body(plain)).spec, sort_keys=True)


def test_streaming_async(http) -> None:
    endpoint = FakeEndpoint(http, "stream_tool_call", asynchronous=True)
    call = asyncio.run(acall_model(REQUEST, backend=endpoint.backend(), stream=True))
    assert call.ttft_ms is not None
    assert call.response["choices"][0]["finish_reason"] == "tool_calls"
    assert call.response["usage"]["prompt_tokens"] == 1873


def test_chunks_round_trip() -> None:
    for name in ("tool_call", "structured_output", "refusal", "multiple_tool_calls"):
        completion = body(name)
        back = assemble(to_chunks(completion, include_usage=True))
        original = completion["choices"][0]
        assert back["choices"][0]["finish_reason"] == original["finish_reason"]
        for key in ("content", "refusal", "tool_calls"):
            assert back["choices"][0]["message"].get(key) == original["message"].get(key)
        assert back["usage"] == completion["usage"] and back["id"] == completion["id"]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("fixture", "status", "retryable", "retry_after"),
    [
        ("error_400", 400, False, None),
        ("error_401", 401, False, None),
        ("error_429", 429, True, 0.01),
        ("error_429_quota", 429, False, None),
        ("error_500", 500, True, None),
        ("error_503", 503, True, None),
    ],
)
def test_http_errors(http, fixture: str, status: int, retryable: bool, retry_after: float | None) -> None:
    endpoint = FakeEndpoint(http, fixture, fixture)
    with pytest.raises(CallFailure) as caught:
        send(REQUEST, backend=endpoint.backend())
    failure = caught.value
    assert (
        failure.status == status and failure.retryable is retryable and failure.retry_after_s == retry_after
    )
    error = load(fixture)["body"]["error"]
    assert failure.message.startswith(f"HTTP {status} {error['code'] or error['type']}: ")
    assert error["message"] in failure.message
    call = call_model(REQUEST, backend=endpoint.backend())  # the record form: no raise
    assert call.error == failure.message and call.response is None and call.prompt_tokens is None
    assert len(endpoint.history) == 2  # max_retries=0: the client itself never retries


@pytest.mark.parametrize(
    ("fixture", "fix"),
    [("error_400", "output_mode"), ("error_401", "API key"), ("error_429", "concurrency"),
     ("error_429_quota", "quota"), ("error_500", "retry")],
)  # fmt: skip
def test_a_failed_call_finding_says_what_to_do(http, fixture: str, fix: str) -> None:
    from workbench.pipeline.judge import judge

    call = call_model(REQUEST, backend=FakeEndpoint(http, fixture, fixture).backend())
    (finding,) = judge(call, "tool_call", None).findings
    assert finding.code == "model_call_failed" and fix in finding.suggestion


def test_400_names_the_param(http) -> None:
    with pytest.raises(CallFailure, match=r"\(param: tools\[0\]\.function\.parameters\)"):
        send(REQUEST, backend=FakeEndpoint(http, "error_400").backend())


@pytest.mark.parametrize("exc", ["ReadTimeout", "ConnectTimeout", "ConnectError", "RemoteProtocolError"])
def test_transport_failures_are_retryable(http, exc: str) -> None:
    endpoint = FakeEndpoint(http, getattr(http, exc))
    with pytest.raises(CallFailure) as caught:
        send(REQUEST, backend=endpoint.backend(), timeout_s=1.5)
    assert caught.value.retryable and caught.value.status is None
    expected = "timeout: no answer within 1.5 s" if "Timeout" in exc else "connection error"
    assert caught.value.message.startswith(expected)


def test_async_timeout_bounds_the_whole_attempt(http) -> None:
    async def slow(_request):
        await asyncio.sleep(5)

    endpoint = FakeEndpoint(http, slow, asynchronous=True)
    call = asyncio.run(acall_model(REQUEST, backend=endpoint.backend(), timeout_s=0.05))
    assert call.error == "timeout: no answer within 0.05 s"
    assert call.latency_ms < 2000


def test_x_should_retry_header_wins(http) -> None:
    doc = {**load("error_500"), "headers": {"x-should-retry": "false"}}
    with pytest.raises(CallFailure) as caught:
        send(REQUEST, backend=FakeEndpoint(http, doc).backend())
    assert caught.value.retryable is False


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after-ms": "250"}, 0.25),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after-ms": "40", "retry-after": "1"}, 0.04),
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_seconds(headers: dict, seconds: float | None) -> None:
    assert retry_after_seconds(httpx.Headers(headers)) == seconds


# --------------------------------------------------------------------------- backends and keys


def test_missing_key_is_a_one_line_error() -> None:
    with pytest.raises(ConfigError) as caught:
        get_backend("gpt-4.1-mini")
    assert str(caught.value) == (
        "OPENAI_API_KEY is not set (export it, or set api_key_env / base_url in the variant, or use --model offline)"
    )
    assert isinstance(caught.value, WorkbenchError) and "\n" not in str(caught.value)


def test_named_key_variable_must_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)  # present, but the variant asked for another one
    with pytest.raises(ConfigError, match=r"^MY_LLM_KEY is not set"):
        get_backend("gpt-4.1-mini", api_key_env="MY_LLM_KEY")
    monkeypatch.setenv("MY_LLM_KEY", SECRET)
    assert get_backend("gpt-4.1-mini", api_key_env="MY_LLM_KEY").name == "openai"


def test_base_url_needs_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = get_backend("llama3", base_url="http://127.0.0.1:11434/v1")
    assert backend.name == "openai" and backend.base_url == "http://127.0.0.1:11434/v1"
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    assert get_backend("some-model").base_url == "http://127.0.0.1:8000/v1"
    # a base_url sends even "offline" to a server (e.g. workbench serve-model)
    assert get_backend("offline", base_url="http://127.0.0.1:8008/v1").name == "openai"


def test_openai_backend_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    backend = get_backend("gpt-4.1-mini", timeout_s=12.0)
    assert backend.base_url == "https://api.openai.com/v1" and backend.free is False
    client = backend.client()
    assert client.max_retries == 0 and client.timeout == 12.0
    assert client is backend.client()

    async def build():
        return backend.async_client()

    aclient = asyncio.run(build())
    assert aclient.max_retries == 0 and aclient.timeout == 12.0


def test_backend_for_a_variant(monkeypatch: pytest.MonkeyPatch) -> None:
    variant = types.SimpleNamespace(model="gpt-4.1-mini", base_url=None, api_key_env="TEAM_KEY")
    monkeypatch.setenv("TEAM_KEY", SECRET)
    assert backend_for(variant).name == "openai"
    assert (
        backend_for(types.SimpleNamespace(model="offline", base_url=None, api_key_env=None)).name == "offline"
    )


def test_the_key_never_leaks(
    http, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    caplog.set_level("DEBUG")
    assert SECRET not in repr(get_backend("gpt-4.1-mini"))

    def echo_key(request):  # a hostile or careless server that echoes the key back
        key = request.headers["authorization"].removeprefix("Bearer ")
        return http.Response(
            401,
            json={
                "error": {
                    "message": f"Incorrect API key provided: {key}.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            },
        )

    endpoint = FakeEndpoint(http, "tool_call", echo_key)
    backend = Backend(
        "openai",
        base_url="http://fake.invalid/v1",
        api_key=SECRET,
        http=http,
        transport=lambda _a: http.MockTransport(endpoint),
    )
    ok = call_model(REQUEST, backend=backend)
    failed = call_model(REQUEST, backend=backend)
    assert endpoint.headers[0]["authorization"] == f"Bearer {SECRET}"  # it was sent...
    assert failed.error is not None and "***" in failed.error
    for text in (repr(backend), str(vars(backend)), ok.to_json(), repr(ok), failed.to_json(), repr(failed)):
        assert SECRET not in text  # ...and is nowhere else
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err
    assert SECRET not in caplog.text


def test_model_call_json_round_trip() -> None:
    call = ModelCall(
        request_hash="ab" * 32,
        model="gpt-4.1-mini",
        response=body("tool_call"),
        latency_ms=812.5,
        ttft_ms=201.0,
        prompt_tokens=1873,
        cached_tokens=1536,
        completion_tokens=74,
        usage_estimated=False,
        cost_usd=0.00041,
        cache_hit=False,
        attempts=2,
        error=None,
        started_at="2026-11-20T12:00:00.000Z",
        trial=1,
    )
    assert ModelCall.from_json(call.to_json()) == call
    assert ModelCall.from_dict(json.loads(call.to_json())) == call
    with pytest.raises(AttributeError):
        call.latency_ms = 1.0  # type: ignore[misc]


# --------------------------------------------------------------------------- request hash


def test_request_hash_ignores_key_order_and_number_spelling() -> None:
    shuffled = dict(reversed(list(REQUEST.items())))
    shuffled["messages"] = [dict(reversed(list(m.items()))) for m in REQUEST["messages"]]
    assert request_hash(shuffled) == request_hash(REQUEST)
    assert request_hash({**REQUEST, "temperature": 0.0}) == request_hash(REQUEST)
    assert re.fullmatch(r"[0-9a-f]{64}", request_hash(REQUEST))  # a sha256 in lowercase hex


def test_request_hash_trial_matters() -> None:
    assert request_hash(REQUEST, 0) != request_hash(REQUEST, 1)
    assert request_hash(REQUEST, 1) == request_hash(REQUEST, 1)


@pytest.mark.parametrize(
    "change",
    [
        {"model": "gpt-4.1"},
        {"temperature": 0.7},
        {"seed": 8},
        {"max_tokens": 100},
        {"top_p": 0.9},
        {"tool_choice": "required"},
        {"tools": []},
        {"response_format": {"type": "json_object"}},
        {"messages": [{"role": "user", "content": "errors by route"}]},
    ],
)
def test_request_hash_sees_every_parameter(change: dict) -> None:
    assert request_hash({**REQUEST, **change}) != request_hash(REQUEST)


def test_request_hash_ignores_transport_and_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    before = request_hash(REQUEST)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    assert request_hash(REQUEST) == before
    same = {
        **REQUEST,
        "stream": True,
        "stream_options": {"include_usage": True},
        "timeout": 3,
        "api_key": SECRET,
        "extra_headers": {"Authorization": f"Bearer {SECRET}"},
        "seed": 7,
        "max_tokens": None,
    }
    assert request_hash(same) == before


# --------------------------------------------------------------------------- the offline backend, in process


class _BadRequest(Exception):
    def __init__(self, status: int, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param = status, message, param


def _fake_offline_model() -> types.SimpleNamespace:
    seen: list[dict] = []

    def complete(request: dict) -> dict:
        seen.append(request)
        if not request.get("messages"):
            raise _BadRequest(400, "'messages' must be a non-empty array.", "messages")
        return {
            **body("tool_call"),
            "model": "offline",
            "usage": {"prompt_tokens": 99, "completion_tokens": 9, "total_tokens": 108},
        }

    return types.SimpleNamespace(complete=complete, BadRequest=_BadRequest, seen=seen)


@pytest.fixture
def fake_offline(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """Stand in for ``workbench.offline`` (the lazy import finds it in sys.modules)."""
    import workbench

    model = _fake_offline_model()
    monkeypatch.setitem(sys.modules, "workbench.offline", model)
    monkeypatch.setattr(workbench, "offline", model, raising=False)
    monkeypatch.setattr(backends, "_offline", {})
    return model


def test_offline_backend_runs_in_process(fake_offline) -> None:
    backend = get_backend("offline")
    assert backend.name == "offline" and backend.free and backend is get_backend("offline")
    request = {**REQUEST, "model": "offline"}
    call = call_model(request, backend=backend)
    assert call.error is None and call.cost_usd == 0.0
    assert (call.prompt_tokens, call.completion_tokens) == (99, 9)
    assert fake_offline.seen == [request]  # the model sees exactly the request body
    streamed = call_model(request, backend=backend, stream=True)
    assert fake_offline.seen[-1] == {**request, "stream": True, "stream_options": {"include_usage": True}}
    assert (
        streamed.response["choices"][0]["message"]["tool_calls"]
        == call.response["choices"][0]["message"]["tool_calls"]
    )
    assert streamed.ttft_ms is not None and streamed.prompt_tokens == 99
    async_call = asyncio.run(acall_model(request, backend=backend, stream=True))
    assert async_call.response["choices"] == streamed.response["choices"]


def test_offline_bad_request_becomes_an_openai_error(fake_offline) -> None:
    backend = get_backend("offline")
    with pytest.raises(CallFailure) as caught:
        send({"model": "offline", "messages": []}, backend=backend)
    assert caught.value.status == 400 and not caught.value.retryable
    assert caught.value.message == (
        "HTTP 400 invalid_request_error: 'messages' must be a non-empty array. (param: messages)"
    )
    client = backend.client()  # the error body itself is OpenAI-shaped
    with pytest.raises(openai.BadRequestError) as raw:
        client.chat.completions.create(model="offline", messages=[])
    assert raw.value.body == {
        "message": "'messages' must be a non-empty array.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": None,
    }


def test_offline_endpoint_routes(http) -> None:
    model = _fake_offline_model()
    backend = in_process_backend(model, http=http)
    client = backend.client()
    assert [m.id for m in client.models.list()] == ["offline"]
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="offline", input="x")
    raw = client._client.post(backend.base_url + "/chat/completions", content=b"{not json")
    assert raw.status_code == 400 and raw.json()["error"]["type"] == "invalid_request_error"


def test_offline_is_imported_lazily() -> None:
    code = (
        "import sys, workbench.llm.client, workbench.llm.backends, workbench.llm.runner, workbench.llm.modes, workbench.llm.cache;"
        "from workbench.llm.backends import get_backend; get_backend('offline');"
        "print('workbench.offline' in sys.modules, 'openai' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [
        "False",
        "False",
    ]  # neither the offline model nor the openai SDK loads until a call is made


def test_a_backend_from_any_handler(http) -> None:
    seen = []

    def handler(request):
        seen.append(json.loads(request.content))
        return http.Response(200, json=body("structured_output"))

    backend = Backend.from_handler(handler, http=http, name="mine", free=True)
    call = call_model(REQUEST, backend=backend)
    assert call.ok and call.cost_usd == 0.0 and seen == [REQUEST]
    assert repr(backend) == "<Backend mine http://offline.invalid/v1>"


@pytest.mark.parametrize("asynchronous", [False, True])
def test_an_in_process_model_loads_before_the_first_calls_clock_starts(http, asynchronous) -> None:
    import time

    loads = []

    def handler(request):
        return http.Response(200, json=body("structured_output"))

    backend = Backend.from_handler(handler, http=http, name="slow-load", free=True)
    backend.warm_up = lambda: (time.sleep(0.4), loads.append(1))
    first = (
        asyncio.run(acall_model(REQUEST, backend=backend))
        if asynchronous
        else call_model(REQUEST, backend=backend)
    )
    second = call_model(REQUEST, backend=backend)
    assert first.ok and second.ok and loads == [1]  # loaded once, before timing
    assert first.latency_ms < 300, first.latency_ms


def test_the_offline_backend_warms_its_model_once() -> None:
    backend = backends.offline_backend(timeout_s=59.0)
    assert backend.warm_up is not None  # nothing loaded until the first call ...
    call_model(REQUEST, backend=backend)
    assert backend.warm_up is None  # ... which loaded it before its clock started
