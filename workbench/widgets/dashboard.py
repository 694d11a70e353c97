"""``Dashboard``: evaluate variants over a question set (k trials each), or load a stored run, and explore it.

A run is shown as: metrics side by side with their intervals, a cost-vs-accuracy
chart, and a question x variant grid of correct trials; clicking a cell shows that
cell's trials (query, findings, result) next to the gold. A run of conversations (``eval
--conversations``) adds the chain view (``_chain_view.ChainView``): chain metrics and a chain grid.

The dashboard only composes parts with one job each: ``_run_panel.RunPanel`` (the run and load controls
and the work behind them), ``_plan_panel.PlanPanel`` (the eval's plan for priced models),
``_run_view.MetricsTable``, ``_charts.AccuracyChart``, ``_cells.CellExplorer`` (the grid, the clicked
cell's detail and the gold results) and ``ChainView``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from workbench.evaluation.metrics import QuestionCounts
from workbench.evaluation.run import EvalRun
from workbench.widgets._cells import CellExplorer
from workbench.widgets._chain_view import ChainView
from workbench.widgets._charts import AccuracyChart
from workbench.widgets._common import clear_error, ensure_prompt, ensure_questions, error_widget, show_error
from workbench.widgets._grid import CellGrid
from workbench.widgets._heartbeat import STALL_S, EvalWatch
from workbench.widgets._plan_panel import PlanPanel
from workbench.widgets._run_panel import RunPanel
from workbench.widgets._run_view import MetricsTable, RunView

__all__ = ["Dashboard", "RunView"]


class Dashboard(widgets.VBox):
    """Run a question set over variants with k trials, or load a run, and explore the results.

    Args:
        question_set: a ``QuestionSet`` or its path.
        prompts: bound ``Prompt`` objects or variant names/paths.
        dataset: where queries run (default: the embedded telemetry).
        trials: trials per question (the slider's start value).
        store: the experiment log path (default: the project's ``runs/runs.duckdb``).
    """

    #: seconds without a finished model call before "no progress" and Cancel show (set it on an instance
    #: before starting a run, or on the class for every dashboard)
    stall_s: float = STALL_S

    def __init__(
        self,
        question_set: Any,
        prompts: Sequence[Any] = ("naive", "honeycomb", "compact"),
        dataset: Any = None,
        *,
        trials: int = 3,
        concurrency: int = 4,
        store: str | Path | None = None,
    ) -> None:
        super().__init__()
        self.add_class("wb-dashboard")
        self.error = error_widget()
        self.prompts: list[Any] = []
        self.questions = None
        try:
            self.questions = ensure_questions(question_set)
            if dataset is None:
                from workbench.dataset.source import open_dataset

                dataset = open_dataset()
            self.prompts = [ensure_prompt(p, dataset) for p in prompts]
        except Exception as exc:
            show_error(self.error, exc)
        self.dataset = dataset
        n_questions = len(self.questions) if self.questions is not None else 0
        self.runner = RunPanel(
            trials=trials, concurrency=concurrency, n_questions=n_questions, store=store, error=self.error
        )
        self.plan = PlanPanel()
        self.runner.trials.observe(lambda change: self.plan.show(change["new"]), names="value")
        self.plan.show(trials)
        self.plan.start(self.questions, self.prompts, self.error)
        self.metrics_html = MetricsTable()
        self.chart = AccuracyChart()
        self.explorer = CellExplorer(dataset, self.error)
        self.chains = ChainView()  # shown for runs of conversations only
        self.watch = EvalWatch(self)  # heartbeat, stall guard, a run started before a re-run
        self.run_button.on_click(lambda _: self.start())
        self.load_button.on_click(lambda _: self._load_clicked())
        run_row, progress_row, load_row = self.runner.rows()
        progress_row.children = (*progress_row.children, self.watch.guard)
        self.children = [
            self.watch.heartbeat,
            run_row,
            progress_row,
            self.plan,
            load_row,
            self.error,
            self.metrics_html,
            self.chart,
            self.chains,
            self.explorer.box(),
        ]
        self.runner.refresh_run_ids()

    # ----------------------------------------------------------------- the parts' widgets, as before the split

    store_path = property(
        lambda self: self.runner.store_path, doc="The experiment log path (None: the project's)."
    )
    trials = property(lambda self: self.runner.trials, doc="The trials-per-question slider.")
    concurrency = property(lambda self: self.runner.concurrency, doc="The concurrent trials box.")
    run_button = property(lambda self: self.runner.run_button, doc="Run evaluation.")
    progress = property(lambda self: self.runner.progress, doc="The run's progress bar.")
    status = property(lambda self: self.runner.status, doc="The status line (``wb-status``).")
    run_id = property(lambda self: self.runner.run_id, doc="The run id box (a logged run's id or prefix).")
    load_button = property(lambda self: self.runner.load_button, doc="Load run.")
    task = property(lambda self: self.runner.task, doc="The background ``Task`` of a run or a load.")
    plan_thread = property(
        lambda self: self.plan.thread, doc="The thread computing the plan (None: every model is free)."
    )

    @property
    def figure(self) -> Any:
        """The cost-vs-accuracy figure of the run shown (None before one)."""
        return self.chart.figure

    @property
    def grid(self) -> CellGrid:
        """The question x variant grid."""
        return self.explorer.grid

    @property
    def detail(self) -> widgets.HTML:
        """The clicked cell's trials next to the gold."""
        return self.explorer.detail

    @property
    def cells(self) -> dict[tuple[str, str], QuestionCounts]:
        """Correct trials and trials per ``(question id, variant)`` of the run shown."""
        return self.explorer.cells

    @property
    def selected(self) -> tuple[str, str] | None:
        """The ``(question id, variant)`` shown in the detail."""
        return self.explorer.selected

    @property
    def view(self) -> RunView | None:
        """The run shown (None before one)."""
        return self.explorer.view

    # ----------------------------------------------------------------- running and loading

    def run(self, trials: int | None = None) -> RunView:
        """Evaluate every prompt on the question set (synchronously) and show the run."""
        k = self.runner.begin(self.questions, self.prompts, trials)
        return self._finished(self._evaluate(k))

    def _evaluate(self, k: int) -> Any:
        """The eval on a worker thread (``RunPanel.evaluate`` touches no widget)."""
        return self.runner.evaluate(self.questions, self.prompts, self.dataset, k)

    def _finished(self, run: Any) -> RunView:
        """On the widget's thread: show the finished run."""
        view = self.show(RunView(run, {q.id: q.gold for q in self.questions}))
        self.runner.announce(str(view.run_id), "finished", len(view.trials))
        self.runner.refresh_run_ids()
        return view

    def start(self) -> threading.Thread | None:
        """Run in the background (the Run button); returns the thread, or None if one is running.

        The worker thread only evaluates; the progress and the finished run reach the widgets on their own
        thread (``_ui.UiThread``)."""
        if self.task.running:
            return None
        try:
            k = self.runner.begin(self.questions, self.prompts, None)
        except Exception as exc:
            show_error(self.error, exc)
            return None
        thread = self.task.start(self._evaluate, k, on_done=self._finished)
        self.watch.started()
        return thread

    def load(self, run_id: str) -> RunView:
        """Show a stored run (an id or a unique prefix) without re-running it."""
        return self._loaded(self.runner.read_run(run_id))

    def _loaded(self, run: Any) -> RunView:
        view = self.show(run)
        self.runner.announce(str(view.run_id), "loaded", len(view.trials))
        return view

    def _load_clicked(self) -> None:
        if not self.run_id.value.strip():
            show_error(self.error, "type or pick a run id first")
            return
        self.task.start(self.runner.read_run, self.run_id.value, on_done=self._loaded)

    # ----------------------------------------------------------------- showing

    def show(self, run: Any) -> RunView:
        """Show a run: a ``RunView``, an ``EvalRun`` or a ``runs.Run`` (a logged conversation run adds the chain view)."""
        from workbench.evaluation.chains import chain_eval_from_run

        chains = None if isinstance(run, EvalRun | RunView) else chain_eval_from_run(run)
        if isinstance(run, EvalRun):
            run = RunView(run, {q.id: q.gold for q in self.questions or ()})
        view = run if isinstance(run, RunView) else RunView.from_log(run)
        clear_error(self.error)
        if view.run_id:
            self.run_id.value = view.run_id
        self.metrics_html.show(view)
        self.chart.show(view.metrics)
        self.explorer.show(view)
        self.chains.show(chains, view.golds, self.explorer.now)
        return view

    def select(self, question_id: str, variant: str) -> None:
        """Show one cell: the trials of ``variant`` on ``question_id``, and the gold."""
        self.explorer.select(question_id, variant)
