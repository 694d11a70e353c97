"""``RunPanel``: the dashboard's controls to run an evaluation or load a logged run, and the work behind them.

``evaluate`` and ``read_run`` touch no widget (the ``Task``'s worker thread runs them): the progress goes
through ``_ui.Progress``, the result to the ``on_done`` the dashboard gives, on the widget's own thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from workbench.widgets._common import fragment
from workbench.widgets._ui import Progress, Task

__all__ = ["RunPanel"]


class RunPanel:
    """Trials and concurrency, Run evaluation, the progress and status, a run id and Load run.

    Args:
        trials: the slider's start value.
        concurrency: the concurrent trials' start value.
        n_questions: the questions there are to run (the first status line).
        store: the experiment log path (default: the project's ``runs/runs.duckdb``).
        error: the error line a failed run or load shows in.
    """

    def __init__(
        self,
        *,
        trials: int,
        concurrency: int,
        n_questions: int,
        store: str | Path | None,
        error: widgets.HTML,
    ) -> None:
        self.store_path = store
        self.trials = widgets.IntSlider(
            value=trials, min=1, max=10, description="trials", continuous_update=False
        )
        self.concurrency = widgets.BoundedIntText(
            value=concurrency, min=1, max=64, description="concurrency", layout=widgets.Layout(width="180px")
        )
        self.run_button = widgets.Button(description="Run evaluation", button_style="primary", icon="play")
        self.run_button.add_class("wb-eval-run")
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="progress")
        self.progress.add_class("wb-progress")
        self.status = widgets.HTML(f"{n_questions} questions")
        self.status.add_class("wb-status")
        self.run_id = widgets.Combobox(
            placeholder="run id (or a unique prefix)",
            ensure_option=False,
            layout=widgets.Layout(width="260px"),
        )
        self.load_button = widgets.Button(description="Load run", icon="folder-open")
        self.task = Task(buttons=[self.run_button, self.load_button], error=error, interruptible=True)

    def rows(self) -> tuple[widgets.HBox, widgets.HBox, widgets.HBox]:
        """The run controls, the progress line and the load controls, in reading order."""
        return (
            widgets.HBox([self.trials, self.concurrency, self.run_button]),
            widgets.HBox([self.progress, self.status]),
            widgets.HBox([self.run_id, self.load_button]),
        )

    def begin(self, questions: Any, prompts: Sequence[Any], trials: int | None) -> int:
        """On the widget's thread: check there is something to run, reset the progress; the trials per question."""
        if questions is None or not prompts:
            raise ValueError("a question set and at least one variant are needed to run")
        k = trials or self.trials.value
        total = len(questions) * k * len(prompts)
        self.progress.max, self.progress.value = max(total, 1), 0
        self.status.value = f"running {total} trials…"
        return k

    def evaluate(self, questions: Any, prompts: Sequence[Any], dataset: Any, k: int) -> Any:
        """The eval itself, touching no widget (a worker thread runs it): progress goes through ``Progress``."""
        from workbench.evaluation.evaluate import evaluate

        return evaluate(
            questions,
            prompts,
            dataset=dataset,
            trials=k,
            concurrency=self.concurrency.value,
            cache=True,
            store=self.store_path or True,
            progress=Progress(self.progress, self.status, ui=self.task.ui),
            name="dashboard",
        )

    def read_run(self, run_id: str) -> Any:
        """A logged run (an id or a unique prefix), touching no widget."""
        from workbench.store.runs import RunStore

        return RunStore(self.store_path).load_run(run_id.strip())

    def announce(self, run_id: str, verb: str, n_trials: int) -> None:
        """On the widget's thread: the status line of a run ``verb`` (``finished`` or ``loaded``)."""
        self.status.value = fragment("run_status", run_id=run_id, verb=verb, n_trials=n_trials)

    def refresh_run_ids(self) -> None:
        """The run id box offers the log's latest 50 runs (nothing when there is no log yet)."""
        from workbench.core.paths import runs_path
        from workbench.store.runs import RunStore

        try:
            path = Path(self.store_path) if self.store_path else None
            if not (path or runs_path()).exists():
                return
            self.run_id.options = [s.run_id for s in RunStore(self.store_path).list_runs()[:50]]
        except Exception:  # an unreadable log must not break the dashboard: loading will say why
            return
