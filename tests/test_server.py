"""``serve-model``: the offline model over HTTP, OpenAI-compatible, on loopback only."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import openai
import pytest
import uvicorn
from offline_prompt import body
from starlette.testclient import TestClient

from workbench.offline.server import LATENCY_HEADER, base_url, bind, create_app


@pytest.fixture(scope="module")
def app_client() -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


def _error(response: httpx.Response) -> dict:
    data = response.json()
    assert set(data) == {"error"} and set(data["error"]) == {"message", "type", "param", "code"}
    return data["error"]


def test_chat_completion(app_client: TestClient) -> None:
    r = app_client.post("/v1/chat/completions", json=body("p99 latency by service"))
    assert r.status_code == 200
    assert r.headers[LATENCY_HEADER] == "0" and r.headers["openai-processing-ms"].isdigit()
    call = r.json()["choices"][0]["message"]["tool_calls"][0]
    assert json.loads(call["function"]["arguments"])["breakdowns"] == ["service.name"]


def test_models_and_health(app_client: TestClient) -> None:
    assert app_client.get("/v1/models").json() == {
        "object": "list",
        "data": [{"id": "offline", "object": "model", "created": 1767225600, "owned_by": "query-workbench"}],
    }
    assert app_client.get("/v1/models/offline").json()["id"] == "offline"
    assert _error(app_client.get("/v1/models/gpt-4o"))["code"] == "model_not_found"
    assert app_client.get("/healthz").json()["status"] == "ok"


def test_streaming_sse(app_client: TestClient) -> None:
    with app_client.stream(
        "POST", "/v1/chat/completions", json={**body("how many errors"), "stream": True}
    ) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = [line for line in r.iter_lines() if line]
    assert all(e.startswith("data: ") for e in events) and events[-1] == "data: [DONE]"
    chunks = [json.loads(e[6:]) for e in events[:-1]]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, None),
        ({"content": b"", "headers": {"content-type": "application/json"}}, 400, None),
        (
            {"content": b"model=offline", "headers": {"content-type": "application/x-www-form-urlencoded"}},
            400,
            "invalid_content_type",
        ),
        ({"json": {"messages": [{"role": "user", "content": "hi"}]}}, 400, "missing_required_parameter"),
        ({"json": {"model": "offline", "messages": "hi"}}, 400, "invalid_type"),
        (
            {"json": {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}},
            404,
            "model_not_found",
        ),
        (
            {"json": {"model": "offline", "messages": [{"role": "user", "content": "hi"}], "n": 3}},
            400,
            "unsupported_value",
        ),
        ({"json": ["model", "offline"]}, 400, "invalid_type"),
    ],
)
def test_malformed_requests_get_openai_errors(
    app_client: TestClient, kwargs: dict, status: int, code: str | None
) -> None:
    r = app_client.post("/v1/chat/completions", **kwargs)
    assert r.status_code == status
    err = _error(r)
    assert err["type"] == "invalid_request_error" and err["code"] == code and err["message"]


def test_unknown_route_and_wrong_method(app_client: TestClient) -> None:
    r = app_client.post("/v1/completions", json={})
    assert r.status_code == 404 and _error(r)["message"] == "Invalid URL (POST /v1/completions)"
    r = app_client.get("/v1/chat/completions")
    assert (
        r.status_code == 405
        and "POST" in r.headers["allow"]
        and _error(r)["message"].startswith("Method not allowed")
    )


def test_artificial_latency_is_labelled() -> None:
    with TestClient(create_app(latency_ms=120)) as c:
        start = time.perf_counter()
        r = c.post("/v1/chat/completions", json=body("p99 latency by service"))
        assert time.perf_counter() - start >= 0.12
        assert r.headers[LATENCY_HEADER] == "120"
        assert int(r.headers["openai-processing-ms"]) < 120, (
            "the artificial delay is not reported as compute time"
        )
        assert c.get("/healthz").json()["artificial_latency_ms"] == 120


# --------------------------------------------------------------------------- a real socket


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not server.started and time.time() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    yield base_url(sock)
    server.should_exit = True
    thread.join(timeout=10)


def test_openai_client_over_http(live_url: str) -> None:
    client = openai.OpenAI(base_url=live_url, api_key="any", max_retries=0)
    assert [m.id for m in client.models.list()] == ["offline"]
    completion = client.chat.completions.create(**body("slow endpoints for android users yesterday"))
    args = json.loads(completion.choices[0].message.tool_calls[0].function.arguments)
    assert args["filters"] == [{"column": "app.platform", "op": "=", "value": "android"}]

    stream = client.chat.completions.create(**body("slow endpoints for android users yesterday"), stream=True)
    pieces = [
        call.function.arguments or ""
        for chunk in stream
        for choice in chunk.choices
        for call in choice.delta.tool_calls or []
    ]
    assert json.loads("".join(pieces)) == args and len(pieces) > 3

    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="offline", messages=[{"role": "nobody", "content": "x"}])
    assert info.value.body["param"] == "messages[0].role"


def test_fifty_concurrent_requests(live_url: str) -> None:
    questions = ["p99 latency by service", "how many 5xx on payment yesterday", "top 5 users by order value this week",
                 "error rate by region last 6 hours", "drop table events"]  # fmt: skip

    async def run() -> list:
        client = openai.AsyncOpenAI(base_url=live_url, api_key="any", max_retries=0, timeout=60)
        try:
            calls = [
                client.chat.completions.create(**body(questions[i % len(questions)], seed=i))
                for i in range(50)
            ]
            return await asyncio.gather(*calls)
        finally:
            await client.close()

    results = asyncio.run(run())
    assert len(results) == 50 and len({r.id for r in results}) == 50
    for i, r in enumerate(results):
        message = r.choices[0].message
        assert bool(message.tool_calls) == (i % len(questions) != 4)


def test_serve_model_cli_prints_the_base_url() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "serve-model", "--port", "0", "--latency-ms", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        first = proc.stdout.readline()
        latency_line = "".join(proc.stdout.readline() for _ in range(2))
        assert "offline model serving at http://127.0.0.1:" in first
        assert "ARTIFICIAL LATENCY: +5 ms" in latency_line
        url = first.split("serving at ", 1)[1].split()[0]
        deadline = time.time() + 15
        while True:
            try:
                health = httpx.get(url.removesuffix("/v1") + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.time() < deadline, "server did not answer"
                time.sleep(0.1)
        assert health.json()["artificial_latency_ms"] == 5
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_serve_model_rejects_a_negative_latency() -> None:
    from workbench.cli import main

    assert main(["serve-model", "--latency-ms", "-1"]) == 2
