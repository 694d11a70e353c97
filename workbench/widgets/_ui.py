"""The one path by which work in other threads updates widgets: a queue drained on the kernel's own thread.

ipywidgets are not thread-safe: ``hold_sync`` and the property lock are plain per-widget state, and
ipykernel opens a zmq socket for each thread that sends a comm message (closed only every 10 s after
the thread ends). The composed ``Workbench`` once lost every widget ("Cannot send": the front end's
comms were gone, so Run evaluation did nothing); it was not reproduced, but the code then set traits
from up to six threads at once (three side-by-side columns, the eval's workers reporting progress, the
eval plan, the task thread), the one unsafe thing it did with the comms. So no worker thread touches a
widget any more: it hands the update to ``UiThread.call``, which runs it at once on the thread that built the
widget, and from any other thread queues it and wakes that thread's event loop (the kernel's), which
drains the queue in order. Without a running event loop (a script, the tests) there are no comms to
race on: an update then runs where it is called, one at a time.
"""

from __future__ import annotations

import asyncio
import ctypes
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets

from workbench.widgets._common import clear_error, show_error

__all__ = ["Progress", "Task", "UiThread"]


class UiThread:
    """The widget's own thread (the one that built it) and its event loop, if one is running there."""

    def __init__(self) -> None:
        self.thread = threading.current_thread()
        try:
            self.loop: Any = asyncio.get_running_loop()  # the kernel's, inside a notebook cell
        except RuntimeError:
            self.loop = None
        self.queue: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self.lock = threading.RLock()
        self.queued = 0  # updates handed over from other threads (a figure for tests and diagnosis)
        #: ``time.monotonic()`` when work last reported progress through ``Progress`` (the stall guard reads it)
        self.last_progress = time.monotonic()

    @property
    def here(self) -> bool:
        """True on the widget's own thread."""
        return threading.current_thread() is self.thread

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the widget's thread: now when called there, else as soon as its loop is free."""
        if self.here:
            fn(*args)
            return
        if self.loop is None:
            with self.lock:  # no event loop, so no comms: one update at a time is enough
                fn(*args)
            return
        self.queue.append((fn, args))
        self.queued += 1
        try:
            self.loop.call_soon_threadsafe(self.drain)
        except RuntimeError:  # the loop has closed (the kernel is shutting down): nothing listens any more
            self.queue.clear()

    def drain(self) -> None:
        """Run the queued updates in order (on the widget's thread); one that fails does not stop the rest."""
        while self.queue:
            fn, args = self.queue.popleft()
            try:
                fn(*args)
            except Exception as exc:  # a display update must not kill the kernel's loop callback
                import sys

                print(f"workbench: a widget update failed: {type(exc).__name__}: {exc}", file=sys.stderr)


class Task:
    """Run long work in a background thread so the notebook stays responsive.

    While it runs, ``buttons`` are disabled; when it ends they are enabled again. The work itself must
    not touch widgets: what it returns goes to ``on_done``, which runs on the widget's thread (``ui``,
    see ``_ui``), like the re-enabled buttons and the error line. An exception becomes a one-line message
    in ``error`` (and is kept in ``exception``), never a traceback.

    ``interruptible``: the work runs inside an event loop of its own thread, so the runner
    (``llm.runner.run_calls_sync``) waits for its calls in short polls, and ``cancel()`` (a
    KeyboardInterrupt raised in that thread, as Ctrl-C is in a cell) stops calls in flight within
    about 50 ms, through the same path as Ctrl-C: finished trials stay in the log.
    """

    def __init__(
        self,
        *,
        buttons: Sequence[widgets.Button] = (),
        error: widgets.HTML | None = None,
        interruptible: bool = False,
    ) -> None:
        self.buttons = tuple(buttons)
        self.error = error
        self.interruptible = interruptible
        self.ui = UiThread()
        self.thread: threading.Thread | None = None
        self.exception: BaseException | None = None
        self.result: Any = None
        self.cancelled = False
        self._lock = threading.Lock()
        self._in_work = False  # a cancel is only sent while the work itself runs

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(
        self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], Any] | None = None
    ) -> threading.Thread | None:
        """Start ``fn(*args)`` unless a run is already going (then return ``None``)."""
        if self.running:
            return None
        self.exception = self.result = None
        self.cancelled = False
        self.ui.last_progress = time.monotonic()
        for b in self.buttons:
            b.disabled = True
        if self.error is not None:
            clear_error(self.error)

        def target() -> None:
            result, error = self._work(fn, args)
            self.result = result
            if error is not None:
                self.ui.call(self._failed, error)
            elif on_done is not None:
                self.ui.call(self._done, on_done, result)
            self.ui.call(self._enable)

        with self._lock:
            self._in_work = True
        self.thread = threading.Thread(target=target, name="workbench-widget", daemon=True)
        self.thread.start()
        return self.thread

    def _work(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> tuple[Any, BaseException | None]:
        """``fn(*args)`` as ``(result, error)``; a cancel arriving as it returns is caught here too."""
        result: Any = None
        error: BaseException | None = None
        try:
            try:
                result = asyncio.run(_in_a_loop(fn, args)) if self.interruptible else fn(*args)
            except (Exception, KeyboardInterrupt) as exc:  # shown in the widget, never a traceback
                error = exc
            finally:
                with self._lock:
                    self._in_work = False
        except KeyboardInterrupt as exc:  # a cancel that landed just as the work returned
            error = error or exc
        return result, error

    def cancel(self) -> bool:
        """Interrupt the running work (a KeyboardInterrupt in its thread); True when one was sent."""
        with self._lock:
            thread = self.thread
            if not self._in_work or thread is None or thread.ident is None or not thread.is_alive():
                return False
            sent = ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(thread.ident), ctypes.py_object(KeyboardInterrupt)
            )
            if sent == 1:  # one interrupt per run: a second could cut its clean-up short
                self._in_work, self.cancelled = False, True
        return self.cancelled

    def _done(self, on_done: Callable[[Any], Any], result: Any) -> None:
        try:
            on_done(result)
        except Exception as exc:
            self._failed(exc)

    def _failed(self, exc: BaseException) -> None:
        self.exception = exc
        if self.error is not None:  # a bare KeyboardInterrupt is a cancel that came before any work was done
            show_error(self.error, exc if str(exc) else "cancelled")

    def _enable(self) -> None:
        for b in self.buttons:
            b.disabled = False

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the run; True when it has finished."""
        if self.thread is not None:
            self.thread.join(timeout)
        return not self.running


async def _in_a_loop(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """``fn(*args)`` with an event loop running in its thread (see ``Task``'s ``interruptible``)."""
    return fn(*args)


class Progress:
    """An eval's progress callback, called from its worker threads: at most every ``every_s`` seconds (and
    always for the last trial) one update is handed to the widget's thread (``ui``), so a large run sends
    tens of comm messages, not thousands, and none from a worker thread."""

    def __init__(
        self,
        bar: widgets.IntProgress,
        status: widgets.HTML,
        every_s: float = 0.25,
        ui: UiThread | None = None,
    ) -> None:
        self.bar, self.status, self.every_s = bar, status, every_s
        self.ui = ui or UiThread()
        self.lock = threading.Lock()
        self.last = 0.0
        self.updates = 0

    def __call__(self, done: int, total: int, *_: Any) -> None:
        with self.lock:
            now = self.ui.last_progress = time.monotonic()
            if done < total and now - self.last < self.every_s:
                return
            self.last = now
            self.updates += 1
            self.ui.call(self._show, done, total)  # under the lock: updates are handed over in order

    def _show(self, done: int, total: int) -> None:
        with self.bar.hold_sync():
            self.bar.max, self.bar.value = max(total, 1), done
        self.status.value = f"{done} / {total} trials"
