"""One row of the examples editor: the example's question and query, validated, with its token cost."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
from markupsafe import Markup

from workbench.core import tokens
from workbench.core.findings import Finding, has_errors
from workbench.critic import is_critic_finding
from workbench.prompt.examples import Example
from workbench.spec.validate.layers import validate
from workbench.widgets._common import ERROR_COLOR, OK_COLOR, findings_html, fragment

__all__ = ["ExampleRow", "RowState", "pretty_query"]

#: the query box grows with its JSON between these many lines (then it scrolls)
MIN_QUERY_ROWS, MAX_QUERY_ROWS = 4, 24


def pretty_query(query: dict[str, Any] | str) -> str:
    """A query as the editor shows it: a clause a line (a list of several filters or calculations, one item a
    line), each item as compact JSON; text that is not a JSON object is kept exactly as typed."""
    if isinstance(query, str):
        try:
            query = json.loads(query)
        except json.JSONDecodeError:
            return query  # kept exactly as typed: the row says what is wrong with it
    if not isinstance(query, dict) or not query:
        return query if isinstance(query, str) else json.dumps(query, ensure_ascii=False)

    def dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = []
    for key, value in query.items():
        if isinstance(value, list) and len(value) > 1:
            items = ",\n".join(f"    {dumps(v)}" for v in value)
            lines.append(f"  {dumps(key)}: [\n{items}\n  ]")
        else:
            lines.append(f"  {dumps(key)}: {dumps(value)}")
    return "{\n" + ",\n".join(lines) + "\n}"


def query_rows(text: str) -> int:
    """The query box's height in lines: its content and one more, within ``MIN_QUERY_ROWS``..``MAX_QUERY_ROWS``."""
    return max(MIN_QUERY_ROWS, min(MAX_QUERY_ROWS, text.count("\n") + 2))  # a line of room for a wrapped one


@dataclass
class RowState:
    """What the editor knows about one row: the parsed example (or why it has none) and its checks."""

    example: Example | None
    problem: str | None
    findings: list[Finding]
    tokens: int

    @property
    def usable(self) -> bool:
        return self.example is not None and not has_errors(self.findings)


class ExampleRow:
    """One example: a one-line summary (number, question, verdict, tokens) with an edit toggle, and its editor
    (question, query JSON, checks, up/down/delete), shown only while the row is expanded."""

    def __init__(self, editor: Any, question: str, query: dict[str, Any] | str, note: str | None) -> None:
        self.note = note
        text = pretty_query(query)
        self.number = widgets.HTML(layout=widgets.Layout(width="32px"))
        self.toggle = widgets.ToggleButton(
            icon="pencil", tooltip="edit this example", layout=widgets.Layout(width="40px")
        )
        self.toggle.add_class("wb-example-edit")
        self.summary = widgets.HTML(layout=widgets.Layout(flex="1 1 auto", min_width="0"))
        self.summary.add_class("wb-example-summary")
        self.question = widgets.Textarea(
            value=question,
            rows=2,
            continuous_update=False,
            placeholder="question",
            layout=widgets.Layout(width="100%"),
        )
        self.question.add_class("wb-example-question")
        self.query = widgets.Textarea(
            value=text,
            rows=query_rows(text),
            continuous_update=False,
            placeholder="query JSON",
            layout=widgets.Layout(width="100%"),
        )
        self.query.add_class("wb-example-query")
        self.info = widgets.HTML(layout=widgets.Layout(flex="1 1 30%", min_width="0"))
        self.up = widgets.Button(icon="arrow-up", tooltip="move up", layout=widgets.Layout(width="34px"))
        self.down = widgets.Button(
            icon="arrow-down", tooltip="move down", layout=widgets.Layout(width="34px")
        )
        self.delete = widgets.Button(icon="trash", tooltip="delete", layout=widgets.Layout(width="34px"))
        self.editor = widgets.HBox(
            [
                widgets.VBox(
                    [self.question, self.query], layout=widgets.Layout(flex="1 1 60%", min_width="0")
                ),
                self.info,
                widgets.VBox([self.up, self.down, self.delete]),
            ],
            layout=widgets.Layout(display="none", padding="0 0 6px 66px", width="100%"),
        )
        self.editor.add_class("wb-example-editor")
        self.box = widgets.VBox(
            [widgets.HBox([self.number, self.toggle, self.summary]), self.editor],
            # never shrunk to fit the list's height (widget boxes scroll, so flex would squash them): the list scrolls
            layout=widgets.Layout(border_bottom="1px solid #eee", flex="0 0 auto"),
        )
        self.box.add_class("wb-example-row")
        self.state: RowState | None = None
        self.question.observe(lambda _: editor._row_edited(self), names="value")
        self.query.observe(lambda _: self._query_edited(editor), names="value")
        self.toggle.observe(
            lambda ch: editor.expand(editor._index(self)) if ch["new"] else self.set_expanded(False),
            names="value",
        )
        self.up.on_click(lambda _: editor.move(editor._index(self), -1))
        self.down.on_click(lambda _: editor.move(editor._index(self), 1))
        self.delete.on_click(lambda _: editor.delete(editor._index(self)))

    def _query_edited(self, editor: Any) -> None:
        """A typed query that reads as JSON is shown indented again (a bad one stays exactly as typed)."""
        pretty = pretty_query(self.query.value)
        if pretty != self.query.value:
            self.query.value = pretty  # comes back here once, unchanged, and is checked then
            return
        self.query.rows = query_rows(pretty)
        editor._row_edited(self)

    @property
    def expanded(self) -> bool:
        return self.editor.layout.display != "none"

    def set_expanded(self, expanded: bool) -> None:
        self.editor.layout.display = None if expanded else "none"
        if self.toggle.value != expanded:
            self.toggle.value = expanded

    def matches(self, text: str) -> bool:
        """Whether the search ``text`` occurs in the question or the query (case-insensitive)."""
        needle = text.strip().lower()
        return not needle or needle in self.question.value.lower() or needle in self.query.value.lower()

    def check(self, schema: Any, encoding: str, conventions: Any = None) -> RowState:
        """Read the row, validate its query and check it against its own question (the critic's warnings,
        read with the variant's ``conventions``): an example that teaches a misreading is flagged."""
        question = self.question.value.strip()
        try:
            query = json.loads(self.query.value)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            problem = f"query is not valid JSON: {exc.msg} ({where}); fix it there, the text is kept as typed"
            return self._set(RowState(None, problem, [], 0))
        if not isinstance(query, dict):
            return self._set(RowState(None, "query must be a JSON object", [], 0))
        if not question:
            return self._set(RowState(None, "write the question", [], 0))
        example = Example(question=question, query=query, note=self.note)
        findings = list(validate(query, schema).findings)
        if not has_errors(findings):
            from workbench.critic import critique

            findings += critique(question, query, schema, conventions)
        return self._set(RowState(example, None, findings, tokens.count_tokens(example.render(), encoding)))

    def _set(self, state: RowState) -> RowState:
        self.state = state
        if state.problem:
            self.info.value = fragment("colored", text=state.problem, color=ERROR_COLOR, warn=True)
            verdict = "<b style='color:#b00020'>unreadable</b>"
        else:
            verdict = (
                "<b style='color:#b00020'>invalid: never selected</b>"
                if has_errors(state.findings)
                else f"<b style='color:{OK_COLOR}'>valid</b>"
            )
            self.info.value = f"<div>{verdict} &middot; {state.tokens} tokens</div>" + findings_html(
                state.findings, none="no findings"
            )
        tokens = f" &middot; {state.tokens} tokens" if not state.problem else ""
        critic = sum(is_critic_finding(f.code) for f in state.findings)
        if critic:
            tokens += f" &middot; <b style='color:#a15c00'>&#9888; the critic: {critic} warning{'s' if critic > 1 else ''}</b>"
        self.summary.value = fragment(  # the verdict and the counts are markup of numbers and fixed words
            "example_summary",
            question=self.question.value.strip() or "(no question)",
            note=Markup(verdict + tokens),
        )
        return state
