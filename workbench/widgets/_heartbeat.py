"""Is the browser still talking to the kernel, and is the dashboard's eval still moving? Both made visible.

``Heartbeat`` (an anywidget): its browser side sends a ping every ``interval_ms`` and the kernel answers
each with a pong, on the kernel's own thread (where comm messages are handled). When no pong has come
for ``timeout_ms``, or ``model.send`` throws (the comm is gone: JupyterLab's "Cannot send"), the browser
shows a banner inside the widget: what happened and what to do. A pong hides it again (a cell that ran
long kept the kernel busy; it was not lost).

``StallGuard``: the kernel side of a running eval. When no model call has finished for ``stall_s``
seconds (default 120), it shows "no progress for N s" with a Cancel button, which interrupts the eval
(``_ui.Task.cancel``: finished trials stay in the log, the run is marked cancelled). It is checked on
every ping, so on the kernel's thread without a timer thread of its own.

A run outlives its widgets: the eval thread keeps running and recording trials when the front end is
gone. ``EvalWatch`` remembers the last dashboard of each experiment log that started a run in this
kernel, so a dashboard made by running the cell again follows that run (its progress, the stall guard,
Cancel) and shows it when it ends.
"""

from __future__ import annotations

import sys
import time
import weakref
from collections.abc import Callable
from typing import Any

import anywidget
import ipywidgets as widgets
import traitlets

from workbench.widgets._common import fragment
from workbench.widgets._ui import Task

__all__ = ["LOST_ADVICE", "STALL_S", "EvalWatch", "Heartbeat", "StallGuard"]

#: seconds without a finished model call before the stall guard offers Cancel
STALL_S = 120.0

LOST_ADVICE = (
    "If a cell is still running, this clears when it ends. Otherwise run this cell again: "
    "finished runs are kept in the experiment log (workbench runs list), and a run still going "
    "shows in the new dashboard when it ends."
)

_ESM = r"""
function render({ model, el }) {
  el.classList.add("wb-heartbeat-root");
  const banner = document.createElement("div");
  banner.className = "wb-lost";
  banner.setAttribute("role", "alert");
  banner.hidden = true;
  el.appendChild(banner);
  let seq = 0, lastPong = Date.now(), shown = "";
  const show = (why) => {
    if (why === shown) return;
    shown = why;
    banner.hidden = !why;
    if (!why) { banner.replaceChildren(); delete el.dataset.lostAt; return; }
    if (!el.dataset.lostAt) el.dataset.lostAt = String(Date.now());
    const head = document.createElement("b");
    head.textContent = "The widgets lost their connection to the kernel";
    const advice = document.createElement("div");
    advice.textContent = model.get("advice");
    banner.replaceChildren(head, " (" + why + ").", advice);
  };
  const onMessage = (msg) => {
    if (msg && msg.pong !== undefined) {
      lastPong = Date.now();
      el.dataset.lastPong = String(lastPong);  // for the browser test: when the kernel last answered
      el.dataset.pongs = String(Number(el.dataset.pongs || 0) + 1);
      show("");
    }
  };
  model.on("msg:custom", onMessage);
  const tick = () => {
    try {
      model.send({ ping: ++seq });
    } catch (err) {
      show("Cannot send: " + ((err && err.message) || err));
      return;
    }
    const quiet = Date.now() - lastPong;
    if (quiet > model.get("timeout_ms")) show("no answer for " + Math.round(quiet / 1000) + " s");
  };
  const timer = setInterval(tick, model.get("interval_ms"));
  tick();
  return () => { clearInterval(timer); model.off("msg:custom", onMessage); };
}
export default { render };
"""

_CSS = """
.wb-lost { background: #fdecea; color: #7a1c13; border: 1px solid #e0a39c; border-left: 4px solid #c0392b;
  padding: 6px 10px; margin: 4px 0; font-size: 13px; line-height: 1.4; }
.wb-lost[hidden] { display: none; }
"""


class Heartbeat(anywidget.AnyWidget):
    """Ping from the browser, pong from the kernel; a banner in the browser when the pongs stop.

    ``listeners`` run on each ping (on the kernel's thread). ``answering = False`` makes the kernel
    ignore pings, as a lost connection would (a test hook: the browser test shows the banner so).
    """

    _esm = _ESM
    _css = _CSS
    interval_ms = traitlets.Int(2000).tag(sync=True)
    timeout_ms = traitlets.Int(8000).tag(sync=True)
    advice = traitlets.Unicode(LOST_ADVICE).tag(sync=True)
    answering = traitlets.Bool(True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("wb-heartbeat")
        self.pings = 0
        self.listeners: list[Callable[[], Any]] = []
        self.on_msg(self._message)

    def _message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or "ping" not in content:
            return
        self.pings += 1
        for listener in list(self.listeners):
            try:
                listener()
            except Exception as exc:  # a listener's bug must not stop the pongs
                print(f"workbench: a heartbeat listener failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        if self.answering:
            self.send({"pong": content["ping"]})


class StallGuard(widgets.HBox):
    """ "no progress for N s" and a Cancel button, shown while ``task`` runs with no progress for ``stall_s``.

    Progress is ``task.ui.last_progress``, which ``_ui.Progress`` sets on every finished model call.
    """

    def __init__(self, stall_s: float = STALL_S, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(layout=widgets.Layout(display="none", align_items="center"))
        self.add_class("wb-stall")
        self.stall_s, self.clock = float(stall_s), clock
        self.task: Task | None = None
        self.message = widgets.HTML()
        self.cancel_button = widgets.Button(description="Cancel", button_style="danger", icon="stop")
        self.cancel_button.add_class("wb-stall-cancel")
        self.cancel_button.on_click(lambda _: self.cancel())
        self.children = [self.message, self.cancel_button]

    @property
    def stalled(self) -> bool:
        return self.layout.display != "none" and not self.cancel_button.disabled

    def watch(self, task: Task) -> None:
        self.task = task
        self.cancel_button.layout.display = None
        self.check()

    def quiet_s(self) -> float:
        """Seconds since the watched run last made progress (0 when nothing runs)."""
        if self.task is None or not self.task.running:
            return 0.0
        return max(0.0, self.clock() - self.task.ui.last_progress)

    def check(self) -> bool:
        """Show or hide the stall line (on the widget's thread); True when the run is stalled."""
        task = self.task
        if task is not None and task.cancelled and not task.running:
            self._cancelled(task.exception)
            return False
        if task is None or not task.running:
            self.layout.display = "none"
            return False
        if task.cancelled:
            return False  # "cancelling…" stays until the run ends
        quiet = self.quiet_s()
        if quiet < self.stall_s:
            self.layout.display = "none"
            return False
        with self.hold_sync():
            self.message.value = (
                f"<b>no progress for {quiet:.0f} s</b>: no model call has finished since then (the model may "
                "be down or very slow). Cancel keeps the finished trials in the experiment log."
            )
            self.cancel_button.disabled = False
            self.layout.display = None
        return True

    def _cancelled(self, exc: BaseException | None) -> None:
        """The cancelled run has ended: what was kept and how to finish it."""
        run_id = getattr(exc, "run_id", None)
        kept = f"{exc.finished} of {exc.total} trials" if hasattr(exc, "finished") else "the finished trials"
        text = fragment("run_cancelled", run_id=run_id, kept=kept)
        with self.hold_sync():
            self.message.value = text
            self.cancel_button.layout.display = "none"
            self.layout.display = None

    def cancel(self) -> bool:
        """Interrupt the watched run; True when it was interrupted."""
        if self.task is None or not self.task.cancel():
            return False
        with self.hold_sync():
            self.message.value = (
                "<b>cancelling…</b> the calls in flight are stopped, finished trials are kept"
            )
            self.cancel_button.disabled = True
            self.layout.display = None
        return True


#: per experiment log, the dashboard that last started a run in this kernel
_LAST_STARTED: dict[str, weakref.ref[Any]] = {}


def _log_key(store: Any) -> str:
    from pathlib import Path

    from workbench.core.paths import runs_path

    return str(Path(store or runs_path()).resolve())


class EvalWatch:
    """A dashboard's heartbeat and stall guard, and the run an earlier dashboard of the same log started.

    The dashboard needs ``task`` (an interruptible ``Task``), ``store_path``, ``status``, ``error``,
    ``show(run)``, ``progress`` (an ``IntProgress``) and ``stall_s``.
    """

    def __init__(self, dashboard: Any) -> None:
        self.dashboard = dashboard
        self.key = _log_key(dashboard.store_path)
        self.heartbeat = Heartbeat()
        self.guard = StallGuard(dashboard.stall_s)
        self.guard.watch(dashboard.task)
        self.following: Any = None  # an earlier dashboard whose run this one shows when it ends
        earlier = _LAST_STARTED.get(self.key)
        earlier = earlier() if earlier is not None else None
        if earlier is not None and earlier is not dashboard and earlier.task.thread is not None:
            self.following = earlier
            self.guard.watch(earlier.task)
        self.heartbeat.listeners.append(self.check)
        self.check()

    def started(self) -> None:
        """The dashboard started a run: a dashboard made later follows it."""
        self.following = None
        self.guard.stall_s = float(self.dashboard.stall_s)
        self.guard.watch(self.dashboard.task)
        _LAST_STARTED[self.key] = weakref.ref(self.dashboard)

    def check(self) -> None:
        """On the kernel's thread (each ping): the stall guard, and the followed run's progress or end."""
        self.guard.check()
        earlier = self.following
        if earlier is None:
            return
        dash, task = self.dashboard, earlier.task
        if task.running:
            dash.progress.max, dash.progress.value = earlier.progress.max, earlier.progress.value
            dash.status.value = (
                "a run started before this cell ran again is still going: "
                f"{earlier.progress.value} / {earlier.progress.max} calls; it shows here when it ends"
            )
            return
        self.following = None
        if task.exception is not None or task.result is None:
            from workbench.widgets._common import show_error

            show_error(dash.error, task.exception or "the earlier run ended without a result")
            return
        view = dash.show(task.result)
        dash.status.value = fragment("earlier_run_finished", run_id=view.run_id)
