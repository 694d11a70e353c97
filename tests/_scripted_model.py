"""A scripted chat model for eval orchestration tests: answers each question with the spec a test chose.

It is served in process behind the real ``openai`` client (``transport.offline_transport``), like the
offline model, so evaluations go through the runner, the client, the output mode and validation.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from workbench.llm.backends import IN_PROCESS_URL, Backend, _default_http
from workbench.llm.transport import offline_transport

Answer = dict[str, Any] | str | None  # a spec, "FAIL" (HTTP 400), "TEXT" (no tool call), or None (no answer)


class BadRequest(Exception):
    def __init__(self, status: int, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param = status, message, param


def question_of(body: dict[str, Any]) -> str:
    """The question of a rendered request (the user message's ``## Question`` section)."""
    for m in body["messages"]:
        if m["role"] == "user" and "## Question\n" in (m.get("content") or ""):
            return m["content"].split("## Question\n", 1)[1].strip()
    raise AssertionError("no question in the request")


class ScriptedModel:
    """``answer(question, body) -> Answer`` decides; repair turns (a ``tool`` message) ask ``repair``."""

    BadRequest = BadRequest

    def __init__(self, answer: Callable[[str, dict[str, Any]], Answer],
                 repair: Callable[[str, dict[str, Any]], Answer] | None = None) -> None:  # fmt: skip
        self.answer, self.repair = answer, repair
        self.history: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.history.append(body)
        question = question_of(body)
        is_repair = any(m["role"] in ("tool",) or (m["role"] == "user" and "rejected by the validator" in
                        (m.get("content") or "")) for m in body["messages"])  # fmt: skip
        spec = (self.repair if is_repair and self.repair else self.answer)(question, body)
        if spec == "FAIL":
            raise BadRequest(400, "scripted failure")
        message: dict[str, Any] = {"role": "assistant", "content": None}
        if spec == "TEXT" or spec is None:
            message["content"] = "I cannot answer that with a query."
            finish = "stop"
        else:
            args = spec if isinstance(spec, str) else json.dumps(spec)
            message["tool_calls"] = [{"id": "call_1", "type": "function",
                                      "function": {"name": "run_query", "arguments": args}}]  # fmt: skip
            finish = "tool_calls"
        return {
            "id": "chatcmpl-scripted", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 50, "total_tokens": 1050},
        }  # fmt: skip

    def backend(self, *, free: bool = True) -> Backend:
        http = _default_http()
        return Backend("scripted", base_url=IN_PROCESS_URL, http=http, free=free,
                       transport=lambda asynchronous: offline_transport(http, asynchronous, self))  # fmt: skip
