"""Backends: where model requests go, as official ``openai`` clients. Registered by name in :data:`BACKENDS`.

- ``offline``: the built-in model, in process behind an httpx transport
  (``transport.py``): no key, no network, no cost.
- ``openai``: OpenAI, Azure OpenAI or any OpenAI-compatible server (vLLM, Ollama,
  llama.cpp, ``workbench serve-model``), from ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``
  or a variant's ``api_key_env`` / ``base_url``.

No backend is special-cased: :func:`get_backend` picks the registered backend named
like the model (when no ``base_url`` is given), else ``openai``. A backend keeps its key
private: it is never in a ``repr``, a record, an error message or a log line.

Clients are built with ``max_retries=0`` and an explicit timeout: the runner retries,
so it sees every attempt and every Retry-After. openai 3.x is built on ``httpx2`` and
also accepts legacy ``httpx`` clients; an in-process transport must answer with a
Response of its client's library. Backends use ``httpx2`` when it is installed (the
SDK's own), else ``httpx``.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import hashlib
import os
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from workbench.core.errors import ConfigError

if TYPE_CHECKING:
    import openai

__all__ = [
    "BACKENDS",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_TIMEOUT_S",
    "IN_PROCESS_URL",
    "Backend",
    "backend_for",
    "call_settings",
    "get_backend",
    "in_process_backend",
    "offline_backend",
    "openai_backend",
    "register_backend",
]

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_ATTEMPTS = 4
#: environment variables for the per-call timeout and attempts (a CLI flag or the variant's field wins)
TIMEOUT_ENV, ATTEMPTS_ENV = "WORKBENCH_TIMEOUT_S", "WORKBENCH_MAX_ATTEMPTS"
#: the in-process base URL: ``.invalid`` never resolves, so nothing can leave the process by mistake
IN_PROCESS_URL = "http://offline.invalid/v1"


def _default_http() -> ModuleType:
    import httpx2  # the HTTP library openai 3.x is built on

    return httpx2


class _Secret:
    """A key that does not show itself: not in ``repr``, ``vars()`` dumps, tracebacks' locals or logs."""

    __slots__ = ("value",)

    def __init__(self, value: str | None) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<secret>" if self.value else "<no key>"


class Backend:
    """Where requests go: builds (and reuses) openai clients for one endpoint and key.

    Args:
        name: registry name, e.g. ``offline`` or ``openai``.
        base_url: the API root (``…/v1``).
        api_key: kept private; never in ``repr`` or records.
        transport: ``transport(asynchronous) -> httpx transport`` for in-process endpoints.
        http: the httpx flavour of ``transport`` (``httpx2`` or ``httpx``).
        free: calls cost nothing (in-process models).
        timeout_s: default per-request timeout.

    ``max_attempts`` (attempts per call, the runner's default for this backend) and ``price``
    (a price the variant declared: USD per million tokens ``(input, cached_input, output)``,
    else the price table's) are set by :meth:`configured`.
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    price: tuple[float, float, float] | None = None

    def __init__(
        self,
        name: str,
        *,
        base_url: str,
        api_key: str | None = None,
        transport: Callable[[bool], Any] | None = None,
        http: ModuleType | None = None,
        free: bool = False,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.name = name
        self.base_url = base_url
        #: mixed into response-cache keys: a changed in-process model must not answer from old entries
        self.cache_salt = ""
        self.free = free
        self.timeout_s = timeout_s
        self._key = _Secret(api_key)
        self._transport = transport
        self._http = http or _default_http()
        self._lock = threading.Lock()
        self._sync: openai.OpenAI | None = None
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = (
            weakref.WeakKeyDictionary()
        )
        #: a one-time load of an in-process model, run before the first call's clock starts
        self.warm_up: Callable[[], None] | None = None

    def warm(self) -> None:
        """Load an in-process model once (before timing), so a first call's latency is the model's own."""
        hook = self.warm_up
        if hook is not None:
            with self._lock:
                if self.warm_up is hook:
                    hook()
                    self.warm_up = None

    @classmethod
    def from_handler(
        cls,
        handler: Callable[[Any], Any],
        *,
        http: ModuleType | None = None,
        name: str = "handler",
        free: bool = False,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> Backend:
        """A backend whose requests go to ``handler(request) -> Response`` in process (``http.MockTransport``).

        ``handler`` answers with a Response of the ``http`` library (default: ``httpx2`` if installed);
        an ``async def`` handler works with async clients.
        """
        http = http or _default_http()
        return cls(
            name,
            base_url=IN_PROCESS_URL,
            transport=lambda _async: http.MockTransport(handler),
            http=http,
            free=free,
            timeout_s=timeout_s,
        )

    def __repr__(self) -> str:
        return f"<Backend {self.name} {self.base_url}>"

    def configured(
        self, *, max_attempts: int | None = None, price: tuple[float, float, float] | None = None
    ) -> Backend:
        """This backend (same clients) with other attempts per call or a declared price; itself if unchanged."""
        attempts = self.max_attempts if max_attempts is None else max_attempts
        if attempts == self.max_attempts and price == self.price:
            return self
        other = copy.copy(self)
        other.max_attempts, other.price = attempts, price
        return other

    def scrub(self, text: str) -> str:
        """``text`` with this backend's key blanked (error messages can echo it)."""
        key = self._key.value
        return text.replace(key, "***") if key and len(key) >= 8 else text

    def _kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self._key.value or "not-needed",
            "base_url": self.base_url,
            "max_retries": 0,
            "timeout": self.timeout_s,
        }

    def client(self) -> openai.OpenAI:
        """The backend's sync client (built once)."""
        with self._lock:
            if self._sync is None:
                import openai

                http_client = self._http.Client(transport=self._transport(False)) if self._transport else None
                self._sync = openai.OpenAI(http_client=http_client, **self._kwargs())
            return self._sync

    def async_client(self) -> openai.AsyncOpenAI:
        """The backend's async client for the running event loop (async clients are bound to their loop)."""
        loop = asyncio.get_running_loop()
        with self._lock:  # runs in several threads' loops at once (run_calls_sync in Jupyter)
            client = self._async.get(loop)
            if client is None:
                import openai

                http_client = (
                    self._http.AsyncClient(transport=self._transport(True)) if self._transport else None
                )
                client = self._async[loop] = openai.AsyncOpenAI(http_client=http_client, **self._kwargs())
            return client

    async def aclose(self) -> None:
        """Close the async client of the running loop (its connections), if one was built."""
        with self._lock:
            client = self._async.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()


BackendFactory = Callable[..., Backend]
#: backends by name: ``factory(*, base_url, api_key_env, timeout_s) -> Backend``
BACKENDS: dict[str, BackendFactory] = {}


def register_backend(name: str, factory: BackendFactory) -> BackendFactory:
    """Register ``factory`` under ``name``; a variant whose model is ``name`` (and has no base_url) uses it."""
    BACKENDS[name] = factory
    return factory


def get_backend(
    model: str,
    *,
    base_url: str | None = None,
    api_key_env: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Backend:
    """The backend for ``model``: a registered backend of that name, else ``openai``.

    A ``base_url`` always means an OpenAI-compatible server (also for ``offline`` served by
    ``workbench serve-model``). Raises ``ConfigError`` when the key it needs is not set.
    """
    name = model if model in BACKENDS and base_url is None else "openai"
    return BACKENDS[name](base_url=base_url, api_key_env=api_key_env, timeout_s=timeout_s)


def backend_for(variant: Any, *, timeout_s: float | None = None, max_attempts: int | None = None) -> Backend:
    """The backend for a prompt variant (anything with ``model``, ``base_url``, ``api_key_env``).

    Timeout and attempts per call: the arguments (a CLI flag), else the variant's ``timeout_s`` /
    ``max_attempts``, else ``WORKBENCH_TIMEOUT_S`` / ``WORKBENCH_MAX_ATTEMPTS``, else 60 s and 4.
    A variant's declared ``price`` replaces the price table's.
    """
    timeout, attempts = call_settings(variant, timeout_s, max_attempts)
    backend = get_backend(
        variant.model,
        base_url=getattr(variant, "base_url", None),
        api_key_env=getattr(variant, "api_key_env", None),
        timeout_s=timeout,
    )
    price = getattr(variant, "price", None)
    declared = None if price is None else (price.input, price.cached_input, price.output)
    return backend.configured(max_attempts=attempts, price=declared)


def call_settings(
    variant: Any = None, timeout_s: float | None = None, max_attempts: int | None = None
) -> tuple[float, int]:
    """(timeout per attempt in seconds, attempts per call): argument, else variant, else environment, else default."""
    timeout = _first(
        timeout_s, getattr(variant, "timeout_s", None), _env(TIMEOUT_ENV, float), DEFAULT_TIMEOUT_S
    )
    attempts = _first(
        max_attempts, getattr(variant, "max_attempts", None), _env(ATTEMPTS_ENV, int), DEFAULT_MAX_ATTEMPTS
    )
    if timeout <= 0 or attempts < 1:
        raise ConfigError(
            f"timeout {timeout:g} s and {attempts} attempts per call are not usable",
            "give a timeout above 0 seconds and at least 1 attempt",
        )
    return float(timeout), int(attempts)


def _first(*values: Any) -> Any:
    return next(v for v in values if v is not None)


def _env(name: str, kind: type) -> Any:
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or value <= 0:
        what = "a number of seconds above 0" if kind is float else "a whole number, 1 or more"
        raise ConfigError(f"{name}={text!r} is not {what}", f"set {name} to {what}, or unset it")
    return value


def openai_backend(
    *, base_url: str | None = None, api_key_env: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
) -> Backend:
    """OpenAI or any compatible server: key from ``api_key_env`` (default ``OPENAI_API_KEY``)."""
    key = os.environ.get(api_key_env or "OPENAI_API_KEY") or None
    base = base_url or os.environ.get("OPENAI_BASE_URL") or None
    if key is None and api_key_env:
        raise ConfigError(f"{api_key_env} is not set", "export it, or change api_key_env in the variant")
    if key is None and base is None:
        raise ConfigError(
            "OPENAI_API_KEY is not set",
            "export it, or set api_key_env / base_url in the variant, or use --model offline",
        )
    # a local server (vLLM, Ollama, serve-model) usually needs no key: the client sends a placeholder
    return Backend("openai", base_url=base or "https://api.openai.com/v1", api_key=key, timeout_s=timeout_s)


def in_process_backend(
    model: Any = None,
    *,
    name: str = "offline",
    http: ModuleType | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Backend:
    """A free backend serving ``model`` in process (default: ``workbench.offline``, imported on first call).

    ``model`` has ``complete(body) -> dict`` and ``BadRequest``; see :func:`workbench.llm.transport.chat_app`.
    """
    from workbench.llm.transport import offline_transport

    http = http or _default_http()
    backend = Backend(
        name,
        base_url=IN_PROCESS_URL,
        http=http,
        free=True,
        timeout_s=timeout_s,
        transport=lambda asynchronous: offline_transport(http, asynchronous, model),
    )
    if model is None:
        backend.cache_salt = offline_model_fingerprint()
        backend.warm_up = _warm_offline_model
    return backend


def _warm_offline_model() -> None:
    from workbench import offline

    warm = getattr(offline, "warm_up", None)  # a stand-in model (tests) may have none
    if warm is not None:
        warm()


@functools.cache
def offline_model_fingerprint() -> str:
    """A short hash of the built-in offline model's source: its version, for the response cache."""
    digest = hashlib.sha256()
    folder = Path(__file__).parents[1] / "offline"
    for path in sorted([*folder.glob("*.py"), *folder.glob("*.yaml")]):  # code and its vocabulary
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return "offline-" + digest.hexdigest()[:12]


_offline: dict[float, Backend] = {}
_offline_lock = threading.Lock()


def offline_backend(
    *, base_url: str | None = None, api_key_env: str | None = None, timeout_s: float = DEFAULT_TIMEOUT_S
) -> Backend:
    """The built-in offline model, in process behind an httpx transport (no key, no network, no cost)."""

    with _offline_lock:
        if timeout_s not in _offline:
            _offline[timeout_s] = in_process_backend(timeout_s=timeout_s)
        return _offline[timeout_s]


register_backend("openai", openai_backend)
register_backend("offline", offline_backend)
