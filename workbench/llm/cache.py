"""A disk cache of model responses, keyed by the canonical request hash (which includes the trial index).

One SQLite file (``paths.cache_path()`` by default) in WAL mode: many threads and
processes can read while one writes, and each thread gets its own connection. Only
answered calls are stored, as their :class:`~workbench.llm.client.ModelCall` JSON (ASCII:
a lone surrogate such as ``"\ud83d"``, valid JSON that a proxy splitting an emoji
produces, is stored escaped). A hit comes back marked ``cache_hit=True`` with no cost and
no HTTP attempt; its ``latency_ms`` is the lookup's own time and ``original_latency_ms``
the latency of the call that filled the cache, so both are on record.

The key is the request hash plus :func:`cache_scope`: the endpoint (backend name and
``base_url``) and the model's version where the request cannot name it, so an answer
from one server is never replayed for another. An answer that did not parse as the
request's output mode expects (a malformed or truncated body, a wrong tool name) is
stored but not served again unless the cache is opened with ``serve_unparsed=True``.
A write that fails (a full disk, a locked file) is counted in ``write_errors`` and never
stops the caller: the answer is still returned.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core import paths
from workbench.core.errors import WorkbenchError
from workbench.llm.client import ModelCall, now_iso

__all__ = ["CacheStats", "ResponseCache", "answer_parses", "cache_scope", "ensure_cache"]

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    created_at TEXT NOT NULL,
    record TEXT NOT NULL,
    parsed INTEGER
)
"""


def _add_parsed_flag(conn: sqlite3.Connection) -> None:
    """Give a cache file written before the ``parsed`` flag its column (NULL: stored before the flag).

    Two processes opening the same old file may both try; the loser's "duplicate column" is success.
    """
    if "parsed" in {row[1] for row in conn.execute("PRAGMA table_info(responses)")}:
        return
    try:
        conn.execute("ALTER TABLE responses ADD COLUMN parsed INTEGER")
    except sqlite3.OperationalError as exc:
        if "duplicate column" not in str(exc):
            raise


@dataclass(frozen=True)
class CacheStats:
    """Entries and size on disk, and this cache object's hits and misses since it was opened."""

    path: str
    entries: int
    bytes: int
    hits: int
    misses: int


class ResponseCache:
    """Model responses on disk by request hash. ``get`` / ``put`` / ``stats`` / ``clear``; thread-safe.

    Example:
        >>> cache = ResponseCache(tmp_path / "responses.sqlite")  # doctest: +SKIP
        >>> cache.put(call); cache.get(call.request_hash).cache_hit  # doctest: +SKIP
        True
    """

    def __init__(self, path: str | Path | None = None, *, serve_unparsed: bool = False) -> None:
        self.path = Path(path) if path is not None else paths.cache_path()
        #: serve stored answers that failed to parse as their output mode expects
        self.serve_unparsed = serve_unparsed
        #: writes that failed (the run went on without caching those answers), and the last reason
        self.write_errors = 0
        self.last_write_error: str | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self.hits = 0
        self.misses = 0
        try:
            self._connect()  # create the file and table now, so errors surface here
        except sqlite3.Error as exc:
            raise WorkbenchError(
                f"the response cache {self.path} cannot be opened: {exc}",
                "delete that file (it only saves repeated calls) or run with --no-cache",
            ) from None

    def __repr__(self) -> str:
        return f"<ResponseCache {self.path}>"

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across crashes of the process
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute(_SCHEMA)
            _add_parsed_flag(conn)
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def get(self, key: str, salt: str = "") -> ModelCall | None:
        """The stored call for ``key`` as a cache hit (``cache_hit=True``, cost 0), or ``None``.

        ``salt`` is the :func:`cache_scope` of the backend: an entry stored under another is not
        a hit. An answer stored as unparsed is not a hit either, unless ``serve_unparsed``.
        """
        t0 = time.perf_counter()
        started_at = now_iso()
        key = f"{key}:{salt}" if salt else key
        row = self._connect().execute("SELECT record, parsed FROM responses WHERE key = ?", (key,)).fetchone()
        if row is not None and row[1] == 0 and not self.serve_unparsed:
            row = None
        with self._lock:
            if row is None:
                self.misses += 1
            else:
                self.hits += 1
        if row is None:
            return None
        stored = ModelCall.from_json(row[0])
        return stored.as_cache_hit((time.perf_counter() - t0) * 1000, started_at)

    def put(self, call: ModelCall, salt: str = "", *, body: dict[str, Any] | None = None) -> None:
        """Store an answered call under its ``request_hash`` (+ ``salt``); failed calls are not cached.

        With the request ``body``, the answer is flagged when it does not parse as the body's
        output mode expects (:func:`answer_parses`). A failing write is counted, never raised.
        """
        if not call.ok or call.cache_hit:
            return
        key = f"{call.request_hash}:{salt}" if salt else call.request_hash
        try:
            parsed = None if body is None else int(answer_parses(body, call.response or {}))
            record = json.dumps(call.to_dict(), separators=(",", ":"))  # ASCII: lone surrogates escaped
            self._connect().execute(
                "INSERT OR REPLACE INTO responses (key, model, created_at, record, parsed) VALUES (?, ?, ?, ?, ?)",
                (key, call.model, now_iso(), record, parsed),
            )
        except (sqlite3.Error, OSError, ValueError, TypeError) as exc:
            with self._lock:
                self.write_errors += 1
                self.last_write_error = f"{type(exc).__name__}: {exc}"
                first = self.write_errors == 1
            if first:
                log.warning(
                    "response cache %s: a write failed (%s); the run goes on without it", self.path, exc
                )

    def __contains__(self, key: str) -> bool:
        return self._connect().execute("SELECT 1 FROM responses WHERE key = ?", (key,)).fetchone() is not None

    def __len__(self) -> int:
        return self._connect().execute("SELECT count(*) FROM responses").fetchone()[0]

    def stats(self) -> CacheStats:
        entries, size = (
            self._connect()
            .execute("SELECT count(*), coalesce(sum(length(record)), 0) FROM responses")
            .fetchone()
        )
        return CacheStats(str(self.path), entries, size, self.hits, self.misses)

    def clear(self) -> int:
        """Delete every entry; returns how many there were."""
        conn = self._connect()
        removed = conn.execute("DELETE FROM responses").rowcount
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return removed

    def close(self) -> None:
        """Close every connection this cache opened (in any thread)."""
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def cache_scope(backend: Any) -> str:
    """What selects the answering model besides the request: the backend's name, its endpoint
    (``base_url``) and its ``cache_salt`` (the built-in model's version). Part of every cache key."""
    parts = (
        getattr(backend, "name", ""),
        getattr(backend, "base_url", ""),
        getattr(backend, "cache_salt", ""),
    )
    return "|".join(str(p or "") for p in parts)


def answer_parses(body: dict[str, Any], response: dict[str, Any]) -> bool:
    """True when ``response`` reads as the output mode of ``body`` expects: a query, or a decline in words.

    The mode is the one the request asked for: ``tools`` (tool call), a ``json_schema``
    ``response_format`` (structured output), else plain JSON in the content.
    """
    from workbench.llm.modes import get_mode

    response_format = body.get("response_format")
    if body.get("tools"):
        name = "tool_call"
    elif isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        name = "json_schema"
    else:
        name = "plain_json"
    outcome = get_mode(name).parse(response)
    return outcome.ok or any(f.code in ("no_query", "refusal") for f in outcome.findings)


def ensure_cache(cache: ResponseCache | str | Path | bool | None) -> ResponseCache | None:
    """``None``/``False``: no cache; ``True``: the default cache file; a path: that file; a cache passes through."""
    if cache is None or cache is False:
        return None
    if cache is True:
        return ResponseCache()
    if isinstance(cache, ResponseCache):
        return cache
    return ResponseCache(cache)
