"""``PlanPanel``: the dashboard's eval plan (calls, tokens and the cost bound), for priced models only.

The plan renders every request, a second or two for a large set, so a thread computes it; what it
shows reaches the widget on the widget's own thread (``_ui.UiThread``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets

from workbench.widgets._common import fragment, show_error
from workbench.widgets._ui import UiThread

__all__ = ["PlanPanel"]


class PlanPanel(widgets.HTML):
    """The plan's lines (``wb-plan``) for the trials per question chosen; empty when every model is free."""

    def __init__(self) -> None:
        super().__init__()
        self.add_class("wb-plan")
        self.plan: Any = None  # an ``evaluation.plan`` plan for one trial, once computed
        self.thread: threading.Thread | None = None
        self.trials = 1  # per question, as the dashboard's slider last said

    def start(self, questions: Any, prompts: Sequence[Any], error: widgets.HTML) -> threading.Thread | None:
        """When a variant's model costs money, compute the plan in the background and show it; returns the
        thread, if any (a failure shows in ``error``: a plan is a courtesy, it never blocks the dashboard)."""
        from workbench.core.prices import cost_usd

        if questions is None or all(cost_usd(p.variant.model, 1_000, 1_000) == 0 for p in prompts):
            return None
        self.value = "<i>computing the eval's plan…</i>"
        ui = UiThread()

        def work() -> None:  # computes only: what it shows goes through ``ui``
            from workbench.evaluation.plan import plan_eval

            try:
                self.plan = plan_eval(questions, prompts, 1)
            except Exception as exc:
                ui.call(show_error, error, exc)
            ui.call(self.show)

        self.thread = threading.Thread(target=work, name="workbench-plan", daemon=True)
        self.thread.start()
        return self.thread

    def show(self, trials: int | None = None) -> None:
        """Show the plan for ``trials`` per question (the last number given by default); nothing while it is
        being computed, or without one."""
        self.trials = trials or self.trials
        if self.plan is None:
            return
        self.value = fragment("lines", lines=self.plan.with_trials(self.trials).lines())
