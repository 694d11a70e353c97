"""The dashboard's question x variant grid and, beside it, the clicked cell's trials next to the gold.

``CellExplorer`` owns the grid (``_grid.CellGrid``), the detail pane and the selection; ``GoldTables`` runs
each question's gold on the dataset once, for the detail's gold result.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
from markupsafe import Markup

from workbench.core.templates import render
from workbench.evaluation.metrics import QuestionCounts
from workbench.widgets._common import ERROR_COLOR, fragment, message_of, result_table_html
from workbench.widgets._grid import CellGrid, PicksCells, cell_key
from workbench.widgets._query_view import query_html
from workbench.widgets._run_view import RunView, cell_color, trial_html

__all__ = ["CellExplorer", "GoldTables", "dataset_now"]

PROMPT = "<i>click a cell to see its trials next to the gold</i>"


def dataset_now(dataset: Any) -> int | None:
    """The dataset's clock (for "yesterday" in readbacks), or None without a dataset."""
    try:
        return dataset.schema().now_epoch if dataset is not None else None
    except Exception:  # a readback without day words is fine; the detail must still show
        return None


class GoldTables:
    """Each question's gold run on ``dataset`` once (kept per run shown): its result table, or why it failed."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        self.results: dict[str, Any] = {}  # question id -> QueryResult, or the failure's message

    def clear(self) -> None:
        self.results = {}

    def html(self, question_id: str, gold: Any) -> str:
        """The gold's result (``wb-gold-table``), a red line when it could not run, ``""`` without a dataset."""
        if self.dataset is None:
            return ""
        if question_id not in self.results:
            from workbench.spec.query import parse_spec
            from workbench.sql.execute import run_query

            try:
                self.results[question_id] = run_query(self.dataset, parse_spec(gold))
            except Exception as exc:
                self.results[question_id] = message_of(exc)
        res = self.results[question_id]
        if isinstance(res, str):
            return fragment("gold_failed", problem=res, color=ERROR_COLOR)
        return result_table_html(res, css_class="wb-gold-table")


class CellExplorer(PicksCells):
    """The grid (a row per question, a cell per variant: correct / trials) and the clicked cell's detail.

    Args:
        dataset: where the golds run (None: no gold results).
        error: the error line a failed click shows in.
    """

    def __init__(self, dataset: Any, error: widgets.HTML) -> None:
        self.error = error
        self.golds = GoldTables(dataset)
        self.now: int | None = None  # the dataset's clock, read when a run is shown
        self.view: RunView | None = None
        self.selected: tuple[str, str] | None = None
        self.cells: dict[tuple[str, str], QuestionCounts] = {}
        self.grid = CellGrid(layout=widgets.Layout(flex="1 1 55%", min_width="0"))
        self.grid.observe(self._clicked, names="selected")
        self.detail = widgets.HTML(  # its own scroll beside the grid
            layout=widgets.Layout(flex="1 1 45%", min_width="0", max_height="640px", overflow="auto")
        )
        self.detail.add_class("wb-detail")

    def box(self) -> widgets.HBox:
        """The grid and, beside it, the detail."""
        return widgets.HBox(
            [self.grid, self.detail], layout=widgets.Layout(align_items="flex-start", width="100%")
        )

    def show(self, view: RunView) -> None:
        """Fill the grid with ``view``'s counts; no cell selected."""
        self.view, self.selected = view, None
        self.golds.clear()
        self.now = dataset_now(self.golds.dataset)
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
        self.detail.value = PROMPT

    def select(self, question_id: str, variant: str) -> None:
        """Show one cell: the trials of ``variant`` on ``question_id``, and the gold."""
        view = self.view
        if view is None:
            return
        self.selected = (question_id, variant)
        if self.grid.selection != self.selected:
            self.grid.selected = cell_key(question_id, variant)
        q = next((q for q in view.questions if str(q["id"]) == question_id), {})
        gold = view.golds.get(question_id)
        html = render(
            "workbench.widgets", "cell_detail.html.j2", question_id=question_id, variant=variant,
            question=str(q.get("question", "")),
            gold_query=None if gold is None else Markup(query_html(gold, self.now)),
            gold_table=Markup("" if gold is None else self.golds.html(question_id, gold)),
            trials=[Markup(trial_html(t, self.now, gold=gold)) for t in view.cell_trials(question_id, variant)],
        )  # fmt: skip
        self.detail.value = html.rstrip("\n")
