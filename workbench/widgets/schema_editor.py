"""``SchemaEditor``: schema compression settings as controls, with live tokens, kept/dropped columns and recall."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import traitlets

from workbench.core.templates import render
from workbench.schema.compress import CompressedSchema, compress
from workbench.schema.recall import RecallReport, column_recall
from workbench.widgets._common import (
    clear_error,
    ensure_prompt,
    ensure_questions,
    error_widget,
    fragment,
    set_values,
    show_error,
)

__all__ = ["SchemaEditor"]

_REASON_TEXT = {
    "excluded": "excluded by you",
    "inactive": "no data in the window",
    "irrelevant": "not relevant to the question",
    "max_columns": "over the column limit",
    "budget": "over the token budget",
}
_FLAGS = ("types", "descriptions", "domains", "samples")


class _Optional:
    """A checkbox that switches a setting on, and the slider for its value (None when off).

    ``log``: the slider moves on a log scale (a token budget: 300 to 3,000 tokens is most of its travel,
    not its left 15%), and its value is rounded to ``step``.
    """

    def __init__(
        self,
        label: str,
        value: float | None,
        lo: int,
        hi: int,
        default: int,
        step: int = 1,
        *,
        log: bool = False,
    ) -> None:
        self.on = widgets.Checkbox(
            value=value is not None, description=label, indent=False, layout=widgets.Layout(width="150px")
        )
        self.step = step
        start = int(value) if value is not None else default
        common = {
            "continuous_update": False,
            "disabled": value is None,
            "layout": widgets.Layout(width="340px"),
        }
        if log:
            lo = max(lo, 1)
            self.slider: widgets.Widget = widgets.FloatLogSlider(
                value=min(max(start, lo), max(hi, start)), base=10, min=math.log10(lo),
                max=math.log10(max(hi, start)), step=0.01, readout_format=",.0f", **common,
            )  # fmt: skip
        else:
            self.slider = widgets.IntSlider(
                value=min(max(start, lo), hi), min=lo, max=max(hi, start), step=step, **common
            )
        self.box = widgets.HBox([self.on, self.slider])
        self.on.observe(lambda ch: setattr(self.slider, "disabled", not ch["new"]), names="value")
        # moving the slider expresses the intent to use it
        self.slider.observe(lambda ch: setattr(self.on, "value", True), names="value")

    @property
    def log(self) -> bool:
        return isinstance(self.slider, widgets.FloatLogSlider)

    @property
    def value(self) -> int | None:
        if not self.on.value:
            return None
        return (
            max(self.step, round(self.slider.value / self.step) * self.step)
            if self.log
            else self.slider.value
        )

    def set(self, value: float | None) -> None:
        if value is not None:
            if self.log:
                if value > 10**self.slider.max:
                    self.slider.max = math.log10(value)
                self.slider.value = float(value)
            else:
                if value > self.slider.max:
                    self.slider.max = int(value)
                self.slider.value = int(value)
        self.on.value = value is not None
        self.slider.disabled = value is None


def _budget_ceiling(p: Any) -> int:
    """The budget slider's top: the tokens of the whole schema (no budget, no limits), rounded up."""
    unlimited = {"token_budget": None, "max_columns": None, "window_days": None, "excluded": []}
    full = compress(p.schema, p.variant.schema_.model_copy(update=unlimited), encoding=p.encoding)
    return max(500, (full.tokens // 100 + 1) * 100)


class SchemaEditor(widgets.VBox):
    """Edit a prompt's schema compression and watch what it does.

    Args:
        prompt: a bound ``Prompt``, or a variant name/path (bound to ``dataset``).
        questions: a question set (or its path) for column recall; optional.
        dataset: the dataset a variant name is bound to (default: the embedded telemetry).

    ``prompt`` is a trait: it changes on every edit (``observe(fn, names="prompt")`` or
    ``on_change(fn)``), and setting it from outside updates the controls.
    """

    prompt = traitlets.Any()

    def __init__(self, prompt: Any, questions: Any = None, *, dataset: Any = None) -> None:
        super().__init__()
        self.add_class("wb-schema-editor")
        self._syncing = False
        self.compressed: CompressedSchema | None = None
        self.recall: RecallReport | None = None
        self.error = error_widget()
        try:
            self.questions = ensure_questions(questions)
        except Exception as exc:
            self.questions = None
            show_error(self.error, exc)
        p = ensure_prompt(prompt, dataset)
        self._callbacks: list[Callable[[Any], Any]] = []
        self._build_controls(p)
        self._build_views()
        self._lay_out()
        self.prompt = p

    def _build_controls(self, p: Any) -> None:
        """The compression settings' controls, set from ``p``'s variant."""
        s = p.variant.schema_
        names = list(p.schema.names)
        ceiling = _budget_ceiling(p)
        self.window = _Optional("window days", s.window_days, 1, 30, 7)
        self.budget = _Optional(
            "token budget", s.token_budget, 100, ceiling, min(1500, ceiling), 10, log=True
        )
        self.max_columns = _Optional("max columns", s.max_columns, 1, len(names), min(40, len(names)))
        self.relevance = widgets.ToggleButtons(
            options=_relevance_options(s.relevance), value=s.relevance, description="relevance"
        )
        self.format = widgets.ToggleButtons(
            options=["lines", "json", "ddl"], value=s.format, description="format"
        )
        self.flags = {
            f: widgets.Checkbox(
                value=getattr(s, f), description=f, indent=False, layout=widgets.Layout(width="120px")
            )
            for f in _FLAGS
        }
        self.pinned = widgets.TagsInput(value=list(s.pinned), allowed_tags=names, allow_duplicates=False)
        self.excluded = widgets.TagsInput(value=list(s.excluded), allowed_tags=names, allow_duplicates=False)

    def _build_views(self) -> None:
        """The question to rank by, the summary, recall and the searchable column list."""
        self.question = widgets.Text(
            placeholder="a question to rank columns by (relevance)",
            description="question",
            continuous_update=False,
            layout=widgets.Layout(width="520px"),
        )
        self.search = widgets.Text(
            placeholder="filter columns…", continuous_update=True, layout=widgets.Layout(width="260px")
        )
        self.show = widgets.ToggleButtons(
            options=["all", "kept", "dropped"], value="all", style={"button_width": "80px"}
        )
        self.summary = widgets.HTML()
        self.summary.add_class("wb-schema-summary")
        self.columns_html = widgets.HTML()
        self.columns_html.add_class("wb-schema-columns")
        self.recall_html = widgets.HTML()
        self.recall_html.add_class("wb-schema-recall")

    def _lay_out(self) -> None:
        """The children in reading order, and every control wired to a new prompt."""
        label = lambda text: widgets.HTML(fragment("bold", text=text), layout=widgets.Layout(width="80px"))  # noqa: E731
        self.children = [
            self.error,
            widgets.HBox([self.relevance]),
            self.window.box,
            self.max_columns.box,
            self.budget.box,
            widgets.HBox([self.format]),
            widgets.HBox(list(self.flags.values())),
            widgets.HBox([label("pinned"), self.pinned]),
            widgets.HBox([label("excluded"), self.excluded]),
            self.question,
            self.summary,
            self.recall_html,
            widgets.HBox([self.search, self.show]),
            self.columns_html,
        ]
        controls = [
            self.window.on,
            self.window.slider,
            self.budget.on,
            self.budget.slider,
            self.max_columns.on,
            self.max_columns.slider,
            self.relevance,
            self.format,
            *self.flags.values(),
            self.pinned,
            self.excluded,
        ]
        for w in controls:
            w.observe(self._on_control, names="value")
        self.question.observe(lambda _: self._refresh(), names="value")
        self.search.observe(lambda _: self._show_columns(), names="value")
        self.show.observe(lambda _: self._show_columns(), names="value")

    # ----------------------------------------------------------------- public

    def on_change(self, callback: Callable[[Any], Any]) -> None:
        """Call ``callback(prompt)`` whenever an edit gives a new prompt."""
        self._callbacks.append(callback)

    @property
    def settings(self) -> Any:
        return self.prompt.variant.schema_

    def settings_from_controls(self) -> dict[str, Any]:
        return {
            "window_days": self.window.value,
            "token_budget": self.budget.value,
            "max_columns": self.max_columns.value,
            "relevance": self.relevance.value,
            "format": self.format.value,
            "pinned": list(self.pinned.value),
            "excluded": list(self.excluded.value),
            **{f: cb.value for f, cb in self.flags.items()},
        }

    # ----------------------------------------------------------------- sync

    def _on_control(self, _change: Any) -> None:
        if self._syncing:
            return
        try:
            new = self.prompt.with_(schema=self.settings_from_controls())
        except Exception as exc:
            show_error(self.error, exc)
            return
        clear_error(self.error)
        self.prompt = new

    @traitlets.observe("prompt")
    def _prompt_changed(self, change: dict[str, Any]) -> None:
        self._controls_from(change["new"])
        self._refresh()
        for cb in list(self._callbacks):
            cb(change["new"])

    def _controls_from(self, prompt: Any) -> None:
        s = prompt.variant.schema_
        self._syncing = True
        try:
            self.window.set(s.window_days)
            self.budget.set(s.token_budget)
            self.max_columns.set(s.max_columns)
            set_values(self.relevance, options=_relevance_options(s.relevance), value=s.relevance)
            set_values(self.format, value=s.format)
            for f, cb in self.flags.items():
                cb.value = getattr(s, f)
            self.pinned.value = list(s.pinned)
            self.excluded.value = list(s.excluded)
        finally:
            self._syncing = False

    # ----------------------------------------------------------------- live views

    def _refresh(self) -> None:
        p = self.prompt
        settings = p.variant.schema_
        question = self.question.value.strip() or None
        try:
            self.compressed = compress(p.schema, settings, question, encoding=p.encoding)
            self.recall = self._recall() if self.questions is not None else None
        except Exception as exc:
            show_error(self.error, exc)
            return
        c = self.compressed
        ranked = ("question" if question else "no question") if settings.depends_on_question else ""
        self.summary.value = render(
            "workbench.widgets", "schema_summary.html.j2", tokens=c.tokens, n_kept=len(c.kept),
            n_columns=len(p.schema), n_dropped=len(c.dropped), ranked=ranked, over=c.over_budget, notes=c.notes,
            reasons=[(_REASON_TEXT.get(r, r), n) for r, n in sorted(c.reasons.items())],
        ).rstrip("\n")  # fmt: skip
        self._show_recall()
        self._show_columns()

    def _recall(self) -> RecallReport:
        items = [(q.question, q.gold_columns) for q in self.questions]
        return column_recall(
            self.prompt.schema, self.prompt.variant.schema_, items, encoding=self.prompt.encoding
        )

    def _show_recall(self) -> None:
        r = self.recall
        if r is None:
            self.recall_html.value = (
                "<span style='color:#777'>column recall: pass questions=… to measure it</span>"
            )
            return
        color = "#1b7a3a" if r.recall >= 0.999 else "#a15c00" if r.recall >= 0.9 else "#b00020"
        self.recall_html.value = render(
            "workbench.widgets", "schema_recall.html.j2", r=r, name=self.questions.name, color=color,
            misses=list(r.misses.items())[:8],
        ).rstrip("\n")  # fmt: skip

    def rows(self) -> list[tuple[str, str, str, str]]:
        """``(name, type, status, reason)`` per column, filtered by the search box and the kept/dropped toggle."""
        c, p = self.compressed, self.prompt
        if c is None:
            return []
        needle = self.search.value.strip().lower()
        kept = set(c.kept)
        order = [*c.kept, *(n for n in p.schema.names if n not in kept)]
        out = []
        for name in order:
            status = "kept" if name in kept else "dropped"
            if self.show.value != "all" and status != self.show.value:
                continue
            if needle and needle not in name.lower():
                continue
            reason = "pinned" if name in p.variant.schema_.pinned and status == "kept" else ""
            if status == "dropped":
                reason = _REASON_TEXT.get(c.dropped.get(name, ""), c.dropped.get(name, ""))
            elif name in c.scores:
                reason = reason or f"relevance {c.scores[name]:.2f}"
            col = p.schema.get(name)
            out.append((name, str(col.type) if col is not None else "", status, reason))
        return out

    def _show_columns(self) -> None:
        self.columns_html.value = render(
            "workbench.widgets", "columns_table.html.j2", rows=self.rows()
        ).rstrip("\n")


def _relevance_options(value: str) -> list[str]:
    """none and lexical; embedding only when the variant already uses it (it needs a local model)."""
    return ["none", "lexical"] if value in ("none", "lexical") else ["none", "lexical", value]
