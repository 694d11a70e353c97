"""Work an eval hands to threads, guarded, and the phase timings those threads add to.

:class:`Tasks` submits functions to executors so that the first exception stops the run: later
tasks do nothing, and :meth:`Tasks.drain` re-raises it. Only unfinished tasks are tracked (a
long run keeps no per-trial futures). :class:`Timings` is the run's thread-safe stopwatch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, wait
from typing import Any

__all__ = ["TIMING_KEYS", "Tasks", "Timings"]

#: the phase and thread timings every eval reports (``EvalRun.timings``)
TIMING_KEYS = ("render_s", "calls_s", "repair_s", "drain_s", "model_ms", "judge_ms", "execute_ms", "match_ms",
               "record_ms")  # fmt: skip


class Timings(dict[str, float]):
    """Seconds and milliseconds by name (``TIMING_KEYS`` start at 0); ``add`` is thread-safe."""

    def __init__(self) -> None:
        super().__init__(dict.fromkeys(TIMING_KEYS, 0.0))
        self._lock = threading.Lock()

    def add(self, key: str, value: float) -> None:
        with self._lock:
            self[key] = self.get(key, 0.0) + value


class Tasks:
    """Guarded tasks on executors: the first failure is kept, stops later tasks and is re-raised."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: set[Future[Any]] = set()
        self.failure: BaseException | None = None

    @property
    def stopping(self) -> bool:
        """A task failed: the run is stopping, record nothing more."""
        return self.failure is not None

    def submit(self, executor: Executor, fn: Callable[..., Any], *args: Any) -> None:
        with self._lock:  # registered before it can finish, so drain() never misses it
            future = executor.submit(self._guard, fn, *args)
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    def _guard(self, fn: Callable[..., Any], *args: Any) -> None:
        if self.failure is not None:
            return
        try:
            fn(*args)
        except BaseException as exc:
            with self._lock:
                if self.failure is None:
                    self.failure = exc

    def drain(self) -> float:
        """Wait until no task is left (tasks may submit more); re-raise the first failure. Returns the seconds waited."""
        t0 = time.perf_counter()
        while True:
            with self._lock:
                todo = [f for f in self._pending if not f.done()]
            if not todo:
                break
            wait(todo)
        waited = time.perf_counter() - t0
        self.raise_failure()
        return waited

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure
