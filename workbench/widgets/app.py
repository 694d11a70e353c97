"""``Workbench``: every view in one app, in tabs, kept in sync.

One variant at a time is *being edited* (the dropdown at the top). Editing its
schema or examples gives a new ``Prompt``; the app writes it to the other editor,
the inspector, its column in the side-by-side view and the dashboard's variants,
so every tab shows the same prompt. A run started in the dashboard uses the
edited prompts and shows there when it finishes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from workbench.widgets._common import ensure_prompt, ensure_questions, error_widget, show_error
from workbench.widgets.dashboard import Dashboard
from workbench.widgets.examples_editor import ExamplesEditor
from workbench.widgets.inspector import PromptInspector
from workbench.widgets.instructions_editor import InstructionsEditor
from workbench.widgets.schema_editor import SchemaEditor
from workbench.widgets.side_by_side import SideBySide

__all__ = ["Workbench"]

TAB_TITLES = ("Side by side", "Schema", "Examples", "Instructions", "Prompt", "Evaluate")


class Workbench(widgets.VBox):
    """The composed app: side by side, schema and examples editors, prompt inspector and dashboard.

    Args:
        prompts: variant names/paths or bound ``Prompt`` objects, one column each.
        questions: the question set (path or ``QuestionSet``) for the question dropdown,
            gold answers, column recall and evaluation.
        dataset: where queries run (default: the embedded telemetry).
        store: the experiment log path (default: the project's ``runs/runs.duckdb``).

    Example:
        >>> from workbench.widgets import Workbench  # doctest: +SKIP
        >>> Workbench()  # doctest: +SKIP
    """

    def __init__(
        self,
        prompts: Sequence[Any] = ("naive", "honeycomb", "compact"),
        questions: Any = "questions/core.yaml",
        dataset: Any = None,
        *,
        store: str | Path | None = None,
    ) -> None:
        super().__init__()
        self.add_class("wb-workbench")
        self.error = error_widget()
        self._syncing = False
        if dataset is None:
            from workbench.dataset.source import open_dataset

            dataset = open_dataset()
        self.dataset = dataset
        self.prompts: list[Any] = []
        problems = []
        for p in prompts:
            try:
                self.prompts.append(ensure_prompt(p, dataset))
            except Exception as exc:
                problems.append(exc)
        try:
            self.questions = ensure_questions(questions)
        except Exception as exc:
            self.questions = None
            problems.append(exc)
        if problems:
            show_error(self.error, problems[0])
        if not self.prompts:
            self.children = [self.error]
            return
        first = self.prompts[0]
        self.variant = widgets.Dropdown(
            options=[(p.variant.name, i) for i, p in enumerate(self.prompts)], value=0, description="editing"
        )
        self.side_by_side = SideBySide(self.prompts, dataset, self.questions)
        self.schema_editor = SchemaEditor(first, self.questions)
        self.examples_editor = ExamplesEditor(first)
        self.instructions_editor = InstructionsEditor(first, dataset=dataset)
        self.originals = list(
            self.prompts
        )  # as loaded: the instructions editor shows an edit's effect against them
        self.inspector = PromptInspector(first)
        self.dashboard = Dashboard(self.questions, self.prompts, dataset, store=store)
        self.tabs = widgets.Tab(
            children=[
                self.side_by_side,
                self.schema_editor,
                self.examples_editor,
                self.instructions_editor,
                self.inspector,
                self.dashboard,
            ],
            titles=TAB_TITLES,
        )
        self.schema_editor.observe(self._edited, names="prompt")
        self.examples_editor.observe(self._edited, names="prompt")
        self.instructions_editor.observe(self._edited, names="prompt")
        self.variant.observe(self._switch, names="value")
        self.heartbeat = self.dashboard.watch.heartbeat  # a banner at the top when the kernel stops answering
        self.children = [self.heartbeat, self.error, self.variant, self.tabs]

    @property
    def prompt(self) -> Any:
        """The prompt being edited."""
        return self.prompts[self.variant.value]

    def _edited(self, change: dict[str, Any]) -> None:
        """An editor made a new prompt: every other view gets it."""
        if self._syncing:
            return
        self._syncing = True
        try:
            prompt, index = change["new"], self.variant.value
            self.prompts[index] = prompt
            self.schema_editor.prompt = prompt
            self.examples_editor.prompt = prompt
            self.instructions_editor.prompt = prompt
            self.inspector.prompt = prompt
            self.side_by_side.set_prompt(index, prompt)
            self.dashboard.prompts = list(self.prompts)
        finally:
            self._syncing = False

    def _switch(self, change: dict[str, Any]) -> None:
        """Edit another variant: the editors and the inspector show it."""
        prompt = self.prompts[change["new"]]
        self._syncing = True
        try:
            self.schema_editor.prompt = prompt
            self.examples_editor.prompt = prompt
            self.instructions_editor.original = self.originals[change["new"]]
            self.instructions_editor.prompt = prompt
            self.inspector.prompt = prompt
        finally:
            self._syncing = False
