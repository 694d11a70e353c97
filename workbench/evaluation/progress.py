"""Progress over model calls, the runner's ``progress`` callback: a bar in a terminal or a notebook,
or one line now and then when stderr is a log file or a CI job (no terminal to redraw)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from tqdm.auto import tqdm  # picks the notebook bar in Jupyter

from workbench.llm.runner import Result

__all__ = ["ProgressBar", "ProgressLines", "progress_callback"]


class ProgressBar:
    """``fn(done, total, result)`` drawing a tqdm bar with the errors and cache hits so far.

    One bar per run of the runner: it starts with the first result and ends when the runner
    calls ``close()``, so the same object serves the first calls and then the repairs.
    """

    def __init__(self) -> None:
        self.bar: Any = None
        self.errors = self.cached = 0

    def __call__(self, done: int, total: int, result: Result) -> None:
        if self.bar is None:
            self.bar = tqdm(total=total, unit="call", desc="model calls", dynamic_ncols=True)
            self.errors = self.cached = 0
        self.errors += result.call.error is not None
        self.cached += result.call.cache_hit
        self.bar.set_postfix(errors=self.errors, cached=self.cached, refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class ProgressLines:
    """``fn(done, total, result)`` writing one line every ``every_s`` seconds (and at the end) to ``stream``.

    For a long eval whose stderr is not a terminal: ``workbench: model calls 120/560 (21%), 2 errors,
    10 cached, 4m10s elapsed, about 15m left``.
    """

    def __init__(
        self, every_s: float = 30.0, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.every_s, self.stream, self.clock = every_s, stream, clock
        self.start: float | None = None
        self.last = 0.0
        self.errors = self.cached = 0

    def __call__(self, done: int, total: int, result: Result) -> None:
        now = self.clock()
        if self.start is None or done == 1:
            self.start, self.last, self.errors, self.cached = now, now, 0, 0
        self.errors += result.call.error is not None
        self.cached += result.call.cache_hit
        if now - self.last >= self.every_s or done == total:
            self.last = now
            print(self.line(done, total, now - self.start), file=self.stream or sys.stderr, flush=True)

    def line(self, done: int, total: int, elapsed: float) -> str:
        left = f", about {_duration(elapsed / done * (total - done))} left" if 0 < done < total else ""
        return (
            f"workbench: model calls {done}/{total} ({done / total:.0%}), {self.errors} errors, "
            f"{self.cached} cached, {_duration(elapsed)} elapsed{left}"
        )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def progress_callback(progress: Any) -> Any:
    """``evaluate``'s ``progress``: ``True`` for a bar, ``"lines"`` for periodic lines on stderr,
    a callback as it is, anything else for none."""
    if progress is True:
        return ProgressBar()
    if progress == "lines":
        return ProgressLines()
    return progress if callable(progress) else None
