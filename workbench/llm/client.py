"""Model calls through the official ``openai`` client, and the ``ModelCall`` record of each.

Every model call in the product goes through ``openai.OpenAI`` / ``openai.AsyncOpenAI``
built by a :class:`~workbench.llm.backends.Backend`, so the code that talks to the built-in
``offline`` model is the code that talks to OpenAI, Azure OpenAI or any
OpenAI-compatible server.

- :func:`send` / :func:`asend` make one HTTP attempt and raise :class:`CallFailure`
  (with ``retryable`` and ``retry_after_s``): the runner's building block.
- :func:`call_model` / :func:`acall_model` make one attempt and record a failure in
  ``ModelCall.error`` instead of raising. Retries, the cache and concurrency are in
  :mod:`workbench.llm.runner`.
- A :class:`ModelCall` keeps the raw response, wall latency, time to first token when
  streaming, the usage the server reported (a tiktoken estimate, flagged, only when it
  reported none), cost, and the canonical :func:`request_hash`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

from workbench.llm import streaming
from workbench.llm.backends import BACKENDS, Backend, backend_for, get_backend, register_backend
from workbench.llm.failures import CallFailure, failure_from
from workbench.llm.usage import call_cost, usage_of

__all__ = [
    "BACKENDS",
    "Backend",
    "CallFailure",
    "ModelCall",
    "acall_model",
    "asend",
    "backend_for",
    "call_model",
    "failed_call",
    "get_backend",
    "register_backend",
    "request_hash",
    "send",
]

# --------------------------------------------------------------------------- the record


@dataclass(frozen=True)
class ModelCall:
    """One model call as recorded: the raw response plus what it cost and how long it took.

    ``latency_ms`` is the time of the attempt that answered (or last failed); ``retry_ms`` the
    time lost before it to failed attempts and backoff. On a cache hit ``latency_ms`` is the
    lookup and ``original_latency_ms`` the latency of the call that filled the cache. Token
    counts are ``None`` without a response; ``usage_estimated``: they are a tiktoken estimate.
    """

    request_hash: str
    model: str
    response: dict[str, Any] | None
    latency_ms: float
    ttft_ms: float | None = None
    prompt_tokens: int | None = None
    cached_tokens: int | None = None
    completion_tokens: int | None = None
    usage_estimated: bool = False
    cost_usd: float | None = None
    cache_hit: bool = False
    attempts: int = 1
    error: str | None = None
    started_at: str = ""
    trial: int = 0
    original_latency_ms: float | None = None
    retry_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.response is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCall:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ModelCall:
        return cls.from_dict(json.loads(text))

    def as_cache_hit(self, lookup_ms: float, started_at: str) -> ModelCall:
        """This stored call served from the cache: no HTTP attempt, no cost (an unknown price stays unknown)."""
        return replace(
            self,
            cache_hit=True,
            cost_usd=None if self.cost_usd is None else 0.0,
            attempts=0,
            retry_ms=0.0,
            latency_ms=lookup_ms,
            ttft_ms=None,
            original_latency_ms=self.original_latency_ms if self.cache_hit else self.latency_ms,
            started_at=started_at,
        )


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------- request hash

#: request keys that change how a request travels, not what it asks: never part of the hash
_TRANSPORT_KEYS = frozenset(
    {
        "stream",
        "stream_options",
        "timeout",
        "extra_headers",
        "extra_query",
        "api_key",
        "base_url",
        "organization",
        "project",
    }
)


def _number(value: Any) -> Any:
    # temperature 0 (YAML) and 0.0 (a slider) are the same request
    return int(value) if isinstance(value, float) and value.is_integer() else value


def request_hash(body: dict[str, Any], trial: int = 0) -> str:
    """sha256 of the canonical request (model, messages, tools, tool_choice, response_format, parameters) + trial.

    Key order does not matter, at any depth; ``None`` parameters count as absent and
    integral parameters compare by value (``temperature: 0`` = ``0.0``); transport settings
    (``stream``, ``timeout``, headers) and credentials are never part of it. Nested values
    (messages, tool schemas) are hashed as they are: a full canonicalising walk over a tool
    schema costs more than the rest of the runner per call.
    """
    request = {k: _number(v) for k, v in body.items() if v is not None and k not in _TRANSPORT_KEYS}
    canonical = {"v": 1, "request": request, "trial": int(trial)}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------- one attempt


def _wire(body: dict[str, Any]) -> dict[str, Any]:
    """The JSON body sent: the request without transport settings (``send`` chooses those)."""
    return {k: v for k, v in body.items() if k not in ("stream", "stream_options", "timeout")}


#: the endpoint a non-streamed request is posted to (an Azure client maps it to its deployment)
_CHAT_PATH = "/chat/completions"


def _post_kwargs(body: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """``client.post()`` arguments that send ``body`` byte for byte and return the answer's bytes.

    The body is already wire JSON (the renderer built it; the SDK's param transform is the
    identity on it, which the tests check), so a non-streamed call posts it through the SDK's
    documented way to reach any endpoint (``client.post``), skipping ``create()``'s typed
    layer: its param walk and the hashing of the ``model`` Literal (about 1 ms a call, more
    than the rest of the runner). Server-specific parameters pass too (vLLM's ``top_k``). The
    SDK still builds, authenticates and sends the request and maps errors.
    """
    return {"cast_to": bytes, "body": _wire(body), "options": {"timeout": timeout_s}}


def _create_kwargs(body: dict[str, Any], stream: bool, timeout_s: float) -> dict[str, Any]:
    """``chat.completions.create()`` arguments that send ``body`` byte for byte (streamed calls).

    The body travels whole in ``extra_body``, whose keys replace the typed ones in the JSON
    sent; ``model`` and an empty ``messages`` only satisfy the signature. The SDK decodes the
    stream's events.
    """
    kwargs: dict[str, Any] = {
        "model": body["model"],
        "messages": [],
        "extra_body": _wire(body),
        "timeout": timeout_s,
    }
    if stream:
        kwargs["stream"] = True
        kwargs["stream_options"] = {"include_usage": True}
    return kwargs


@contextlib.contextmanager
def _attempt(backend: Backend, timeout_s: float) -> Iterator[None]:
    """Turn whatever a failed attempt raises into a :class:`CallFailure`."""
    import openai

    try:
        yield
    except TimeoutError:  # asyncio.timeout around a whole async attempt
        raise CallFailure(f"timeout: no answer within {timeout_s:g} s", retryable=True) from None
    except openai.APIError as exc:
        raise failure_from(exc, timeout_s, scrub=backend.scrub) from None
    except ValueError as exc:  # a 200 whose body is not JSON
        raise CallFailure(f"the server's answer is not JSON: {exc}") from None


class _Chunks:
    """Streamed chunks as they arrive, and when the first generated token came."""

    def __init__(self, t0: float) -> None:
        self.t0, self.items, self.ttft_ms = t0, [], None

    def add(self, event: Any) -> None:
        chunk = event.to_dict()
        if self.ttft_ms is None and streaming.has_token(chunk):
            self.ttft_ms = (time.perf_counter() - self.t0) * 1000
        self.items.append(chunk)


def send(
    body: dict[str, Any],
    *,
    backend: Backend,
    trial: int = 0,
    stream: bool = False,
    timeout_s: float | None = None,
    key: str | None = None,
) -> ModelCall:
    """One HTTP attempt (sync). Returns the record; raises :class:`CallFailure` when the attempt failed."""
    timeout = backend.timeout_s if timeout_s is None else timeout_s
    backend.warm()  # an in-process model loads before the clock starts
    client = backend.client()  # so does the SDK client (its first import)
    started_at, t0 = now_iso(), time.perf_counter()
    chunks = _Chunks(t0)
    with _attempt(backend, timeout):
        if stream:
            with client.chat.completions.create(**_create_kwargs(body, True, timeout)) as events:
                for event in events:
                    chunks.add(event)
            response = streaming.assemble(chunks.items)
        else:
            response = json.loads(client.post(_CHAT_PATH, **_post_kwargs(body, timeout)))
    latency = (time.perf_counter() - t0) * 1000
    return _record(body, backend, trial, key, response, latency, chunks.ttft_ms, started_at)


async def asend(
    body: dict[str, Any],
    *,
    backend: Backend,
    trial: int = 0,
    stream: bool = False,
    timeout_s: float | None = None,
    key: str | None = None,
) -> ModelCall:
    """One HTTP attempt (async), bounded by ``timeout_s`` as a whole; raises :class:`CallFailure`."""
    timeout = backend.timeout_s if timeout_s is None else timeout_s
    if backend.warm_up is not None:  # an in-process model loads before the clock starts, off the loop
        await asyncio.to_thread(backend.warm)
    client = backend.async_client()
    started_at, t0 = now_iso(), time.perf_counter()
    chunks = _Chunks(t0)
    with _attempt(backend, timeout):
        async with asyncio.timeout(timeout):
            if stream:
                async with await client.chat.completions.create(
                    **_create_kwargs(body, True, timeout)
                ) as events:
                    async for event in events:
                        chunks.add(event)
                response = streaming.assemble(chunks.items)
            else:
                response = json.loads(await client.post(_CHAT_PATH, **_post_kwargs(body, timeout)))
    latency = (time.perf_counter() - t0) * 1000
    return _record(body, backend, trial, key, response, latency, chunks.ttft_ms, started_at)


def failed_call(
    body: dict[str, Any],
    *,
    trial: int,
    error: str,
    latency_ms: float,
    attempts: int,
    started_at: str,
    key: str | None = None,
) -> ModelCall:
    """The record of a call that got no answer."""
    return ModelCall(
        request_hash=key or request_hash(body, trial),
        model=str(body.get("model", "")),
        response=None,
        latency_ms=latency_ms,
        attempts=attempts,
        error=error,
        started_at=started_at,
        trial=trial,
    )


def call_model(
    body: dict[str, Any],
    *,
    backend: Backend,
    trial: int = 0,
    stream: bool = False,
    timeout_s: float | None = None,
) -> ModelCall:
    """One model call (sync, one attempt): a failure is recorded in ``ModelCall.error``, not raised.

    For retries, a cache and many calls at once use :mod:`workbench.llm.runner`.
    """
    started_at, t0 = now_iso(), time.perf_counter()
    try:
        return send(body, backend=backend, trial=trial, stream=stream, timeout_s=timeout_s)
    except CallFailure as failure:
        return _failed_once(body, trial, failure, t0, started_at)


async def acall_model(
    body: dict[str, Any],
    *,
    backend: Backend,
    trial: int = 0,
    stream: bool = False,
    timeout_s: float | None = None,
) -> ModelCall:
    """One model call (async, one attempt): a failure is recorded in ``ModelCall.error``, not raised."""
    started_at, t0 = now_iso(), time.perf_counter()
    try:
        return await asend(body, backend=backend, trial=trial, stream=stream, timeout_s=timeout_s)
    except CallFailure as failure:
        return _failed_once(body, trial, failure, t0, started_at)


def _failed_once(
    body: dict[str, Any], trial: int, failure: CallFailure, t0: float, started_at: str
) -> ModelCall:
    latency = (time.perf_counter() - t0) * 1000
    return failed_call(
        body, trial=trial, error=failure.message, latency_ms=latency, attempts=1, started_at=started_at
    )


# --------------------------------------------------------------------------- usage and cost


def _record(
    body: dict[str, Any],
    backend: Backend,
    trial: int,
    key: str | None,
    response: dict[str, Any],
    latency_ms: float,
    ttft_ms: float | None,
    started_at: str,
) -> ModelCall:
    model = str(body.get("model", ""))
    prompt, cached, completion, estimated = usage_of(body, response)
    return ModelCall(
        request_hash=key or request_hash(body, trial),
        model=model,
        response=response,
        latency_ms=latency_ms,
        ttft_ms=ttft_ms,
        prompt_tokens=prompt,
        cached_tokens=cached,
        completion_tokens=completion,
        usage_estimated=estimated,
        cost_usd=call_cost(backend, model, prompt, cached, completion),
        started_at=started_at,
        trial=trial,
    )
