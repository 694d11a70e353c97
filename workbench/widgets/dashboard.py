"""``Dashboard``: evaluate variants over a question set (k trials each), or load a stored run, and explore it.

A run is shown as: metrics side by side with their intervals, a cost-vs-accuracy
chart, and a question x variant grid of correct trials; clicking a cell shows that
cell's trials (query, findings, result) next to the gold. A run of conversations (``eval
--conversations``) adds the chain view (``_chain_view.ChainView``): chain metrics and a chain grid.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from workbench.evaluation.metrics import QuestionCounts
from workbench.evaluation.run import EvalRun
from workbench.widgets._chain_view import ChainView
from workbench.widgets._charts import accuracy_figure, plotly_output
from workbench.widgets._common import (
    ERROR_COLOR,
    clear_error,
    ensure_prompt,
    ensure_questions,
    error_widget,
    message_of,
    result_table_html,
    show_error,
)
from workbench.widgets._grid import CellGrid, cell_key
from workbench.widgets._heartbeat import STALL_S, EvalWatch
from workbench.widgets._query_view import query_html
from workbench.widgets._run_view import RunView, cell_color, metrics_table_html, trial_html
from workbench.widgets._ui import Progress, Task, UiThread

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
        self.view: RunView | None = None
        self.selected: tuple[str, str] | None = None
        self.store_path = store
        self._gold_results: dict[str, Any] = {}
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
        self.plan = widgets.HTML()  # calls, tokens and the cost bound, for priced models only
        self.plan.add_class("wb-plan")
        self._plan = None
        self.trials.observe(lambda _: self._show_plan(), names="value")
        self.plan_thread = self._start_plan()
        self.run_id = widgets.Combobox(
            placeholder="run id (or a unique prefix)",
            ensure_option=False,
            layout=widgets.Layout(width="260px"),
        )
        self.load_button = widgets.Button(description="Load run", icon="folder-open")
        self.metrics_html = widgets.HTML()
        self.metrics_html.add_class("wb-metrics")
        self.chart = widgets.Output()
        self.chart.add_class("wb-chart")
        self.figure: Any = None
        self.cells: dict[tuple[str, str], QuestionCounts] = {}
        self.grid, self.detail = self._grid_and_detail()
        self.chains = ChainView()  # shown for runs of conversations only
        self.task = Task(buttons=[self.run_button, self.load_button], error=self.error, interruptible=True)
        self.watch = EvalWatch(self)  # heartbeat, stall guard, a run started before a re-run
        self.run_button.on_click(lambda _: self.start())
        self.load_button.on_click(lambda _: self._load_clicked())
        self.children = [
            self.watch.heartbeat,
            widgets.HBox([self.trials, self.concurrency, self.run_button]),
            widgets.HBox([self.progress, self.status, self.watch.guard]),
            self.plan,
            widgets.HBox([self.run_id, self.load_button]),
            self.error,
            self.metrics_html,
            self.chart,
            self.chains,
            widgets.HBox(
                [self.grid, self.detail], layout=widgets.Layout(align_items="flex-start", width="100%")
            ),
        ]
        self._refresh_run_ids()

    def _grid_and_detail(self) -> tuple[CellGrid, widgets.HTML]:
        """The grid (one widget) and, beside it, the clicked cell's detail (its own scroll, sticky)."""
        grid = CellGrid(layout=widgets.Layout(flex="1 1 55%", min_width="0"))
        grid.observe(self._grid_clicked, names="selected")
        detail = widgets.HTML(
            layout=widgets.Layout(flex="1 1 45%", min_width="0", max_height="640px", overflow="auto")
        )
        detail.add_class("wb-detail")
        return grid, detail

    # ----------------------------------------------------------------- the plan

    def _start_plan(self) -> threading.Thread | None:
        """When a variant's model costs money, compute the eval's plan in the background (it renders
        every request, a second or two for a large set) and show it; returns the thread, if any."""
        from workbench.core.prices import cost_usd

        if self.questions is None or all(cost_usd(p.variant.model, 1_000, 1_000) == 0 for p in self.prompts):
            return None
        self.plan.value = "<i>computing the eval's plan…</i>"

        ui = UiThread()

        def work() -> None:  # computes only: what it shows goes through ``ui``
            from workbench.evaluation.plan import plan_eval

            try:
                self._plan = plan_eval(self.questions, self.prompts, 1)
            except Exception as exc:  # a plan is a courtesy: never block the dashboard on it
                ui.call(show_error, self.error, exc)
            ui.call(self._show_plan)

        thread = threading.Thread(target=work, name="workbench-plan", daemon=True)
        thread.start()
        return thread

    def _show_plan(self) -> None:
        if self._plan is None:  # no priced model, or the plan is still being computed
            return
        lines = self._plan.with_trials(self.trials.value).lines()
        self.plan.value = "<br>".join(escape(line) for line in lines)

    # ----------------------------------------------------------------- running and loading

    def run(self, trials: int | None = None) -> RunView:
        """Evaluate every prompt on the question set (synchronously) and show the run."""
        return self._finished(self._evaluate(self._begin(trials)))

    def _begin(self, trials: int | None) -> int:
        """On the widget's thread: check there is something to run, reset the progress; the trials per question."""
        if self.questions is None or not self.prompts:
            raise ValueError("a question set and at least one variant are needed to run")
        k = trials or self.trials.value
        total = len(self.questions) * k * len(self.prompts)
        self.progress.max, self.progress.value = max(total, 1), 0
        self.status.value = f"running {total} trials…"
        return k

    def _evaluate(self, k: int) -> Any:
        """The eval itself, touching no widget (a worker thread runs it): progress goes through ``Progress``."""
        from workbench.evaluation.evaluate import evaluate

        return evaluate(
            self.questions,
            self.prompts,
            dataset=self.dataset,
            trials=k,
            concurrency=self.concurrency.value,
            cache=True,
            store=self.store_path or True,
            progress=Progress(self.progress, self.status, ui=self.task.ui),
            name="dashboard",
        )

    def _finished(self, run: Any) -> RunView:
        """On the widget's thread: show the finished run."""
        golds = {q.id: q.gold for q in self.questions}
        view = self.show(RunView(run, golds))
        self.status.value = f"run <b>{escape(str(view.run_id))}</b> finished: {len(view.trials)} trials"
        self._refresh_run_ids()
        return view

    def start(self) -> Any:
        """Run in the background (the Run button); returns the thread, or None if one is running.

        The worker thread only evaluates; the progress and the finished run reach the widgets on their own
        thread (``_ui.UiThread``)."""
        if self.task.running:
            return None
        try:
            k = self._begin(None)
        except Exception as exc:
            show_error(self.error, exc)
            return None
        thread = self.task.start(self._evaluate, k, on_done=self._finished)
        self.watch.started()
        return thread

    def load(self, run_id: str) -> RunView:
        """Show a stored run (an id or a unique prefix) without re-running it."""
        return self._loaded(self._read_run(run_id))

    def _read_run(self, run_id: str) -> Any:
        from workbench.store.runs import RunStore

        return RunStore(self.store_path).load_run(run_id.strip())

    def _loaded(self, run: Any) -> RunView:
        view = self.show(run)
        self.status.value = f"loaded run <b>{escape(str(view.run_id))}</b>: {len(view.trials)} trials"
        return view

    def _load_clicked(self) -> None:
        if not self.run_id.value.strip():
            show_error(self.error, "type or pick a run id first")
            return
        self.task.start(self._read_run, self.run_id.value, on_done=self._loaded)

    def _refresh_run_ids(self) -> None:
        from workbench.store.runs import RunStore

        try:
            path = Path(self.store_path) if self.store_path else None
            from workbench.core.paths import runs_path

            if not (path or runs_path()).exists():
                return
            self.run_id.options = [s.run_id for s in RunStore(self.store_path).list_runs()[:50]]
        except Exception:  # an unreadable log must not break the dashboard: loading will say why
            return

    # ----------------------------------------------------------------- showing

    def show(self, run: Any) -> RunView:
        """Show a run: a ``RunView``, an ``EvalRun`` or a ``runs.Run`` (a logged conversation run adds the chain view)."""
        from workbench.evaluation.chains import chain_eval_from_run

        chains = None if isinstance(run, EvalRun | RunView) else chain_eval_from_run(run)
        if isinstance(run, EvalRun):
            run = RunView(run, {q.id: q.gold for q in self.questions or ()})
        view = run if isinstance(run, RunView) else RunView.from_log(run)
        self.view = view
        self.selected = None
        self._gold_results = {}
        clear_error(self.error)
        if view.run_id:
            self.run_id.value = view.run_id
        self._show_metrics(view)
        self._show_chart(view)
        self._show_grid(view)
        self.chains.show(chains, view.golds, self._now())
        self.detail.value = "<i>click a cell to see its trials next to the gold</i>"
        return view

    def _show_metrics(self, view: RunView) -> None:
        self.metrics_html.value = metrics_table_html(view)

    def _show_chart(self, view: RunView) -> None:
        self.figure = accuracy_figure(view.metrics)
        plotly_output(self.chart, self.figure)

    def _show_grid(self, view: RunView) -> None:
        counts = view.counts()
        questions = view.questions or [
            {"id": q, "question": ""} for q in dict.fromkeys(str(t["question_id"]) for t in view.trials)
        ]
        self.cells = {}
        rows = []
        for q in questions:
            qid = str(q["id"])
            cells = []
            for v in view.variants:
                cell = self.cells[(qid, v)] = counts.get((qid, v), QuestionCounts(0, 0))
                cells.append(
                    {
                        "correct": cell.correct,
                        "trials": cell.trials,
                        "color": cell_color(cell.correct, cell.trials),
                    }
                )
            rows.append({"id": qid, "question": str(q.get("question") or ""), "cells": cells})
        with self.grid.hold_sync():
            self.grid.selected = ""
            self.grid.variants = list(view.variants)
            self.grid.rows = rows

    def _grid_clicked(self, change: dict[str, Any]) -> None:
        picked = self.grid.selection
        if picked is not None and picked != self.selected:
            try:
                self.select(*picked)
            except Exception as exc:  # a click must never leave a traceback in the log
                show_error(self.error, exc)

    # ----------------------------------------------------------------- one cell

    def select(self, question_id: str, variant: str) -> None:
        """Show one cell: the trials of ``variant`` on ``question_id``, and the gold."""
        view = self.view
        if view is None:
            return
        self.selected = (question_id, variant)
        if self.grid.selection != self.selected:
            self.grid.selected = cell_key(question_id, variant)
        q = next((q for q in view.questions if str(q["id"]) == question_id), {})
        parts = [
            f"<h4 style='margin:4px 0'>{escape(question_id)} &middot; {escape(variant)}</h4>"
            f"<div><i>{escape(str(q.get('question', '')))}</i></div>"
        ]
        gold = view.golds.get(question_id)
        if gold is not None:
            parts.append(
                f"<details open><summary><b>gold</b></summary>{query_html(gold, self._now())}"
                f"{self._gold_table(question_id, gold)}</details>"
            )
        now = self._now()
        parts += [trial_html(t, now, gold=gold) for t in view.cell_trials(question_id, variant)]
        self.detail.value = "".join(parts)

    def _now(self) -> int | None:
        """The dataset's clock (for "yesterday" in readbacks), or None without a dataset."""
        try:
            return self.dataset.schema().now_epoch if self.dataset is not None else None
        except Exception:  # a readback without day words is fine; the detail must still show
            return None

    def _gold_table(self, question_id: str, gold: Any) -> str:
        if self.dataset is None:
            return ""
        if question_id not in self._gold_results:
            from workbench.spec.query import parse_spec
            from workbench.sql.execute import run_query

            try:
                self._gold_results[question_id] = run_query(self.dataset, parse_spec(gold))
            except Exception as exc:
                self._gold_results[question_id] = message_of(exc)
        res = self._gold_results[question_id]
        if isinstance(res, str):
            return f"<div style='color:{ERROR_COLOR}'>gold could not run: {escape(res)}</div>"
        return result_table_html(res, css_class="wb-gold-table")
