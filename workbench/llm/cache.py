"""A disk cache of model responses, keyed by the canonical request hash (which includes the trial index).

One SQLite file (``paths.cache_path()`` by default) in WAL mode: many threads and
processes can read while one writes, and each thread gets its own connection. Only
answered calls are stored, as their :class:`~workbench.llm.client.ModelCall` JSON. A hit
comes back marked ``cache_hit=True`` with no cost and no HTTP attempt; its
``latency_ms`` is the lookup's own time and ``original_latency_ms`` the latency of the
call that filled the cache, so both are on record.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from workbench.core import paths
from workbench.llm.client import ModelCall, now_iso

__all__ = ["CacheStats", "ResponseCache", "ensure_cache"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    created_at TEXT NOT NULL,
    record TEXT NOT NULL
)
"""


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

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else paths.cache_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self.hits = 0
        self.misses = 0
        self._connect()  # create the file and table now, so errors surface here

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
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def get(self, key: str, salt: str = "") -> ModelCall | None:
        """The stored call for ``key`` as a cache hit (``cache_hit=True``, cost 0), or ``None``.

        ``salt`` names the answering model's version where the request cannot (the built-in
        offline model): an entry stored under another salt is not a hit.
        """
        t0 = time.perf_counter()
        started_at = now_iso()
        key = f"{key}:{salt}" if salt else key
        row = self._connect().execute("SELECT record FROM responses WHERE key = ?", (key,)).fetchone()
        with self._lock:
            if row is None:
                self.misses += 1
            else:
                self.hits += 1
        if row is None:
            return None
        stored = ModelCall.from_json(row[0])
        return stored.as_cache_hit((time.perf_counter() - t0) * 1000, started_at)

    def put(self, call: ModelCall, salt: str = "") -> None:
        """Store an answered call under its ``request_hash`` (+ ``salt``); failed calls are not cached."""
        if not call.ok or call.cache_hit:
            return
        key = f"{call.request_hash}:{salt}" if salt else call.request_hash
        self._connect().execute(
            "INSERT OR REPLACE INTO responses (key, model, created_at, record) VALUES (?, ?, ?, ?)",
            (key, call.model, now_iso(), call.to_json()),
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


def ensure_cache(cache: ResponseCache | str | Path | bool | None) -> ResponseCache | None:
    """``None``/``False``: no cache; ``True``: the default cache file; a path: that file; a cache passes through."""
    if cache is None or cache is False:
        return None
    if cache is True:
        return ResponseCache()
    if isinstance(cache, ResponseCache):
        return cache
    return ResponseCache(cache)
