"""``VariantColumn``: one variant's answer in the side-by-side, as rows of its grid, and its conversation.

Each column keeps a ``conversation.Conversation``: a follow-up is asked with the column's current query, the
turns show under the query with what each changed (``wb-turns``), and undo goes back one turn. The logic stays
in ``Conversation``; the column only shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
from markupsafe import Markup

from workbench.conversation.session import Conversation, Turn
from workbench.core.templates import render
from workbench.spec.matching import results_match, spec_is_ordered
from workbench.widgets._chain_view import turns_html
from workbench.widgets._charts import plotly_output, result_figure
from workbench.widgets._common import (
    ERROR_COLOR,
    OK_COLOR,
    clear_error,
    critic_html,
    error_widget,
    findings_html,
    fmt_cost,
    fmt_ms,
    fragment,
    result_table_html,
    show_error,
    split_findings,
)
from workbench.widgets._query_view import builder_or_none, query_html, sql_html

__all__ = ["ROWS", "VariantColumn"]


def _html(css_class: str, value: str = "") -> widgets.HTML:
    w = widgets.HTML(value)
    w.add_class(css_class)
    return w


#: the aspects of an answer, one grid row each, aligned across the variants
ROWS = ("head", "stats", "gold", "query", "turns", "findings", "sql", "result", "chart")


def _row(label: str, *children: widgets.Widget) -> widgets.VBox:
    head = widgets.HTML(f"<div style='color:#666;font-size:11px;margin-top:4px'>{label}</div>")
    box = widgets.VBox(
        [head, *children] if label else list(children),
        layout=widgets.Layout(min_width="0", padding="2px 6px", border_left="1px solid #ddd"),
    )
    box.add_class("wb-row")
    return box


class VariantColumn(widgets.VBox):
    """One variant's answer (class ``wb-variant``). ``answer`` holds the last ``pipeline.Answer``.

    Its children are the rows of ``ROWS`` (head, tokens/latency/cost, gold badge, query, conversation, findings,
    SQL, result, chart); in ``SideBySide`` they are items of one CSS grid, so a row lines up across variants.
    The conversation row (``turns``) lists the turns of ``conversation`` with what each changed.
    The query shows as its readback (``readback_text``) and builder form (``builder``); the critic's
    warnings (``critic_findings``) sit in a yellow box above the other findings.
    """

    def __init__(
        self, prompt: Any = None, label: str = "", problem: BaseException | str | None = None
    ) -> None:
        super().__init__(
            # no box of its own: its rows are items of SideBySide's grid, which flows them down a column each
            layout=widgets.Layout(display="contents")
        )
        self.add_class("wb-variant")
        self.prompt = prompt
        self.answer: Any = None
        self.matched: bool | None = None
        self.figure: Any = None
        self.now: int | None = None
        self.readback_text: str | None = None
        self.builder: dict[str, Any] | None = None
        self.critic_findings: list[Any] = []
        self.header = _html("wb-variant-name")
        self.error = error_widget()
        self.stats = _html("wb-stats")
        self.query = _html("wb-query", query_html(None, empty="not run yet"))
        self.critic = _html("wb-critic")
        self.findings = _html("wb-findings")
        self.sql = _html("wb-sql")
        self.result = _html("wb-result")
        self.chart = widgets.Output(layout=widgets.Layout(min_width="0"))
        self.chart.add_class("wb-chart")
        self.gold = _html("wb-gold")
        self.turns = _html("wb-turns")
        #: this column's conversation (``None`` before the first question or after "new conversation")
        self.conversation: Conversation | None = None
        self.children = [
            _row("", self.header, self.error),
            _row("", self.stats),
            _row("", self.gold),
            _row("query", self.query),
            _row("conversation", self.turns),
            _row("findings", self.critic, self.findings),
            _row("SQL", self.sql),
            _row("result", self.result),
            _row("", self.chart),
        ]
        self.set_prompt(prompt, label)
        if problem is not None:
            show_error(self.error, problem)

    def set_prompt(self, prompt: Any, label: str = "") -> None:
        """Show ``prompt``; a conversation going on continues with it (an edited variant answers the next turn)."""
        self.prompt = prompt
        if self.conversation is not None and prompt is not None:
            self.conversation.prompt = prompt
        if prompt is None:
            self.header.value = fragment("bold", text=label or "?")
            return
        v = prompt.variant
        self.header.value = fragment("variant_header", name=v.name, summary=v.summary())

    def clear(self) -> None:
        clear_error(self.error)
        self.answer = self.matched = self.figure = self.readback_text = self.builder = None
        self.critic_findings = []
        for w in (self.stats, self.critic, self.findings, self.sql, self.result, self.gold):
            w.value = ""
        self.query.value = query_html(None, empty="running…")
        self.chart.outputs = ()

    def run(
        self, question: str, dataset: Any, gold: Any = None, *, cache: Any = None, follow_up: bool = False
    ) -> Any:
        """Ask this column's variant; show the answer (or a one-line error). Returns the answer or None.

        ``follow_up``: ask with the current query of this column's conversation (a new conversation otherwise).
        """
        if self.prompt is None:
            return None
        self.clear()
        return self.present(self.ask_turn(question, dataset, cache=cache, follow_up=follow_up), gold)

    def ask_turn(self, question: str, dataset: Any, *, cache: Any = None, follow_up: bool = False) -> Any:
        """Ask without touching a widget (safe in a worker thread): the ``Turn``, or the exception raised."""
        if self.prompt is None:
            return None
        try:
            if self.conversation is None or not follow_up:
                self.conversation = Conversation(self.prompt, dataset, cache=cache)
            return self.conversation.ask(question)
        except Exception as exc:  # shown by ``present``, on the widget's thread
            return exc

    def present(self, outcome: Any, gold: Any = None) -> Any:
        """Show what ``ask_turn`` gave (on the widget's thread); returns the answer or None."""
        if outcome is None:
            return None
        try:
            if isinstance(outcome, Exception):
                raise outcome
            self.show(outcome.answer, gold if outcome.previous is None else None, now=self.conversation.now)
        except Exception as exc:
            if self.answer is None:
                self.query.value = query_html(None)
            show_error(self.error, exc)
            self.show_turns()
            return None
        self.show_turns()
        return outcome.answer

    @property
    def turn_list(self) -> list[Turn]:
        """The conversation's turns, oldest first (empty before the first question)."""
        return list(self.conversation.turns) if self.conversation is not None else []

    def show_turns(self) -> None:
        """Render the conversation's turns with what each changed (``wb-turns``)."""
        now = self.conversation.now if self.conversation is not None else None
        self.turns.value = turns_html(self.turn_list, now)

    def undo(self, gold: Any = None) -> Turn | None:
        """Remove the last turn and show the one before (``gold`` for it when it opened the conversation)."""
        undone = self.conversation.undo() if self.conversation is not None else None
        turns = self.turn_list
        if turns:
            self.clear()
            self.show(turns[-1].answer, gold if len(turns) == 1 else None, now=self.conversation.now)
        elif undone is not None:
            self.reset()
        self.show_turns()
        return undone

    def reset(self) -> None:
        """Forget the conversation (the next question starts a new one) and empty the column."""
        self.conversation = None
        self.clear()
        self.query.value = query_html(None, empty="not run yet")
        self.turns.value = ""

    def show(self, answer: Any, gold: Any = None, *, now: int | None = None) -> None:
        """Show ``answer`` (``now``, the dataset's clock, turns days into words such as "yesterday")."""
        from workbench.spec.readback import readback_or_none

        self.answer, self.now = answer, now
        self.readback_text = readback_or_none(answer.spec, now) if answer.valid else None
        self.builder = builder_or_none(answer.spec, now) if self.readback_text else None
        self.compare(gold[0].gold if gold is not None and not gold[2] else None)
        checks, self.critic_findings = split_findings(answer.findings)
        self.critic.value = critic_html(self.critic_findings)
        self.findings.value = findings_html(
            checks, none="no validation findings" if self.critic_findings else "no findings"
        )
        self.sql.value = sql_html(answer.sql)
        self.result.value = result_table_html(answer.result)
        self.figure = result_figure(answer.result, answer.spec)
        plotly_output(self.chart, self.figure)
        cache = "cache hit" if answer.cache_hit else "model call"
        repaired = " &middot; repaired" if answer.repaired else ""
        estimate = " (estimate)" if getattr(answer, "tokens_estimated", False) else ""
        items = [f"{answer.tokens_in:,} tokens in", f"{answer.tokens_out:,} out{estimate}", fmt_ms(answer.latency_ms),
                 fmt_cost(answer.cost_usd), cache + repaired]  # fmt: skip
        # each figure whole on a line: the line breaks between figures, never inside one
        figures = " &middot; ".join(f"<span style='white-space:nowrap'>{i}</span>" for i in items)
        self.stats.value = f"<div style='font-size:12px;line-height:1.35'>{figures}</div>"
        self._show_gold(answer, gold)

    def compare(self, gold_spec: Any = None, others: Sequence[Any] = ()) -> None:
        """Re-render the query with the clauses that differ from the gold (red) and from ``others`` (amber)."""
        if self.answer is None:
            return
        spec = self.answer.spec
        self.query.value = query_html(spec, self.now, against=gold_spec, others=[o for o in others if o])
        if spec is None and self.answer.message:
            self.query.value += fragment("model_said", message=self.answer.message)

    def _show_gold(self, answer: Any, gold: Any) -> None:
        if gold is None:
            self.gold.value = ""
            return
        question, results, problem = gold
        if problem:
            self.gold.value = fragment("gold_failed", problem=problem, color=ERROR_COLOR, tag="span")
            return
        self.matched = answer.result is not None and any(
            results_match(answer.result, r, ordered=spec_is_ordered(spec))
            for spec, r in zip(question.specs, results, strict=True)
            if r is not None
        )
        table = result_table_html(results[0], css_class="wb-gold-table") if results[0] is not None else ""
        self.gold.value = render(
            "workbench.widgets", "column_gold.html.j2", matched=self.matched, question_id=question.id,
            query=Markup(query_html(question.gold, self.now)), table=Markup(table), ok_color=OK_COLOR,
            error_color=ERROR_COLOR,
        ).rstrip("\n")  # fmt: skip
