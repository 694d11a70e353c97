"""The chat.completion wire format: the answer as a tool call, JSON content, a refusal or text.

``build_response`` follows OpenAI's response body field by field; strict
schemas get every required field (``null`` / ``[]`` where unused), as
strict-mode models send them. ``max_tokens`` cuts the output at the token
limit with ``finish_reason: "length"``. ``stream_chunks`` splits a response
into ``chat.completion.chunk`` objects as a streaming server sends them.
"""

from __future__ import annotations

import json
import secrets
import string
import time
from typing import Any

from workbench.core.encodings import get_encoding
from workbench.core.tokens import count_request, count_tokens, encoding_name_for_model
from workbench.offline.model import Answer
from workbench.offline.request import PromptView

SYSTEM_FINGERPRINT = "fp_offline_1"
_ALNUM = string.ascii_letters + string.digits


def _id(prefix: str, n: int) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(n))


def conform(value: Any, schema: dict[str, Any] | None) -> Any:
    """``value`` shaped by a JSON schema: property order, required fields filled, extras dropped."""
    if not isinstance(schema, dict):
        return value
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        kind = "object" if isinstance(value, dict) else "array" if isinstance(value, list) else None
        for b in branches:
            if isinstance(b, dict) and b.get("type") == kind:
                return conform(value, b)
        return value
    if isinstance(value, dict) and isinstance(schema.get("properties"), dict):
        props = schema["properties"]
        loose = schema.get("loose", False)
        required = set(schema.get("required") or ())
        out: dict[str, Any] = {}
        for key, sub in props.items():
            if key in value:
                out[key] = conform(value[key], sub)
            elif key in required and not loose:
                out[key] = _empty(sub)
        if schema.get("additionalProperties", True) is not False:
            out.update({k: v for k, v in value.items() if k not in props})
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [conform(v, schema["items"]) for v in value]
    return value


def _empty(schema: Any) -> Any:
    kind = schema.get("type") if isinstance(schema, dict) else None
    kinds = kind if isinstance(kind, list) else [kind]
    if "null" in kinds or any(
        isinstance(b, dict) and b.get("type") == "null" for b in (schema or {}).get("anyOf", [])
    ):
        return None
    if "array" in kinds:
        return []
    if "object" in kinds:
        return {}
    return None


def _truncate(text: str, limit: int | None, encoding: str) -> tuple[str, int, bool]:
    """``text`` cut to ``limit`` tokens: (text, completion tokens, was cut)."""
    n = count_tokens(text, encoding)
    if limit is None or n <= limit:
        return text, n, False
    enc = get_encoding(encoding)
    cut = enc.decode(enc.encode_ordinary(text)[:limit])
    return cut, limit, True


def _stop(text: str, stops: list[str]) -> tuple[str, bool]:
    cut = min((text.find(s) for s in stops if s and s in text), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def build_response(body: dict[str, Any], view: PromptView, ans: Answer) -> dict[str, Any]:
    """A full chat.completion body for ``ans`` in the request's output mode."""
    encoding = encoding_name_for_model(view.model)
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None, "annotations": []}
    finish = "stop"
    if ans.spec is not None:
        if view.mode == "tool":
            arguments = json.dumps(conform(ans.spec, view.tool_schema), separators=(",", ":"))
            arguments, used, cut = _truncate(arguments, view.max_tokens, encoding)
            call = {
                "id": _id("call_", 24),
                "type": "function",
                "function": {"name": view.tool_name, "arguments": arguments},
            }
            message["tool_calls"] = [call]
            finish = "length" if cut else "tool_calls"
        else:
            schema = view.response_schema if view.mode == "json_schema" else None
            content = json.dumps(conform(ans.spec, schema), separators=(",", ":"))
            content, _stopped = _stop(content, view.stop)
            content, used, cut = _truncate(content, view.max_tokens, encoding)
            message["content"] = content
            finish = "length" if cut else "stop"
    else:
        text = ans.text or ""
        if view.mode == "json_object":
            text = json.dumps({"error": text})
        text, _ = _stop(text, view.stop)
        text, used, cut = _truncate(text, view.max_tokens, encoding)
        message["refusal" if view.mode == "json_schema" else "content"] = text
        finish = "length" if cut else "stop"
    prompt = count_request(body).total
    return {
        "id": _id("chatcmpl-", 29),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": view.model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": used,
            "total_tokens": prompt + used,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }


def _pieces(text: str, encoding: str, tokens_per_piece: int = 3) -> list[str]:
    """``text`` in small pieces along token boundaries (never splitting a UTF-8 character)."""
    if not text:
        return []
    enc = get_encoding(encoding)
    out, buf, count = [], b"", 0
    for tok in enc.encode_ordinary(text):
        buf += enc.decode_single_token_bytes(tok)
        count += 1
        if count >= tokens_per_piece:
            try:
                out.append(buf.decode("utf-8"))
            except UnicodeDecodeError:
                continue
            buf, count = b"", 0
    if buf:
        out.append(buf.decode("utf-8", errors="replace"))
    return out


def stream_chunks(response: dict[str, Any], include_usage: bool = False) -> list[dict[str, Any]]:
    """The response as ``chat.completion.chunk`` objects: role, content / refusal / tool-call deltas, finish.

    With ``include_usage`` (``stream_options.include_usage``) every chunk carries ``usage: null`` and a
    last chunk with no choices carries the usage, as OpenAI sends it.
    """
    encoding = encoding_name_for_model(response.get("model") or "offline")
    choice = response["choices"][0]
    message = choice["message"]
    head = {
        k: response[k]
        for k in ("id", "created", "model", "service_tier", "system_fingerprint")
        if k in response
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        out = {**head, "object": "chat.completion.chunk",
               "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}  # fmt: skip
        if include_usage:
            out["usage"] = None
        return out

    first: dict[str, Any] = {
        "role": "assistant",
        "content": "" if not message.get("tool_calls") else None,
        "refusal": None,
    }
    chunks = [chunk(first)]
    for k, call in enumerate(message.get("tool_calls") or []):
        start = {
            "index": k,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }
        chunks.append(chunk({"tool_calls": [start]}))
        for piece in _pieces(call["function"]["arguments"], encoding):
            chunks.append(chunk({"tool_calls": [{"index": k, "function": {"arguments": piece}}]}))
    for piece in _pieces(message.get("content") or "", encoding):
        chunks.append(chunk({"content": piece}))
    for piece in _pieces(message.get("refusal") or "", encoding):
        chunks.append(chunk({"refusal": piece}))
    chunks.append(chunk({}, choice["finish_reason"]))
    if include_usage:
        chunks.append(
            {**head, "object": "chat.completion.chunk", "choices": [], "usage": response.get("usage")}
        )
    return chunks
