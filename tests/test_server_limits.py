"""serve-model's limits: body size, idle and partial connections, and JSON bodies for every failure."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.testclient import TestClient

from workbench.offline import server
from workbench.offline.server import bind, create_app, guarded_protocol

MESSAGES = [{"role": "user", "content": "errors by service"}]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(), raise_server_exceptions=False) as c:
        yield c


def _json_error(response) -> dict:
    assert response.headers["content-type"].startswith("application/json"), response.text[:200]
    return response.json()["error"]


@pytest.mark.parametrize(
    "content",
    [
        "[" * 100_000 + "]" * 100_000,  # nested past the parser's recursion limit
        json.dumps({"model": "offline", "messages": MESSAGES, "stream": True, "stream_options": [1]}),
        json.dumps({"model": "offline", "messages": MESSAGES, "stream": True, "stream_options": "x"}),
    ],
    ids=["deep", "stream_options-list", "stream_options-text"],
)
def test_odd_bodies_get_json_answers(client: TestClient, content: str) -> None:
    r = client.post("/v1/chat/completions", content=content, headers={"content-type": "application/json"})
    assert r.status_code in (200, 400)
    if r.status_code == 400:
        assert _json_error(r)["message"]


def test_an_unexpected_failure_is_a_json_500(client: TestClient, monkeypatch) -> None:
    def boom(*_a, **_k):
        raise RuntimeError("bug")

    monkeypatch.setattr(server, "stream_chunks", boom)
    body = {"model": "offline", "messages": MESSAGES, "stream": True}
    r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == 500 and _json_error(r)["type"] == "server_error"


def test_a_body_over_the_limit_is_refused(client: TestClient) -> None:
    big = json.dumps(
        {"model": "offline", "messages": [{"role": "user", "content": "x" * server.MAX_BODY_BYTES}]}
    )
    r = client.post("/v1/chat/completions", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and _json_error(r)["code"] == "request_too_large"

    def chunks() -> Iterator[bytes]:  # no content-length: the cap holds while the body streams in
        for _ in range(server.MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    r = client.post("/v1/chat/completions", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and _json_error(r)["code"] == "request_too_large"


@pytest.fixture
def live(monkeypatch) -> Iterator[tuple[str, int]]:
    monkeypatch.setattr(server, "HEADER_TIMEOUT_S", 0.5)
    monkeypatch.setattr(server, "BODY_TIMEOUT_S", 0.5)
    sock = bind("127.0.0.1", 0)
    config = uvicorn.Config(create_app(), log_level="critical", access_log=False, http=guarded_protocol())
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not srv.started and time.time() < deadline:
        time.sleep(0.02)
    yield sock.getsockname()[:2]
    srv.should_exit = True
    thread.join(timeout=10)


def _read_all(conn: socket.socket, timeout: float = 5.0) -> bytes:
    conn.settimeout(timeout)
    data = b""
    while True:
        part = conn.recv(65536)
        if not part:
            return data
        data += part


@pytest.mark.parametrize("sent", [b"", b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-ty"])
def test_idle_and_partial_connections_are_closed(live: tuple[str, int], sent: bytes) -> None:
    start = time.monotonic()
    with socket.create_connection(live) as conn:
        conn.sendall(sent)
        reply = _read_all(conn)
    assert time.monotonic() - start < 4
    assert reply.startswith(b"HTTP/1.1 408") and b'"code": "timeout"' in reply


def _read_response(conn: socket.socket, timeout: float = 10.0) -> bytes:
    """One whole HTTP response (headers and its Content-Length body), whether or not the server closes."""
    conn.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _content_length(data):
        part = conn.recv(65536)
        if not part:
            break
        data += part
    return data


def _content_length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    return 0


def test_a_partial_body_times_out_with_json(live: tuple[str, int]) -> None:
    head = (
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b'content-length: 1000\r\n\r\n{"model": '
    )
    with socket.create_connection(live) as conn:
        conn.sendall(head)
        reply = _read_response(conn)
    assert b" 408 " in reply.split(b"\r\n", 1)[0]
    assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "timeout"
