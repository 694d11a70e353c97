"""``SideBySide``: one question, N prompt variants in columns: query with its readback and the critic's
warnings, findings, SQL, result, chart, cost, gold; a conversation per column that follow-ups continue."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ipywidgets as widgets

from workbench.widgets._column import ROWS, VariantColumn, _html
from workbench.widgets._common import (
    clear_error,
    ensure_prompt,
    ensure_questions,
    error_widget,
    fragment,
    message_of,
    show_error,
)
from workbench.widgets._ui import Task

__all__ = ["SideBySide", "VariantColumn"]


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

    Each column keeps a conversation (``VariantColumn.conversation``): ``ask(question, follow_up=True)``
    asks every column with its own current query and shows the turns with what each changed. Once a
    conversation is going the Run button reads "Follow up" and continues it; "Undo" takes the last turn
    back and "New conversation" starts over.
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

        # "Follow up" and "New conversation" whole: a button's default width, or a squeezed row, clips them
        def fit() -> widgets.Layout:
            return widgets.Layout(width="auto", min_width="80px", flex="0 0 auto")

        self.run_button = widgets.Button(description="Run", button_style="primary", icon="play", layout=fit())
        self.run_button.add_class("wb-run")
        self.run_button.on_click(lambda _: self.start())
        self.undo_button = widgets.Button(
            description="Undo", icon="undo", tooltip="take the last turn back", layout=fit()
        )
        self.undo_button.add_class("wb-undo")
        self.undo_button.on_click(lambda _: self._guarded(self.undo))
        self.new_button = widgets.Button(description="New conversation", icon="plus", layout=fit())
        self.new_button.add_class("wb-new-conversation")
        self.new_button.on_click(lambda _: self._guarded(self.new_conversation))
        self.status = _html("wb-status")
        self.task = Task(buttons=[self.run_button, self.undo_button, self.new_button], error=self.error)
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
            widgets.HBox(
                [self.question, self.run_button, self.undo_button, self.new_button, self.status],
                layout=widgets.Layout(flex_flow="row wrap", align_items="center"),
            ),
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

    @property
    def in_conversation(self) -> bool:
        """True when some column's conversation has a turn (the Run button then follows up)."""
        return any(c.turn_list for c in self.columns)

    def ask(self, question: str | None = None, *, follow_up: bool = False) -> list[Any]:
        """Ask every variant ``question`` (default: the question box) and show the answers.

        ``follow_up``: continue each column's conversation (the question modifies its current query);
        otherwise every column starts a new conversation with ``question``.
        """
        job = self._begin(question, follow_up)
        return [] if job is None else self._finish(job, self._answer(job))

    def _begin(self, question: str | None, follow_up: bool) -> dict[str, Any] | None:
        """On the widget's thread: check the question, empty the columns; the job for ``_answer``."""
        if question is not None and question != self.question.value:
            self.question.value = question
        text = self.question.value.strip()
        clear_error(self.error)
        if not text:
            show_error(self.error, "type a question first")
            self.status.value = ""
            return None
        if self.dataset is None:
            show_error(self.error, "no dataset to run queries on")
            return None
        self.status.value = "running…"
        for c in self.columns:
            if c.prompt is not None:
                c.clear()
        follow_up = follow_up and self.in_conversation
        return {"text": text, "follow_up": follow_up, "started": time.perf_counter()}

    def _answer(self, job: dict[str, Any]) -> tuple[Any, list[Any]]:
        """Ask every column, in parallel, touching no widget (a worker thread may run this): the gold
        (for a question of the set) and each column's turn or exception."""
        text, follow_up = job["text"], job["follow_up"]
        gold = None if follow_up else self.gold_for(text)  # a set's gold answers the question on its own
        cache = self._response_cache()
        with ThreadPoolExecutor(max_workers=max(1, len(self.columns))) as pool:
            futures = [
                pool.submit(c.ask_turn, text, self.dataset, cache=cache, follow_up=follow_up)
                for c in self.columns
            ]
            return gold, [f.result() for f in futures]

    def _finish(self, job: dict[str, Any], answered: tuple[Any, list[Any]]) -> list[Any]:
        """On the widget's thread: show each column's answer, mark the differences, say how long it took."""
        gold, outcomes = answered
        answers = [c.present(o, gold) for c, o in zip(self.columns, outcomes, strict=True)]
        self._mark_differences(gold)
        turn = max(len(c.turn_list) for c in self.columns) if self.columns else 0
        took = f"done in {(time.perf_counter() - job['started']) * 1000:,.0f} ms"
        self.status.value = f"turn {turn} {took}" if turn > 1 else took
        if job["follow_up"] and self._set_question(job["text"]) is not None:
            self.status.value += (
                " (a follow-up: the set's gold shows on an opening question; New conversation to see it)"
            )
        self._label_run()
        return answers

    def undo(self) -> list[Any]:
        """Take back the last turn of every column's conversation; returns the undone turns (``None`` where none)."""
        clear_error(self.error)
        opening = next((c.turn_list[0].question for c in self.columns if c.turn_list), None)
        gold = self.gold_for(opening) if opening else None
        undone = [c.undo(gold) for c in self.columns]
        left = max((len(c.turn_list) for c in self.columns), default=0)
        self._mark_differences(gold if left == 1 else None)
        done = next((t for t in undone if t is not None), None)
        self.status.value = (
            fragment("text", text=f"undone: {done.question}") if done is not None else "nothing to undo"
        )
        self._label_run()
        return undone

    def new_conversation(self) -> None:
        """Forget every column's conversation: the next question starts a new one."""
        clear_error(self.error)
        for c in self.columns:
            c.reset()
        self.status.value = "new conversation"
        self._label_run()

    def _label_run(self) -> None:
        self.run_button.description = "Follow up" if self.in_conversation else "Run"

    def _guarded(self, action: Any) -> None:
        """A button's action, with any failure as the widget's one-line error (a click never raises)."""
        if self.task.running:
            return
        try:
            action()
        except Exception as exc:
            show_error(self.error, exc)

    def start(self) -> Any:
        """Run ``ask`` in the background (the Run button); returns the thread, or None if one is running.

        The worker thread only asks (``_answer``); every widget update runs on the widget's thread."""
        if self.task.running:
            return None
        job = self._begin(None, self.in_conversation)
        if job is None:
            return None
        return self.task.start(self._answer, job, on_done=lambda answered: self._finish(job, answered))

    def gold_for(self, question: str) -> tuple[Any, list[Any], str | None] | None:
        """``(Question, results of gold and accepted specs, problem)`` when the question is in the set."""
        match = self._set_question(question)
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

    def _set_question(self, question: str) -> Any:
        """The set's question with this text (case and spacing aside), or None."""
        if self.questions is None:
            return None
        wanted = " ".join(question.lower().split())
        return next((q for q in self.questions if " ".join(q.question.lower().split()) == wanted), None)

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
