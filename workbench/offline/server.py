"""``serve-model``: the offline model as an OpenAI-compatible HTTP endpoint.

Routes: ``POST /v1/chat/completions`` (``stream: true`` sends server-sent
events ``data: {chunk}`` and ``data: [DONE]``), ``GET /v1/models``,
``GET /v1/models/{id}`` and ``GET /healthz``. Malformed requests get
OpenAI-style error bodies ``{"error": {"message", "type", "param", "code"}}``
with OpenAI's status codes. The model runs in a thread pool so the event loop
keeps accepting requests while answers are computed.

Limits (each failure is a JSON error body, never plain text): a request body over
``MAX_BODY_BYTES`` gets 413; a body not received within ``BODY_TIMEOUT_S`` gets 408; a
connection that sends no complete request line and headers within ``HEADER_TIMEOUT_S`` (idle,
or a slow partial request) gets 408 and is closed; an idle keep-alive connection is closed
after ``KEEP_ALIVE_S``; anything unexpected is a 500 ``server_error`` body.

``latency_ms`` adds an artificial delay to every completion, for load tests
only: it is announced at startup and in each response's
``x-offline-artificial-latency-ms`` header, and never counted as the model's
compute time (``openai-processing-ms``).
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from workbench.offline import MODEL_ID, BadRequest, complete, describe, stream_chunks, warm_up

#: the largest request body accepted (a rendered prompt with a big schema is well under 1 MB)
MAX_BODY_BYTES = 4 * 1024**2
#: seconds to receive a whole request body once its headers arrived
BODY_TIMEOUT_S = 30.0
#: seconds for a new (or kept-alive) connection to send a complete request line and headers
HEADER_TIMEOUT_S = 15.0
#: seconds an idle keep-alive connection stays open
KEEP_ALIVE_S = 30
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
LATENCY_HEADER = "x-offline-artificial-latency-ms"
_BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
    "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"
)


def _error(status: int, message: str, param: str | None = None, code: str | None = None,
           type: str = "invalid_request_error", headers: dict[str, str] | None = None) -> JSONResponse:  # fmt: skip
    body = {"error": {"message": message, "type": type, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def create_app(latency_ms: int = 0) -> Starlette:
    """The ASGI app; ``latency_ms`` is an artificial delay per completion (load testing only)."""
    if latency_ms < 0:
        raise ValueError("latency_ms must be >= 0")

    def headers(compute_ms: float) -> dict[str, str]:
        return {
            "x-request-id": f"req_{uuid.uuid4().hex}",
            "openai-model": MODEL_ID,
            "openai-processing-ms": str(round(compute_ms)),
            LATENCY_HEADER: str(latency_ms),
        }

    @_json_errors
    async def chat(request: Request) -> Response:
        ctype = request.headers.get("content-type", "")
        if ctype and "json" not in ctype.lower():
            return _error(
                400,
                f"Invalid Content-Type header ({ctype!r}): send the request body as application/json.",
                None,
                "invalid_content_type",
            )
        raw = await _read_body(request)
        if isinstance(raw, Response):
            return raw
        try:
            body = json.loads(raw) if raw else None
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            return _error(400, _BAD_JSON)
        if body is None:
            return _error(400, "We could not parse the JSON body of your request: the body is empty.")
        start = time.perf_counter()
        try:
            response = await run_in_threadpool(complete, body)
        except BadRequest as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        compute_ms = (time.perf_counter() - start) * 1000
        if latency_ms:
            await asyncio.sleep(latency_ms / 1000)
        head = headers(compute_ms)
        if body.get("stream"):
            options = body.get("stream_options")
            include_usage = isinstance(options, dict) and bool(options.get("include_usage"))
            chunks = stream_chunks(response, include_usage=include_usage)
            return StreamingResponse(
                _sse(chunks), media_type="text/event-stream", headers={**head, "cache-control": "no-cache"}
            )
        return JSONResponse(response, headers=head)

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [describe()]})

    async def model(request: Request) -> Response:
        name = request.path_params["model"]
        if name != MODEL_ID:
            return _error(404, f"The model '{name}' does not exist", "model", "model_not_found")
        return JSONResponse(describe())

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "model": MODEL_ID, "artificial_latency_ms": latency_ms})

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        extra = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
        if status == 405:
            message = f"Method not allowed ({request.method} {request.url.path}); allowed: {extra.get('allow', extra.get('Allow', ''))}."
            return _error(405, message, headers=extra)
        if status == 404:
            return _error(404, f"Invalid URL ({request.method} {request.url.path})")
        return _error(status, str(getattr(exc, "detail", "error")))

    routes = [
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/chat/completions", chat, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/v1/models/{model:path}", model, methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error})


def _json_errors(handler: Any) -> Any:
    """``handler`` answering any unexpected failure with a JSON 500, never plain text or a traceback."""

    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except Exception:
            return _error(500, "The server had an error while processing your request.", type="server_error")

    return guarded


async def _read_body(request: Request) -> bytes | Response:
    """The body, or a JSON error: 413 over ``MAX_BODY_BYTES`` (checked as it streams in), 408 when too slow."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return _too_large()

    async def read() -> bytes | Response:
        parts, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return _too_large()
            parts.append(chunk)
        return b"".join(parts)

    try:
        return await asyncio.wait_for(read(), BODY_TIMEOUT_S)
    except TimeoutError:
        return _error(408, f"The request body was not received within {BODY_TIMEOUT_S:g} s.", code="timeout")


def _too_large() -> Response:
    return _error(413, f"The request body is larger than {MAX_BODY_BYTES:,} bytes.", code="request_too_large")


async def _sse(chunks: list[dict[str, Any]]) -> AsyncIterator[str]:
    for chunk in chunks:
        yield f"data: {json.dumps(chunk, separators=(',', ':'))}\n\n"
    yield "data: [DONE]\n\n"


def bind(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> socket.socket:
    """A listening socket (``port`` 0 picks a free one); raises ``OSError`` when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/v1"


def serve(sock: socket.socket, latency_ms: int = 0, log_level: str = "warning") -> None:
    """Run uvicorn on an already bound socket until interrupted (the model is warmed up first)."""
    import uvicorn

    warm_up()
    config = uvicorn.Config(
        create_app(latency_ms),
        log_level=log_level,
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE_S,
        http=guarded_protocol(),
    )
    uvicorn.Server(config).run(sockets=[sock])


_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
    b"content-length: %d\r\n\r\n%s"
)


def guarded_protocol() -> type:
    """uvicorn's h11 protocol, plus a deadline for each request's line and headers (``HEADER_TIMEOUT_S``).

    uvicorn times out idle keep-alive connections but not a connection that never sends a request,
    or sends its headers a byte at a time: those would hold a socket forever.
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    body = json.dumps({"error": {"message": f"No complete request within {HEADER_TIMEOUT_S:g} s.",
                                 "type": "invalid_request_error", "param": None, "code": "timeout"}}).encode()  # fmt: skip
    expired = _TIMEOUT_RESPONSE % (len(body), body)

    class GuardedH11Protocol(H11Protocol):
        _guard: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.cycle is None or self.cycle.response_complete:
                if self._guard is None:  # a partial next request: the deadline runs from its first byte
                    self._arm()
            else:
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._guard = self.loop.call_later(HEADER_TIMEOUT_S, self._expire)

        def _disarm(self) -> None:
            if self._guard is not None:
                self._guard.cancel()
                self._guard = None

        def _expire(self) -> None:
            self._guard = None
            if self.cycle is not None and not self.cycle.response_complete:
                return  # a request is being answered: its body has its own timeout
            if not self.transport.is_closing():
                self.transport.write(expired)
                self.transport.close()

    return GuardedH11Protocol
