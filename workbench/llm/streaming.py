"""Streaming in the chat.completions wire format: a full answer as chunks, chunks back into an answer.

``to_chunks`` turns a ``chat.completion`` body into the ``chat.completion.chunk``
sequence a server streams for it (a role chunk, content or tool-call argument
pieces, a finish chunk, and a usage-only chunk when ``stream_options.include_usage``
asks for one); ``sse_events`` frames them as server-sent events ending in
``data: [DONE]``. ``assemble`` is the inverse the client uses: it folds the chunks it
received back into one ``chat.completion`` dict, so every output mode parses a
streamed answer exactly like a plain one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["assemble", "has_token", "sse_events", "to_chunks"]

#: characters per content / argument piece when an answer is cut into chunks
PIECE = 24


def _pieces(text: str, size: int = PIECE) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def to_chunks(completion: dict[str, Any], *, include_usage: bool = False) -> list[dict[str, Any]]:
    """The chunk sequence a server would stream for ``completion`` (first choice only, like ``n=1``)."""
    head = {k: completion[k] for k in ("id", "created", "model", "system_fingerprint") if k in completion}
    head["object"] = "chat.completion.chunk"

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        out = {
            **head,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
        }
        if include_usage:
            out["usage"] = None
        return out

    choice = (completion.get("choices") or [{}])[0]
    message = choice.get("message") or {}
    chunks = [
        chunk(
            {
                "role": "assistant",
                "content": "" if message.get("content") is not None else None,
                "refusal": None,
            }
        )
    ]
    if message.get("refusal"):
        chunks += [chunk({"refusal": piece}) for piece in _pieces(message["refusal"])]
    if message.get("content"):
        chunks += [chunk({"content": piece}) for piece in _pieces(message["content"])]
    for index, call in enumerate(message.get("tool_calls") or []):
        function = call.get("function") or {}
        first = {
            "index": index,
            "id": call.get("id"),
            "type": call.get("type", "function"),
            "function": {"name": function.get("name"), "arguments": ""},
        }
        chunks.append(chunk({"tool_calls": [first]}))
        for piece in _pieces(function.get("arguments") or ""):
            chunks.append(chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
    chunks.append(chunk({}, choice.get("finish_reason") or "stop"))
    if include_usage:
        chunks.append({**head, "choices": [], "usage": completion.get("usage")})
    return chunks


def sse_events(chunks: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """Server-sent event frames for ``chunks``, then ``data: [DONE]``."""
    for chunk in chunks:
        yield b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"
    yield b"data: [DONE]\n\n"


def has_token(chunk: dict[str, Any]) -> bool:
    """Whether a chunk carries generated text (content, refusal or tool-call name/arguments)."""
    for choice in chunk.get("choices") or ():
        delta = choice.get("delta") or {}
        if delta.get("content") or delta.get("refusal"):
            return True
        for call in delta.get("tool_calls") or ():
            function = call.get("function") or {}
            if function.get("arguments") or function.get("name"):
                return True
    return False


def assemble(chunks: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Fold streamed ``chat.completion.chunk`` dicts into one ``chat.completion`` dict."""
    out: dict[str, Any] = {"object": "chat.completion"}
    choices: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for key in ("id", "created", "model", "system_fingerprint", "service_tier"):
            if chunk.get(key) is not None:
                out[key] = chunk[key]
        if chunk.get("usage"):
            out["usage"] = chunk["usage"]
        for choice in chunk.get("choices") or ():
            state = choices.setdefault(
                choice.get("index", 0), {"message": {"role": "assistant"}, "calls": {}}
            )
            message, delta = state["message"], choice.get("delta") or {}
            for key in ("content", "refusal"):
                if delta.get(key) is not None:
                    message[key] = (message.get(key) or "") + delta[key]
            for call in delta.get("tool_calls") or ():
                slot = state["calls"].setdefault(
                    call.get("index", 0), {"function": {"name": "", "arguments": ""}}
                )
                if call.get("id"):
                    slot["id"] = call["id"]
                if call.get("type"):
                    slot["type"] = call["type"]
                function = call.get("function") or {}
                slot["function"]["name"] += function.get("name") or ""
                slot["function"]["arguments"] += function.get("arguments") or ""
            if choice.get("finish_reason"):
                state["finish_reason"] = choice["finish_reason"]
    out["choices"] = []
    for index in sorted(choices):
        state = choices[index]
        message = {"role": "assistant", "content": None, "refusal": None, **state["message"]}
        if state["calls"]:
            message["tool_calls"] = [
                {"id": c.get("id"), "type": c.get("type", "function"), "function": c["function"]}
                for _, c in sorted(state["calls"].items())
            ]
        out["choices"].append(
            {
                "index": index,
                "message": message,
                "logprobs": None,
                "finish_reason": state.get("finish_reason"),
            }
        )
    out.setdefault("usage", None)
    return out
