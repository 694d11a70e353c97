"""A progress bar over model calls, in a terminal or a notebook: the runner's ``progress`` callback."""

from __future__ import annotations

from typing import Any

from tqdm.auto import tqdm  # picks the notebook bar in Jupyter

from workbench.llm.runner import Result

__all__ = ["ProgressBar", "progress_callback"]


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


def progress_callback(progress: Any) -> Any:
    """``evaluate``'s ``progress``: ``True`` for a bar, a callback as it is, anything else for none."""
    if progress is True:
        return ProgressBar()
    return progress if callable(progress) else None
