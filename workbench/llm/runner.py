"""The async runner: many model calls at once, politely, with retries, a disk cache and clean cancellation.

``run_calls(jobs)`` is an async generator. A fixed pool of ``concurrency`` workers
takes jobs one at a time from the input (so no more than ``concurrency`` requests are
ever in flight, and nothing is started that has not been asked for yet); each result is
handed to ``on_result`` the moment it completes, then yielded, in completion order,
with its job attached.

Per call: a cache lookup (a hit costs nothing and makes no request), then up to
``max_attempts`` HTTP attempts, each bounded by ``timeout_s``. 408/409/429/5xx, timeouts
and connection errors are retried after an exponential backoff with full jitter, or
after exactly the ``retry-after-ms`` / ``Retry-After`` the server sent (a server asking
for more than ``Backoff.max_retry_after_s`` ends the call: waiting that long inside a
run helps nobody). A call that still fails is a result too, with the error recorded.

Cancellation (a cancelled task, Ctrl-C under ``asyncio.run``, a notebook interrupt)
stops new calls, cancels the ones in flight and keeps every finished result: they were
already passed to ``on_result``. ``run_calls_sync`` is the wrapper for scripts and
notebooks; on Ctrl-C it raises :class:`Interrupted`, a ``KeyboardInterrupt`` carrying
the finished results.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sized
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from workbench.llm.backends import Backend
from workbench.llm.cache import ResponseCache, cache_scope, ensure_cache
from workbench.llm.client import CallFailure, ModelCall, asend, failed_call, now_iso, request_hash

__all__ = ["Backoff", "Interrupted", "Job", "Result", "call", "run_calls", "run_calls_sync"]


@dataclass(frozen=True)
class Job:
    """One call to make: a chat.completions request ``body`` for ``backend``, trial ``trial``.

    ``tag`` is the caller's handle for it (a question id, a variant name...), returned with the result.
    """

    body: dict[str, Any]
    backend: Backend
    trial: int = 0
    stream: bool = False
    tag: Any = None


@dataclass(frozen=True)
class Result:
    """A finished job: its record, and its position in the input."""

    job: Job
    call: ModelCall
    index: int


@dataclass(frozen=True)
class Backoff:
    """When to try again: full-jitter exponential backoff, or the server's Retry-After.

    ``sleep`` and ``random`` are injectable so tests can record the waits instead of waiting.
    """

    base_s: float = 0.5
    max_s: float = 20.0
    max_retry_after_s: float = 60.0
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    random: Callable[[], float] = random.random

    def delay(self, attempt: int, retry_after_s: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after_s is not None:
            return retry_after_s
        return self.random() * min(self.max_s, self.base_s * 2 ** (attempt - 1))


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`run_calls_sync`; ``results`` holds the calls that had finished."""

    def __init__(self, results: list[Result]) -> None:
        super().__init__(f"interrupted after {len(results)} finished calls")
        self.results = results


ProgressFn = Callable[[int, int, Result], Any]
JobLike = Job | tuple[Any, ...]


def _ensure_job(job: JobLike) -> Job:
    return job if isinstance(job, Job) else Job(*job)


async def _call(
    job: Job,
    *,
    cache: ResponseCache | None,
    timeout_s: float | None,
    max_attempts: int | None,
    backoff: Backoff,
) -> ModelCall:
    """One job: cache, then attempts with backoff. Never raises for a failed call.

    The record's ``latency_ms`` is the last attempt's (the one that answered, or failed for
    good); ``retry_ms`` the time lost before it to failed attempts and backoff.
    """
    timeout_s = job.backend.timeout_s if timeout_s is None else timeout_s
    max_attempts = job.backend.max_attempts if max_attempts is None else max_attempts
    key = request_hash(job.body, job.trial)
    salt = cache_scope(job.backend)
    if cache is not None:
        hit = cache.get(key, salt)
        if hit is not None:
            return hit
    started_at, t0 = now_iso(), time.perf_counter()
    attempt = 0

    def lost(attempt_start: float) -> float:  # failed attempts and backoff before this one
        return (attempt_start - t0) * 1000 if attempt > 1 else 0.0

    while True:
        attempt += 1
        attempt_start = time.perf_counter()
        try:
            result = await asend(
                job.body,
                backend=job.backend,
                trial=job.trial,
                stream=job.stream,
                timeout_s=timeout_s,
                key=key,
            )
        except CallFailure as failure:
            wait = None
            if failure.retryable and attempt < max_attempts:
                wait = backoff.delay(attempt, failure.retry_after_s)
            if wait is None or wait > backoff.max_retry_after_s:
                error = failure.message
                if wait is not None:
                    error += f" (the server asked to retry after {wait:g} s)"
                if attempt > 1:
                    gave_up = "gave up " if failure.retryable else ""
                    error += f" ({gave_up}after {attempt} attempts)"
                failed = failed_call(
                    job.body,
                    trial=job.trial,
                    error=error,
                    latency_ms=(time.perf_counter() - attempt_start) * 1000,
                    attempts=attempt,
                    started_at=started_at,
                    key=key,
                )
                return replace(failed, retry_ms=lost(attempt_start))
            await backoff.sleep(wait)
            continue
        result = replace(result, attempts=attempt, started_at=started_at, retry_ms=lost(attempt_start))
        if cache is not None:
            cache.put(result, salt, body=job.body)
        return result


class _Progress:
    """Counts results for a ``progress`` callback; calls its ``close()`` (if it has one) at the end."""

    def __init__(self, progress: ProgressFn | None, total: int) -> None:
        self.total, self.done = total, 0
        self.callback = progress

    def update(self, result: Result) -> None:
        self.done += 1
        if self.callback is not None:
            self.callback(self.done, self.total, result)

    def close(self) -> None:
        close = getattr(self.callback, "close", None)
        if close is not None:
            close()


async def run_calls(
    jobs: Iterable[JobLike],
    *,
    concurrency: int = 8,
    timeout_s: float | None = None,
    max_attempts: int | None = None,
    backoff: Backoff | None = None,
    cache: ResponseCache | str | Path | bool | None = None,
    progress: ProgressFn | None = None,
    on_result: Callable[[Result], Any] | None = None,
) -> AsyncIterator[Result]:
    """Run ``jobs`` (``Job`` or ``(body, backend[, trial])``) and yield each :class:`Result` as it completes.

    Args:
        concurrency: most requests in flight at once.
        timeout_s: bound on each HTTP attempt (streaming included); default: each job's
            ``backend.timeout_s`` (see ``backends.call_settings``).
        max_attempts: attempts per call, the first included; default: each job's ``backend.max_attempts``.
        backoff: retry timing (default :class:`Backoff`).
        cache: a :class:`~workbench.llm.cache.ResponseCache`, a path, ``True`` for the default file, or ``None``.
        progress: ``fn(done, total, result)`` after each result; its ``close()``, if any, is called at
            the end (``evaluation.progress.ProgressBar`` draws a bar in a terminal or notebook).
        on_result: called with every result the moment it completes, before it is yielded; use it to
            persist results, so an interrupted run keeps all that finished.

    Example:
        >>> async with contextlib.aclosing(run_calls(jobs, concurrency=16)) as results:  # doctest: +SKIP
        ...     async for r in results:
        ...         print(r.job.tag, r.call.latency_ms, r.call.error)
    """
    if concurrency < 1 or (max_attempts is not None and max_attempts < 1):
        raise ValueError("concurrency and max_attempts must be at least 1")
    todo, total = _job_stream(jobs)
    store = ensure_cache(cache)
    policy = backoff or Backoff()
    queue: asyncio.Queue[Result | BaseException] = asyncio.Queue()
    pending = enumerate(todo)  # shared: each job is taken by exactly one worker, when it is free
    bar = _Progress(progress, total)

    async def worker() -> None:
        try:
            for index, job in pending:
                record = await _call(
                    job, cache=store, timeout_s=timeout_s, max_attempts=max_attempts, backoff=policy
                )
                result = Result(job, record, index)
                if on_result is not None:
                    on_result(result)
                bar.update(result)
                queue.put_nowait(result)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # a bug or a failing on_result: stop the run and surface it
            queue.put_nowait(exc)

    workers = [asyncio.create_task(worker()) for _ in range(min(concurrency, total))]
    try:
        for _ in range(total):
            item = await queue.get()
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        bar.close()


class _Mapped:
    """``fn`` over ``items``, applied as the items are taken; sized like ``items``."""

    def __init__(self, items: Any, fn: Callable[[Any], Job]) -> None:
        self.items, self.fn = items, fn

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Job]:
        return map(self.fn, self.items)


def _job_stream(jobs: Iterable[JobLike]) -> tuple[Iterator[Job], int]:
    """The jobs, made as workers take them, and how many. A sized iterable is read lazily (jobs
    that render their request on demand render at most ``concurrency`` ahead of the calls)."""
    items = jobs if isinstance(jobs, Sized) else list(jobs)
    return (_ensure_job(job) for job in items), len(items)


def run_calls_sync(jobs: Iterable[JobLike], *, keep: bool = True, **options: Any) -> list[Result]:
    """:func:`run_calls` for scripts and notebooks: the results in completion order.

    Works inside a running event loop too (Jupyter): the calls then run on a loop in a
    worker thread. Ctrl-C raises :class:`Interrupted` with the results that had finished.
    ``keep=False``: hand each result to ``on_result`` only and keep none (a long run's memory
    stays flat; the return value and ``Interrupted.results`` are then empty).
    """
    results: list[Result] = []
    user_callback = options.pop("on_result", None)

    def collect(result: Result) -> None:
        if keep:
            results.append(result)
        if user_callback is not None:
            user_callback(result)

    used: dict[int, Backend] = {}

    def seen(job: JobLike) -> Job:
        job = _ensure_job(job)
        used[id(job.backend)] = job.backend
        return job

    todo = _Mapped(jobs if isinstance(jobs, Sized) else list(jobs), seen)

    async def main() -> None:
        try:
            async with contextlib.aclosing(run_calls(todo, on_result=collect, **options)) as stream:
                async for _ in stream:
                    pass
        finally:  # this loop ends with the run: close the connections its clients opened
            for backend in list(used.values()):
                await backend.aclose()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            raise Interrupted(results) from None
        return results
    _run_in_thread(main, results)
    return results


def _run_in_thread(main: Callable[[], Awaitable[None]], results: list[Result]) -> None:
    """Run ``main()`` on a fresh loop in a worker thread; an interrupt in this thread cancels it cleanly.

    The wait is on an Event, not ``Thread.join``: a KeyboardInterrupt during ``join`` can leave
    CPython 3.11 believing the thread has stopped while it is still cancelling its calls.
    """
    loop = asyncio.new_event_loop()
    started, finished = threading.Event(), threading.Event()
    task: asyncio.Task[None] | None = None
    outcome: list[BaseException] = []

    def target() -> None:
        nonlocal task
        asyncio.set_event_loop(loop)
        try:
            task = loop.create_task(main())
            started.set()
            loop.run_until_complete(task)
        except BaseException as exc:
            outcome.append(exc)
        finally:
            started.set()
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
                finished.set()

    try:
        threading.Thread(target=target, name="workbench-runner", daemon=True).start()
        while not finished.wait(0.05):
            pass
    except KeyboardInterrupt:
        started.wait()
        if task is not None and not finished.is_set():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing left to cancel
                loop.call_soon_threadsafe(task.cancel)
        finished.wait()
        raise Interrupted(results) from None
    if outcome and not isinstance(outcome[0], asyncio.CancelledError):
        raise outcome[0]


def call(
    body: dict[str, Any],
    *,
    backend: Backend,
    trial: int = 0,
    stream: bool = False,
    cache: ResponseCache | str | Path | bool | None = None,
    timeout_s: float | None = None,
    max_attempts: int | None = None,
    backoff: Backoff | None = None,
) -> ModelCall:
    """One model call with the runner's retries and cache (sync; also inside a running loop)."""
    job = Job(body, backend, trial, stream)
    (result,) = run_calls_sync(
        [job], cache=cache, timeout_s=timeout_s, max_attempts=max_attempts, backoff=backoff, concurrency=1
    )
    return result.call
