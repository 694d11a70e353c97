"""``ExamplesEditor``: the few-shot example set as an editable table, validated live, saved back to YAML."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import traitlets

from workbench.core.templates import render
from workbench.prompt.examples import ExampleSet, available_example_sets
from workbench.widgets._common import (
    ERROR_COLOR,
    OK_COLOR,
    clear_error,
    ensure_prompt,
    error_widget,
    fragment,
    message_of,
    set_values,
    show_error,
)
from workbench.widgets._example_row import ExampleRow, RowState, pretty_query

__all__ = ["ExamplesEditor"]

NEW_QUERY = {"calculations": [{"op": "COUNT"}], "time_range": 7200}
_NO_SET = "(no examples)"


class ExamplesEditor(widgets.VBox):
    """Edit a prompt's example set and selection; see each example's findings and tokens, and what a question gets.

    Args:
        prompt: a bound ``Prompt``, or a variant name/path (bound to ``dataset``).
        path: where Save writes (default: the file the set was read from).
        dataset: the dataset a variant name is bound to.

    ``prompt`` is a trait that changes on every edit (``on_change(fn)`` or ``observe``).
    """

    prompt = traitlets.Any()

    def __init__(self, prompt: Any, *, path: str | Path | None = None, dataset: Any = None) -> None:
        super().__init__()
        self.add_class("wb-examples-editor")
        self._syncing = False
        self._callbacks: list[Callable[[Any], Any]] = []
        self._rows: list[ExampleRow] = []
        self._own_set: ExampleSet | None = None
        self.preview_selection: list[Any] = []
        self.error = error_widget()
        p = ensure_prompt(prompt, dataset)
        sets = available_example_sets()
        current = p.example_set.name if p.example_set is not None else None
        options = [_NO_SET, *sets, *([current] if current and current not in sets else [])]
        self.set_name = widgets.Dropdown(options=options, value=current or _NO_SET, description="example set")
        self.selection = widgets.ToggleButtons(
            options=["all", "first", "random", "nearest"], description="selection"
        )
        self.k = widgets.IntSlider(min=1, max=30, description="k", continuous_update=False)
        self.budget_on = widgets.Checkbox(
            description="token budget", indent=False, layout=widgets.Layout(width="120px")
        )
        self.budget = widgets.IntSlider(min=0, max=4000, step=50, value=900, continuous_update=False)
        self.budget.observe(lambda _: setattr(self.budget_on, "value", True), names="value")
        self.path = widgets.Text(description="save to", layout=widgets.Layout(width="520px"))
        self.add_button = widgets.Button(description="Add example", icon="plus")
        self.save_button = widgets.Button(description="Save", icon="save", button_style="primary")
        self.status = widgets.HTML()
        self.status.add_class("wb-examples-status")
        self.rows_box = widgets.VBox(layout=widgets.Layout(max_height="520px", overflow="auto"))
        self.rows_box.add_class("wb-examples-list")
        self.search = widgets.Text(
            placeholder="search the examples (question or query)",
            continuous_update=True,
            layout=widgets.Layout(width="360px"),
        )
        self.search.add_class("wb-examples-search")
        self.search.observe(lambda _: self._filter(), names="value")
        self.preview_question = widgets.Text(
            placeholder="a question to preview the examples it gets",
            description="preview",
            continuous_update=False,
            layout=widgets.Layout(width="520px"),
        )
        self.preview = widgets.HTML()
        self.preview.add_class("wb-examples-preview")
        self.add_button.on_click(lambda _: self.add_example())
        self.save_button.on_click(lambda _: self._save_clicked())
        for w in (self.selection, self.k, self.budget_on, self.budget):
            w.observe(self._on_settings, names="value")
        self.set_name.observe(self._on_set, names="value")
        self.preview_question.observe(lambda _: self._show_preview(), names="value")
        self.children = [
            self.error,
            self.preview_question,
            self.preview,
            widgets.HBox([self.set_name, self.path]),
            widgets.HBox([self.selection]),
            widgets.HBox([self.k, self.budget_on, self.budget]),
            self.status,
            widgets.HBox([self.search, self.add_button, self.save_button]),
            self.rows_box,
        ]
        self._explicit_path = Path(path) if path is not None else None
        self.prompt = p

    # ----------------------------------------------------------------- public

    def on_change(self, callback: Callable[[Any], Any]) -> None:
        """Call ``callback(prompt)`` whenever an edit gives a new prompt."""
        self._callbacks.append(callback)

    @property
    def rows(self) -> list[ExampleRow]:
        """The rows in prompt order (each with its summary, editor and checks)."""
        return list(self._rows)

    @property
    def states(self) -> list[RowState]:
        return [r.state for r in self._rows if r.state is not None]

    @property
    def example_set(self) -> ExampleSet | None:
        return self.prompt.example_set

    def add_example(self, question: str = "", query: dict[str, Any] | str | None = None) -> int:
        """Append a row (a COUNT template when no query is given); returns its index."""
        if self.example_set is None:
            show_error(self.error, "choose an example set first")
            return -1
        row = ExampleRow(self, question, NEW_QUERY if query is None else query, None)
        self._rows.append(row)
        self._relayout()
        self._row_edited(row)
        self.expand(len(self._rows) - 1)
        return len(self._rows) - 1

    def expand(self, index: int | None) -> None:
        """Open row ``index``'s editor and close the others (``None``: close all); one editor at a time."""
        for i, row in enumerate(self._rows):
            row.set_expanded(i == index)

    def _filter(self) -> None:
        """Show only the rows the search matches (an open row stays shown)."""
        for row in self._rows:
            row.box.layout.display = None if row.expanded or row.matches(self.search.value) else "none"

    def set_example(
        self, index: int, question: str | None = None, query: dict[str, Any] | str | None = None
    ) -> None:
        """Edit row ``index`` (what typing in its boxes does)."""
        row = self._rows[index]
        if question is not None:
            row.question.value = question
        if query is not None:
            row.query.value = pretty_query(query)

    def delete(self, index: int) -> None:
        del self._rows[index]
        self._relayout()
        self._commit()

    def move(self, index: int, delta: int) -> None:
        """Move row ``index`` up (-1) or down (+1)."""
        target = index + delta
        if not 0 <= target < len(self._rows):
            return
        self._rows[index], self._rows[target] = self._rows[target], self._rows[index]
        self._relayout()
        self._commit()

    def save(self, path: str | Path | None = None) -> Path:
        """Write the set to ``path`` (default: the path box). Refuses while a row cannot be read."""
        broken = [i for i, r in enumerate(self._rows) if r.state is None or r.state.example is None]
        if broken:
            problem = self._rows[broken[0]].state.problem if self._rows[broken[0]].state else "unchecked"
            raise ValueError(f"example {broken[0] + 1}: {problem}; fix it or delete it before saving")
        ex_set = self.example_set
        if ex_set is None:
            raise ValueError("this variant uses no example set: choose one first")
        target = path or self.path.value.strip() or ex_set.path
        saved = ex_set.save(Path(target) if target else None)
        self.path.value = str(saved)
        self.status.value = fragment(
            "colored", text=f"saved {len(ex_set)} examples to {saved}", color=OK_COLOR
        )
        return saved

    # ----------------------------------------------------------------- events

    def _save_clicked(self) -> None:
        try:
            self.save()
            clear_error(self.error)
        except Exception as exc:
            show_error(self.error, exc)

    def _index(self, row: ExampleRow) -> int:
        return self._rows.index(row)

    def _row_edited(self, row: ExampleRow) -> None:
        if self._syncing:
            return
        row.check(self.prompt.schema, self.prompt.encoding, self.prompt.variant.conventions)
        self._commit()

    def _commit(self) -> None:
        """A new prompt from the rows that read as examples (broken rows are left out until fixed)."""
        from workbench.prompt.render import Prompt

        old = self.example_set
        if old is None:
            return
        examples = tuple(
            r.state.example for r in self._rows if r.state is not None and r.state.example is not None
        )
        new_set = ExampleSet(name=old.name, examples=examples, path=old.path, description=old.description)
        self._own_set = new_set  # the rows already show it: no rebuild when it comes back as the prompt's set
        try:
            self.prompt = Prompt(self.prompt.variant, self.prompt.schema, new_set)
        except Exception as exc:
            show_error(self.error, exc)
            return
        clear_error(self.error)

    def _on_settings(self, _change: Any) -> None:
        if self._syncing:
            return
        changes = {
            "selection": self.selection.value,
            "k": self.k.value,
            "token_budget": self.budget.value if self.budget_on.value else None,
        }
        try:
            self.prompt = self.prompt.with_(examples=changes)
        except Exception as exc:
            show_error(self.error, exc)

    def _on_set(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        name = None if change["new"] == _NO_SET else change["new"]
        try:
            self.prompt = self.prompt.with_(examples={"set": name})
        except Exception as exc:
            show_error(self.error, exc)

    @traitlets.observe("prompt")
    def _prompt_changed(self, change: dict[str, Any]) -> None:
        new = change["new"]
        if new.example_set is not self._own_set:
            self._rows_from(new)
        self._controls_from(new)
        self._show_status()
        self._show_preview()
        for cb in list(self._callbacks):
            cb(new)

    # ----------------------------------------------------------------- views

    def _rows_from(self, prompt: Any) -> None:
        """Rebuild the rows from the prompt's set (another set than the one the rows show)."""
        ex_set = prompt.example_set
        self._own_set = ex_set
        self._rows = []
        if ex_set is not None:
            self._syncing = True
            try:
                self._rows = [ExampleRow(self, e.question, e.query, e.note) for e in ex_set.examples]
            finally:
                self._syncing = False
            for r in self._rows:
                r.check(prompt.schema, prompt.encoding, prompt.variant.conventions)
        self._relayout()

    def _relayout(self) -> None:
        for i, r in enumerate(self._rows):
            r.number.value = f"<b>{i + 1}</b>"
            r.up.disabled = i == 0
            r.down.disabled = i == len(self._rows) - 1
        self.rows_box.children = [r.box for r in self._rows]
        self._filter()

    def _controls_from(self, prompt: Any) -> None:
        s = prompt.variant.examples
        ex_set = prompt.example_set
        self._syncing = True
        try:
            name = ex_set.name if ex_set is not None else _NO_SET
            if name not in self.set_name.options:
                self.set_name.options = [*self.set_name.options, name]
            set_values(self.set_name, value=name)
            set_values(self.selection, value=s.selection)
            set_values(self.k, max=max(self.k.max, s.k, len(ex_set or ())), value=s.k)
            self.budget_on.value = s.token_budget is not None
            if s.token_budget is not None:
                set_values(self.budget, max=max(self.budget.max, s.token_budget), value=s.token_budget)
            default = self._explicit_path or (ex_set.path if ex_set is not None else None)
            if default is not None and not self.path.value:
                self.path.value = str(default)
            for w in (self.selection, self.k, self.budget_on, self.budget, self.add_button, self.save_button):
                w.disabled = ex_set is None
        finally:
            self._syncing = False

    def _show_status(self) -> None:
        states = self.states
        if self.example_set is None:
            self.status.value = "<i>this variant uses no examples: choose an example set to add some</i>"
            return
        usable = sum(s.usable for s in states)
        invalid = sum(s.example is not None and not s.usable for s in states)
        broken = sum(s.example is None for s in states)
        total = sum(s.tokens for s in states if s.usable)
        parts = [f"<b>{len(states)}</b> examples", f"{usable} usable ({total:,} tokens in all)"]
        if invalid:
            parts.append(f"<span style='color:#b00020'>{invalid} invalid (never selected)</span>")
        if broken:
            parts.append(f"<span style='color:#b00020'>{broken} unreadable (left out)</span>")
        self.status.value = " &middot; ".join(parts)

    def _show_preview(self) -> None:
        p = self.prompt
        question = self.preview_question.value.strip()
        self.preview_selection = []
        if p.example_set is None:
            self.preview.value = ""
            return
        if p.variant.examples.selection == "nearest" and not question:
            self.preview.value = "<i>type a question to see which examples it gets</i>"
            return
        try:
            rendered = p.render(question or "?")
        except Exception as exc:
            self.preview.value = fragment("colored", text=message_of(exc), color=ERROR_COLOR)
            return
        self.preview_selection = list(rendered.selected_examples)
        self.preview.value = render(
            "workbench.widgets", "examples_preview.html.j2", asked=bool(question),
            n_chosen=len(rendered.chosen_examples), tokens=rendered.sections["examples"],
            selected=rendered.selected_examples,
        ).rstrip("\n")  # fmt: skip
