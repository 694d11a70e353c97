"""``InstructionsEditor``: edit a variant's instructions and its conventions block, see their token cost and,
on a question, their effect: the query the edited prompt gets next to the query the original got."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import traitlets

from workbench.widgets._common import (
    ERROR_COLOR,
    OK_COLOR,
    clear_error,
    ensure_prompt,
    error_widget,
    fragment,
    message_of,
    show_error,
)
from workbench.widgets._query_view import query_html
from workbench.widgets._ui import Task
from workbench.widgets._variant_file import VariantFiles

__all__ = ["InstructionsEditor"]

DEFAULT_QUESTION = "slowest endpoints for android users yesterday"


def conventions_yaml(conventions: Any) -> str:
    """The conventions block as the YAML a variant file holds (unset fields left out)."""
    from workbench.core.yamlio import dump_yaml

    data = conventions.model_dump(exclude_none=True, mode="json") if conventions is not None else {}
    return dump_yaml(data) if data else ""


def parse_conventions(text: str) -> Any:
    """``Conventions`` from the YAML of a conventions block; a one-line ``ValueError`` when it does not read."""
    import yaml
    from pydantic import ValidationError

    from workbench.prompt.conventions import Conventions

    try:
        data = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ValueError(f"conventions: not valid YAML{where}; write one 'name: value' a line") from None
    if not isinstance(data, dict):
        raise ValueError("conventions: write one 'name: value' a line (a mapping), e.g. slow_op: P99")
    try:
        return Conventions(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "conventions"
        raise ValueError(
            f"conventions: {field}: {first['msg']} (known fields: {', '.join(Conventions.model_fields)})"
        ) from None


class InstructionsEditor(widgets.VBox):
    """Edit the instructions (the part of a prompt people change most) and the conventions block.

    Args:
        prompt: a bound ``Prompt``, or a variant name/path (bound to ``dataset``).
        question: the question the token counts and the effect are shown for.
        dataset: where the effect's queries run (default: the embedded telemetry).

    ``prompt`` is a trait that changes on every edit (``observe`` or ``on_change``); ``original`` is the
    prompt the editor started from. ``try_it()`` asks ``question`` of both and shows the two queries, the
    clauses where the edit changed the answer marked. ``save()`` (the Save button) writes the instructions
    and conventions into the variant file in the "save to" box (default: the file the variant came from),
    atomically, refusing a file that changed on disk since it was loaded.
    """

    prompt = traitlets.Any()

    def __init__(self, prompt: Any, question: str = DEFAULT_QUESTION, *, dataset: Any = None) -> None:
        super().__init__()
        self.add_class("wb-instructions-editor")
        self._syncing = False
        self._callbacks: list[Callable[[Any], Any]] = []
        self.error = error_widget()
        self.dataset = dataset
        p = ensure_prompt(prompt, dataset)
        self.original = p
        wide = widgets.Layout(width="100%")
        self.instructions = widgets.Textarea(
            value=p.variant.instructions, rows=14, continuous_update=False, layout=wide
        )
        self.instructions.add_class("wb-instructions")
        self.conventions = widgets.Textarea(
            value=conventions_yaml(p.variant.conventions), rows=8, continuous_update=False, layout=wide
        )
        self.conventions.add_class("wb-conventions")
        self.cost = widgets.HTML()
        self.cost.add_class("wb-instructions-cost")
        self.question = widgets.Text(value=question, description="question", continuous_update=False,
                                     layout=widgets.Layout(width="600px"))  # fmt: skip
        self.try_button = widgets.Button(description="Try on the model", icon="play")
        self.try_button.add_class("wb-instructions-try")
        self.effect = widgets.HTML()
        self.effect.add_class("wb-instructions-effect")
        self.files = VariantFiles()
        self._default_path: str | None = None
        self.path = widgets.Text(description="save to", layout=widgets.Layout(width="600px"))
        self.path.add_class("wb-instructions-path")
        self.save_button = widgets.Button(description="Save", icon="save", button_style="primary")
        self.save_button.add_class("wb-instructions-save")
        self.save_button.on_click(lambda _: self._save_clicked())
        self.status = widgets.HTML()
        self.status.add_class("wb-instructions-status")
        self.task = Task(buttons=[self.try_button], error=self.error)
        self.try_button.on_click(lambda _: self._tried())
        for w in (self.instructions, self.conventions):
            w.observe(lambda _: self._edited(), names="value")
        self.question.observe(lambda _: self._show_cost(), names="value")
        label = lambda t: widgets.HTML(f"<b>{t}</b>")  # noqa: E731
        self.children = [
            self.error,
            self.cost,
            label("instructions (the system message)"),
            self.instructions,
            label("conventions (how the team's words map to columns; the critic reads them too)"),
            self.conventions,
            widgets.HBox([self.path, self.save_button]),
            self.status,
            widgets.HBox([self.question, self.try_button]),
            self.effect,
        ]
        self.prompt = p

    def on_change(self, callback: Callable[[Any], Any]) -> None:
        """Call ``callback(prompt)`` whenever an edit gives a new prompt."""
        self._callbacks.append(callback)

    def _edited(self) -> None:
        if self._syncing:
            return
        text = self.instructions.value
        if not text.strip():
            show_error(self.error, "the instructions are empty: write what the model should do")
            return
        try:
            self.prompt = self.prompt.with_(
                instructions=text, conventions=parse_conventions(self.conventions.value)
            )
        except Exception as exc:
            show_error(self.error, exc)
            return
        clear_error(self.error)

    @traitlets.observe("prompt")
    def _prompt_changed(self, change: dict[str, Any]) -> None:
        new = change["new"]
        self._syncing = True
        try:
            if self.instructions.value != new.variant.instructions:
                self.instructions.value = new.variant.instructions
            text = conventions_yaml(new.variant.conventions)
            if parse_or_none(self.conventions.value) != new.variant.conventions:
                self.conventions.value = text
        finally:
            self._syncing = False
        self._show_path(new)
        self._show_cost()
        for cb in list(self._callbacks):
            cb(new)

    def _show_path(self, prompt: Any) -> None:
        """Remember the variant's file as loaded; the "save to" box shows it until the user types another."""
        from workbench.core.paths import prompts_dir

        source = prompt.variant.source
        self.files.remember(source)
        default = str(source or prompts_dir() / f"{prompt.variant.name}.yaml")
        if not self.path.value or self.path.value == self._default_path:
            self.path.value = default
        self._default_path = default

    def save(self, path: str | Path | None = None) -> Path:
        """Write the instructions and conventions as edited to ``path`` (default: the "save to" box).

        Raises a one-line ``ValueError`` when the boxes do not read, a ``ConfigError`` when the file changed on
        disk since it was loaded or exists without having been loaded here (nothing is written then)."""
        text = self.instructions.value
        if not text.strip():
            raise ValueError("the instructions are empty: write what the model should do before saving")
        conventions = parse_conventions(self.conventions.value)
        target = str(path or self.path.value).strip()
        if not target:
            raise ValueError("type the variant file to save to in 'save to'")
        saved, note = self.files.save(self.prompt.variant, target, instructions=text, conventions=conventions)
        self.path.value = str(saved)
        self.status.value = fragment("colored", text=f"saved to {saved}{note}", color=OK_COLOR)
        return saved

    def _save_clicked(self) -> None:
        try:
            self.save()
            clear_error(self.error)
        except Exception as exc:  # one line in the widget, never a traceback
            self.status.value = ""
            show_error(self.error, exc)

    def _show_cost(self) -> None:
        try:
            now, before = (p.render(self.question.value.strip() or "?") for p in (self.prompt, self.original))
        except Exception as exc:
            self.cost.value = fragment("colored", text=message_of(exc), color=ERROR_COLOR)
            return
        parts = []
        for name in ("instructions", "conventions"):
            n, was = now.sections.get(name, 0), before.sections.get(name, 0)
            delta = f" <span style='color:#666'>({n - was:+,} vs the original)</span>" if n != was else ""
            parts.append(f"{name}: <b>{n:,}</b> tokens{delta}")
        parts.append(f"whole request: {now.total_tokens:,} tokens")
        self.cost.value = f"<div style='line-height:1.35'>{' &middot; '.join(parts)}</div>"

    def try_it(self, question: str | None = None) -> tuple[Any, Any]:
        """Ask ``question`` (default: the box) of the original and the edited prompt; show both queries."""
        answers = self._ask_both(self._question_for(question))
        self._show_effect(answers)
        return answers

    def _question_for(self, question: str | None) -> str:
        if question is not None:
            self.question.value = question
        text = self.question.value.strip()
        if not text:
            raise ValueError("type a question to try the instructions on")
        return text

    def _ask_both(self, text: str) -> tuple[Any, Any]:
        """The original's and the edited prompt's answers, touching no widget (a worker thread runs this)."""
        from workbench.pipeline.ask import ask

        if self.dataset is None:
            from workbench.dataset.source import open_dataset

            self.dataset = open_dataset()
        return ask(text, self.original, dataset=self.dataset), ask(text, self.prompt, dataset=self.dataset)

    def _tried(self) -> None:
        """The Try button: ask in the background, show the effect on the widget's thread."""
        try:
            text = self._question_for(None)
        except ValueError as exc:
            show_error(self.error, exc)
            return
        self.task.start(self._ask_both, text, on_done=self._show_effect)

    def _show_effect(self, answers: tuple[Any, Any]) -> None:
        before, after = answers
        now = self.dataset.schema().now_epoch
        same = before.spec == after.spec
        self.effect.value = (
            f"<div style='line-height:1.35'>{'the edit does not change the query' if same else 'the edit changes the query'}"
            " (clauses that differ from the original's marked)</div>"
            "<div style='display:flex;gap:12px'>"
            f"<div style='flex:1 1 0;min-width:0'><b>original</b>{query_html(before.spec, now)}</div>"
            f"<div style='flex:1 1 0;min-width:0'><b>edited</b>"
            f"{query_html(after.spec, now, against=before.spec, against_label='original')}</div></div>"
        )


def parse_or_none(text: str) -> Any:
    try:
        return parse_conventions(text)
    except ValueError:
        return None
