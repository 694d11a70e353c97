"""The offline model as an in-process OpenAI-compatible endpoint, behind an httpx transport.

:func:`chat_app` is a tiny HTTP application with the ``/v1/chat/completions`` (and
``/v1/models``) contract of the OpenAI API: it reads the request body, calls
``workbench.offline.complete(body)`` (imported lazily), turns
``offline.BadRequest`` into an OpenAI-style error body and status, and streams
server-sent ``chat.completion.chunk`` events when the request says ``stream: true``.
:func:`offline_transport` wraps it as an ``httpx2`` / ``httpx`` transport, so the real
``openai`` client talks to the offline model with no socket at all.

The offline model computes its whole answer before the first byte, so a streamed
in-process answer arrives at once: its time to first token is its compute time, which
is the honest figure for a model that does not generate token by token.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from workbench.llm import streaming

__all__ = ["Reply", "chat_app", "error_body", "offline_transport"]

OFFLINE_MODEL_ID = "offline"


@dataclass(frozen=True)
class Reply:
    """An HTTP answer, independent of the httpx flavour: JSON ``body`` or raw ``content`` bytes."""

    status: int
    body: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


def error_body(
    message: str, *, type: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """The OpenAI error envelope: ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def chat_app(method: str, path: str, content: bytes, model: Any = None) -> Reply:
    """Answer one HTTP request like an OpenAI-compatible server serving ``model``.

    ``model`` has ``complete(body) -> dict`` and a ``BadRequest`` exception (``status``,
    ``message``, ``param``, and optionally ``code``, ``type``, ``body()``), and may have
    ``stream_chunks(completion, include_usage)`` and ``describe()``; by default it is the
    ``workbench.offline`` package, imported on first use so that nothing loads it unless
    the offline backend is used. The same answers as ``workbench serve-model``.
    """
    if model is None:
        from workbench import offline as model
    path = path.rstrip("/")
    if method == "GET" and path.endswith("/models"):
        card = model.describe() if hasattr(model, "describe") else {"id": OFFLINE_MODEL_ID, "object": "model"}
        return Reply(200, {"object": "list", "data": [card]})
    if not path.endswith("/chat/completions"):
        return Reply(404, error_body(f"Invalid URL ({method} {path})"))
    if method != "POST":
        return Reply(405, error_body(f"Method not allowed ({method} {path}); allowed: POST."))
    try:
        body = json.loads(content or b"null")
    except ValueError:
        return Reply(
            400, error_body("We could not parse the JSON body of your request: it is not valid JSON.")
        )
    if not isinstance(body, dict):
        return Reply(400, error_body("The request body must be a JSON object."))
    try:
        completion = model.complete(body)
    except model.BadRequest as exc:
        if hasattr(exc, "body"):
            return Reply(exc.status, exc.body())
        code, kind = getattr(exc, "code", None), getattr(exc, "type", "invalid_request_error")
        return Reply(exc.status, error_body(exc.message, type=kind, param=exc.param, code=code))
    except Exception as exc:  # answer like a server (a 500), but say what broke: this is in process
        message = f"The server had an error while processing your request ({type(exc).__name__}: {exc})."
        return Reply(500, error_body(message, type="server_error"))
    if not body.get("stream"):
        return Reply(200, completion)
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    chunker = getattr(model, "stream_chunks", streaming.to_chunks)
    frames = b"".join(streaming.sse_events(chunker(completion, include_usage=include_usage)))
    return Reply(200, content=frames, headers={"content-type": "text/event-stream; charset=utf-8"})


def _response(http: ModuleType, reply: Reply) -> Any:
    if reply.content is not None:
        return http.Response(reply.status, content=reply.content, headers=reply.headers)
    return http.Response(reply.status, json=reply.body, headers=reply.headers)


def offline_transport(http: ModuleType, asynchronous: bool, model: Any = None) -> Any:
    """An ``http.MockTransport`` serving :func:`chat_app` in process (``http``: ``httpx2`` or ``httpx``).

    The async flavour computes the answer in a worker thread, so the event loop keeps
    serving timeouts, cancellation and progress while the model thinks.
    """

    def handle(request: Any) -> Any:
        return _response(http, chat_app(request.method, request.url.path, request.content, model))

    async def ahandle(request: Any) -> Any:
        reply = await asyncio.to_thread(chat_app, request.method, request.url.path, request.content, model)
        return _response(http, reply)

    return http.MockTransport(ahandle if asynchronous else handle)
