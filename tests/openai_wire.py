"""Test helpers: recorded OpenAI wire bodies (tests/fixtures/openai) served to the real openai client.

``FakeEndpoint`` is a queue-backed fake server for httpx's ``MockTransport``: enqueue
replies (fixture names, fixture dicts, exception classes such as ``httpx.ReadTimeout``,
or callables), then inspect ``history`` (the request bodies it received) and
``max_in_flight``. It works with either httpx flavour (``httpx`` or ``httpx2``).
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from pathlib import Path
from types import ModuleType
from typing import Any

from workbench.llm.backends import Backend

FIXTURES = Path(__file__).parent / "fixtures" / "openai"


def load(name: str) -> dict[str, Any]:
    """A fixture document: ``{"status", "headers", "body"}`` or ``{"status", "headers", "events"}``."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def body(name: str) -> dict[str, Any]:
    return load(name)["body"]


def sse(events: list[Any]) -> bytes:
    """Server-sent event frames as the API sends them (``data: {...}`` and ``data: [DONE]``)."""
    frames = [
        f"data: {e if isinstance(e, str) else json.dumps(e, separators=(',', ':'))}\n\n" for e in events
    ]
    return "".join(frames).encode()


def to_response(http: ModuleType, doc: dict[str, Any]) -> Any:
    if "events" in doc:
        return http.Response(doc["status"], headers=doc["headers"], content=sse(doc["events"]))
    return http.Response(doc["status"], headers=doc["headers"], json=doc["body"])


class FakeEndpoint:
    """A fake chat.completions server: replies in order (then ``default``), with a request history."""

    def __init__(
        self,
        http: ModuleType,
        *replies: Any,
        default: Any = None,
        delay_s: float = 0.0,
        asynchronous: bool = False,
    ) -> None:
        self.http = http
        self.replies: deque[Any] = deque(replies)
        self.default = default
        self.delay_s = delay_s
        self.asynchronous = asynchronous or delay_s > 0
        self.history: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def enqueue(self, *replies: Any) -> None:
        self.replies.extend(replies)

    def backend(self, *, name: str = "fake", free: bool = False, api_key: str | None = None) -> Backend:
        return Backend(
            name,
            base_url="http://fake.invalid/v1",
            api_key=api_key,
            free=free,
            http=self.http,
            transport=lambda _asynchronous: self.http.MockTransport(self),
        )

    def _reply(self, request: Any) -> Any:
        reply = self.replies.popleft() if self.replies else self.default
        if reply is None:
            raise AssertionError("FakeEndpoint: no reply left for this request")
        if isinstance(reply, type) and issubclass(reply, BaseException):
            raise reply("simulated", request=request)
        if isinstance(reply, BaseException):
            raise reply
        if callable(reply):
            reply = reply(request)
        if isinstance(reply, str):
            reply = load(reply)
        if isinstance(reply, dict):
            return to_response(self.http, reply)
        return reply

    def __call__(self, request: Any) -> Any:
        self.history.append(json.loads(request.content) if request.content else {})
        self.headers.append(dict(request.headers))
        if self.asynchronous:
            return self._areply(request)
        return self._reply(request)

    async def _areply(self, request: Any) -> Any:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            reply = self._reply(request)
            if asyncio.iscoroutine(reply):
                reply = await reply
            return reply
        finally:
            self.in_flight -= 1
