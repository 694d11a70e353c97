"""``SideBySide``: one question, N prompt variants in columns: query with its readback and the critic's
warnings, findings, SQL, result, chart, cost, gold."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from html import escape
from typing import Any

import ipywidgets as widgets

from workbench.spec.matching import results_match, spec_is_ordered
from workbench.widgets._charts import plotly_output, result_figure
from workbench.widgets._common import (
    ERROR_COLOR,
    OK_COLOR,
    Task,
    clear_error,
    critic_html,
    ensure_prompt,
    ensure_questions,
    error_widget,
    findings_html,
    fmt_cost,
    fmt_ms,
    message_of,
    result_table_html,
    show_error,
    split_findings,
)
from workbench.widgets._query_view import builder_or_none, query_html, sql_html

__all__ = ["SideBySide", "VariantColumn"]


def _html(css_class: str, value: str = "") -> widgets.HTML:
    w = widgets.HTML(value)
    w.add_class(css_class)
    return w


#: the aspects of an answer, one grid row each, aligned across the variants
ROWS = ("head", "stats", "gold", "query", "findings", "sql", "result", "chart")


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

    Its children are the rows of ``ROWS`` (head, tokens/latency/cost, gold badge, query, findings, SQL,
    result, chart); in ``SideBySide`` they are items of one CSS grid, so a row lines up across variants.
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
        self.children = [
            _row("", self.header, self.error),
            _row("", self.stats),
            _row("", self.gold),
            _row("query", self.query),
            _row("findings", self.critic, self.findings),
            _row("SQL", self.sql),
            _row("result", self.result),
            _row("", self.chart),
        ]
        self.set_prompt(prompt, label)
        if problem is not None:
            show_error(self.error, problem)

    def set_prompt(self, prompt: Any, label: str = "") -> None:
        self.prompt = prompt
        if prompt is None:
            self.header.value = f"<b>{escape(label or '?')}</b>"
            return
        v = prompt.variant
        self.header.value = (
            f"<b>{escape(v.name)}</b><div style='color:#666;font-size:11px;line-height:1.35'>"
            f"{escape(v.summary())}</div>"
        )

    def clear(self) -> None:
        clear_error(self.error)
        self.answer = self.matched = self.figure = self.readback_text = self.builder = None
        self.critic_findings = []
        for w in (self.stats, self.critic, self.findings, self.sql, self.result, self.gold):
            w.value = ""
        self.query.value = query_html(None, empty="running…")
        self.chart.outputs = ()

    def run(self, question: str, dataset: Any, gold: Any = None, *, cache: Any = None) -> Any:
        """Ask this column's variant; show the answer (or a one-line error). Returns the answer or None."""
        from workbench.pipeline.ask import ask

        if self.prompt is None:
            return None
        self.clear()
        try:
            answer = ask(question, self.prompt, dataset=dataset, cache=cache)
            self.show(answer, gold, now=dataset.schema().now_epoch)
        except Exception as exc:
            if self.answer is None:
                self.query.value = query_html(None)
            show_error(self.error, exc)
            return None
        return answer

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
            self.query.value += f"<div style='color:#555'>model said: {escape(self.answer.message)}</div>"

    def _show_gold(self, answer: Any, gold: Any) -> None:
        if gold is None:
            self.gold.value = ""
            return
        question, results, problem = gold
        if problem:
            self.gold.value = (
                f"<span style='color:{ERROR_COLOR}'>gold could not run: {escape(problem)}</span>"
            )
            return
        self.matched = answer.result is not None and any(
            results_match(answer.result, r, ordered=spec_is_ordered(spec))
            for spec, r in zip(question.specs, results, strict=True)
            if r is not None
        )
        badge = (
            f"<span class='wb-match' style='background:{OK_COLOR};color:white;padding:1px 6px;"
            f"border-radius:8px'>&#10003; matches gold</span>"
            if self.matched
            else f"<span class='wb-mismatch' style='background:{ERROR_COLOR};color:white;padding:1px 6px;"
            f"border-radius:8px'>&#10007; differs from gold</span>"
        )
        self.gold.value = (
            f"<div>{badge} <span style='color:#666;font-size:11px'>{escape(question.id)}</span></div>"
            f"<details><summary style='font-size:11px'>gold query and result</summary>"
            f"{query_html(question.gold, self.now)}"
            f"{result_table_html(results[0], css_class='wb-gold-table') if results[0] is not None else ''}"
            f"</details>"
        )


class SideBySide(widgets.VBox):
    """Ask one question of several variants and compare the answers in columns.

    Args:
        prompts: bound ``Prompt`` objects, or variant names/paths (bound to ``dataset``).
        dataset: where queries run (default: the embedded telemetry).
        questions: a question set (or its path): its questions fill a dropdown, and for
            them the gold answer and a match badge are shown.
        cache: the response cache (``True``: the default file, as the CLI).

    ``ask(question)`` runs synchronously and returns the answers (``None`` where a variant
    failed); the Run button runs the same in a background thread (``task``).
    """

    def __init__(
        self,
        prompts: Sequence[Any] = ("naive", "honeycomb", "compact"),
        dataset: Any = None,
        questions: Any = None,
        *,
        cache: Any = True,
    ) -> None:
        super().__init__()
        self.add_class("wb-side-by-side")
        self.error = error_widget()
        self._gold_cache: dict[str, tuple[Any, list[Any], str | None]] = {}
        try:
            if dataset is None:
                from workbench.dataset.source import open_dataset

                dataset = open_dataset()
            self.questions = ensure_questions(questions)
        except Exception as exc:
            self.questions = None
            show_error(self.error, exc)
        self.dataset = dataset
        self._cache = cache
        # continuous: the box's value reaches the kernel as typed, so it is there when Enter's "submit" arrives
        # (the front end sends "submit" on keypress, before the change event that syncs a non-continuous box)
        self.question = widgets.Text(
            placeholder="Ask a question…", continuous_update=True, layout=widgets.Layout(width="560px")
        )
        self.question.add_class("wb-question")
        options = [("(type a question, or pick one from the set)", "")]
        if self.questions is not None:
            options += [(f"{q.id}: {q.question}", q.id) for q in self.questions]
        self.pick = widgets.Dropdown(options=options, value="", layout=widgets.Layout(width="420px"))
        self.pick.layout.display = None if self.questions is not None else "none"
        self.pick.observe(self._picked, names="value")
        self.run_button = widgets.Button(description="Run", button_style="primary", icon="play")
        self.run_button.add_class("wb-run")
        self.run_button.on_click(lambda _: self.start())
        self.status = _html("wb-status")
        self.task = Task(buttons=[self.run_button], error=self.error)
        self.columns: list[VariantColumn] = [self._column(p) for p in prompts]
        self.columns_box = widgets.GridBox(
            self.columns,
            layout=widgets.Layout(
                width="100%",
                grid_template_rows=f"repeat({len(ROWS)}, auto)",
                grid_auto_flow="column",
                grid_auto_columns="minmax(300px, 1fr)",
                grid_gap="0 6px",
                overflow="auto",
            ),
        )
        self.columns_box.add_class("wb-sbs-grid")
        self.question.on_msg(self._submitted)
        self.children = [
            widgets.HBox([self.question, self.run_button, self.status]),
            self.pick,
            self.error,
            self.columns_box,
        ]

    def _column(self, prompt: Any) -> VariantColumn:
        try:
            return VariantColumn(ensure_prompt(prompt, self.dataset))
        except Exception as exc:
            return VariantColumn(None, label=str(getattr(prompt, "name", prompt)), problem=exc)

    # ----------------------------------------------------------------- public

    @property
    def prompts(self) -> list[Any]:
        return [c.prompt for c in self.columns]

    def set_prompt(self, index: int, prompt: Any) -> None:
        """Replace the variant of column ``index`` (e.g. after an edit); its old answer stays until the next run."""
        self.columns[index].set_prompt(prompt)

    @property
    def answers(self) -> list[Any]:
        return [c.answer for c in self.columns]

    def ask(self, question: str | None = None) -> list[Any]:
        """Ask every variant ``question`` (default: the question box) and show the answers."""
        if question is not None and question != self.question.value:
            self.question.value = question
        text = self.question.value.strip()
        clear_error(self.error)
        if not text:
            show_error(self.error, "type a question first")
            self.status.value = ""
            return []
        if self.dataset is None:
            show_error(self.error, "no dataset to run queries on")
            return []
        self.status.value = "running…"
        started = time.perf_counter()
        gold = self.gold_for(text)
        cache = self._response_cache()
        with ThreadPoolExecutor(max_workers=max(1, len(self.columns))) as pool:
            futures = [pool.submit(c.run, text, self.dataset, gold, cache=cache) for c in self.columns]
            answers = [f.result() for f in futures]
        self._mark_differences(gold)
        self.status.value = f"done in {(time.perf_counter() - started) * 1000:,.0f} ms"
        return answers

    def start(self) -> Any:
        """Run ``ask`` in the background (the Run button); returns the thread, or None if one is running."""
        if not self.question.value.strip():
            show_error(self.error, "type a question first")
            return None
        return self.task.start(self.ask)

    def gold_for(self, question: str) -> tuple[Any, list[Any], str | None] | None:
        """``(Question, results of gold and accepted specs, problem)`` when the question is in the set."""
        if self.questions is None:
            return None
        wanted = " ".join(question.lower().split())
        match = next((q for q in self.questions if " ".join(q.question.lower().split()) == wanted), None)
        if match is None:
            return None
        if match.id not in self._gold_cache:
            from workbench.spec.query import parse_spec
            from workbench.sql.execute import run_query

            results: list[Any] = []
            problem = None
            for spec in match.specs:
                try:
                    results.append(run_query(self.dataset, parse_spec(spec)))
                except Exception as exc:
                    results.append(None)
                    problem = problem or message_of(exc)
            # an accepted alternative that fails to run is skipped; only a failing gold is a problem
            self._gold_cache[match.id] = (match, results, problem if results[0] is None else None)
        return self._gold_cache[match.id]

    def _response_cache(self) -> Any:
        from workbench.llm.cache import ResponseCache, ensure_cache

        if self._cache is True:
            if not isinstance(getattr(self, "_cache_obj", None), ResponseCache):
                self._cache_obj = ResponseCache()
            return self._cache_obj
        return ensure_cache(self._cache)

    def _mark_differences(self, gold: Any) -> None:
        """Mark each query's clauses that differ from the gold and from the other variants."""
        gold_spec = gold[0].gold if gold is not None and not gold[2] else None
        specs = [c.answer.spec if c.answer is not None else None for c in self.columns]
        for i, col in enumerate(self.columns):
            col.compare(gold_spec, specs[:i] + specs[i + 1 :])

    def _submitted(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        """Enter in the question box (the front end's ``submit`` event) runs the question."""
        if isinstance(content, dict) and content.get("event") == "submit":
            self.start()

    def _picked(self, change: dict[str, Any]) -> None:
        if change["new"] and self.questions is not None:
            self.question.value = self.questions[change["new"]].question

    def close(self) -> None:
        cache = getattr(self, "_cache_obj", None)
        if cache is not None:
            cache.close()
        super().close()
