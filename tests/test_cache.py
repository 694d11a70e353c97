"""The disk response cache: hits marked and free, both latencies kept, safe with concurrent writers."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from openai_wire import body

from workbench.core import paths
from workbench.core.errors import WorkbenchError
from workbench.llm.cache import ResponseCache, _add_parsed_flag, ensure_cache
from workbench.llm.client import ModelCall, request_hash

REQUEST = {
    "model": "gpt-4.1-mini",
    "messages": [{"role": "user", "content": "errors by service"}],
    "temperature": 0,
}


def _call(trial: int = 0, **changes) -> ModelCall:
    values = dict(
        request_hash=request_hash(REQUEST, trial),
        model="gpt-4.1-mini",
        response=body("tool_call"),
        latency_ms=843.0,
        ttft_ms=120.0,
        prompt_tokens=1873,
        cached_tokens=1536,
        completion_tokens=74,
        cost_usd=0.0004,
        attempts=2,
        started_at="2026-11-20T12:00:00.000Z",
        trial=trial,
    )
    values.update(changes)
    return ModelCall(**values)


@pytest.fixture
def cache(tmp_path: Path):
    with ResponseCache(tmp_path / "responses.sqlite") as opened:
        yield opened


def test_hit_is_marked_free_and_keeps_both_latencies(cache: ResponseCache) -> None:
    original = _call()
    cache.put(original)
    hit = cache.get(original.request_hash)
    assert hit is not None
    assert hit.cache_hit is True and hit.cost_usd == 0.0 and hit.attempts == 0
    assert hit.original_latency_ms == 843.0
    assert 0 <= hit.latency_ms < 50  # the lookup itself
    assert hit.ttft_ms is None
    assert hit.response == original.response
    assert (hit.prompt_tokens, hit.cached_tokens, hit.completion_tokens) == (1873, 1536, 74)
    assert hit.started_at != original.started_at


def test_a_hit_of_a_hit_keeps_the_first_latency(cache: ResponseCache) -> None:
    cache.put(_call())
    hit = cache.get(_call().request_hash)
    assert hit is not None
    cache.put(hit)  # hits are never stored back
    again = cache.get(hit.request_hash)
    assert again is not None and again.original_latency_ms == 843.0


def test_miss_and_failed_calls(cache: ResponseCache) -> None:
    assert cache.get("0" * 64) is None
    failed = _call(response=None, error="HTTP 500 server_error: oops")
    cache.put(failed)
    assert failed.request_hash not in cache
    assert len(cache) == 0


def test_trials_are_separate_entries(cache: ResponseCache) -> None:
    cache.put(_call(0))
    assert cache.get(request_hash(REQUEST, 1)) is None
    cache.put(_call(1, latency_ms=500.0))
    assert cache.get(request_hash(REQUEST, 1)).original_latency_ms == 500.0
    assert cache.get(request_hash(REQUEST, 0)).original_latency_ms == 843.0


def test_a_salt_separates_model_versions(cache: ResponseCache) -> None:
    cache.put(_call(0), salt="offline-aaaa")
    assert cache.get(request_hash(REQUEST, 0)) is None
    assert cache.get(request_hash(REQUEST, 0), salt="offline-bbbb") is None  # a changed offline model
    assert cache.get(request_hash(REQUEST, 0), salt="offline-aaaa") is not None


def test_the_offline_backend_salts_with_its_source_fingerprint() -> None:
    from workbench.llm.backends import in_process_backend, offline_backend, offline_model_fingerprint

    assert offline_backend().cache_salt == offline_model_fingerprint()
    assert offline_model_fingerprint().startswith("offline-")
    assert in_process_backend(model=object()).cache_salt == ""  # a caller's own model: its requests decide


def test_stats_and_clear(cache: ResponseCache) -> None:
    cache.put(_call(0))
    cache.put(_call(1))
    cache.get(request_hash(REQUEST, 0))
    cache.get("f" * 64)
    stats = cache.stats()
    assert (stats.entries, stats.hits, stats.misses) == (2, 1, 1)
    assert stats.bytes > 1000 and stats.path.endswith("responses.sqlite")
    assert cache.clear() == 2
    assert cache.stats().entries == 0 and len(cache) == 0


def test_wal_mode_and_persistence(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    with ResponseCache(path) as first:
        first.put(_call())
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with ResponseCache(path) as second:
        assert second.get(_call().request_hash) is not None


def test_concurrent_writers_from_threads_and_two_caches(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    one, two = ResponseCache(path), ResponseCache(path)  # two handles: as two processes would have
    barrier = threading.Barrier(8)

    def write(worker: int) -> None:
        barrier.wait()
        cache = one if worker % 2 else two
        for trial in range(worker * 50, worker * 50 + 50):
            cache.put(_call(trial))
            assert cache.get(request_hash(REQUEST, trial)) is not None

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))
    assert len(one) == len(two) == 400
    one.close()
    two.close()


def test_default_path_and_ensure_cache(tmp_path: Path) -> None:
    default = ensure_cache(True)
    assert default is not None and default.path == paths.cache_path()
    assert default.path.is_relative_to(paths.home())
    default.close()
    assert ensure_cache(None) is None and ensure_cache(False) is None
    explicit = ensure_cache(tmp_path / "x.sqlite")
    assert explicit is not None and ensure_cache(explicit) is explicit
    explicit.close()


def test_a_file_from_before_the_parsed_flag_opens_from_many_processes_at_once(tmp_path: Path) -> None:
    """An old cache (no ``parsed`` column) opened by several caches at once: one adds the column,
    the others find it added; none fails (an eval and a notebook starting together did)."""
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, model TEXT NOT NULL, "
                "created_at TEXT NOT NULL, record TEXT NOT NULL)")  # fmt: skip
    old.close()
    barrier = threading.Barrier(6)

    def open_one(_: int) -> ResponseCache:
        barrier.wait()
        return ResponseCache(path)

    with ThreadPoolExecutor(6) as pool:
        caches = list(pool.map(open_one, range(6)))
    caches[0].put(_call())
    assert all(c.get(_call().request_hash) is not None for c in caches)
    for c in caches:
        c.close()


def test_losing_the_race_to_add_the_parsed_flag_is_success(tmp_path: Path) -> None:
    """Another process added the column between this one's look and its ALTER TABLE."""
    conn = sqlite3.connect(tmp_path / "c.sqlite")
    conn.execute("CREATE TABLE responses (key TEXT PRIMARY KEY, parsed INTEGER)")

    class LookedBeforeTheOtherAdded:
        def execute(self, sql: str):
            return [] if sql.startswith("PRAGMA table_info") else conn.execute(sql)

    _add_parsed_flag(LookedBeforeTheOtherAdded())  # type: ignore[arg-type]
    assert [r[1] for r in conn.execute("PRAGMA table_info(responses)")] == ["key", "parsed"]


def test_a_file_that_is_not_a_cache_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "responses.sqlite"
    path.write_bytes(b"this is not a database, just bytes " * 200)
    with pytest.raises(WorkbenchError, match="cannot be opened") as info:
        ResponseCache(path)
    assert "--no-cache" in info.value.fix
