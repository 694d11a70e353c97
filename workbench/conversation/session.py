"""``Conversation``: questions asked one after another, each a follow-up of the current query.

Each turn renders the question with the current query in the prompt (the variant's
``current_query`` setting), judges the answer with the follow-up critic (dropped context), runs
it, and records what changed against the previous query (``spec.diff``). A turn without a valid
query keeps the current query where it was, as an application would.

Example:
    >>> c = Conversation("compact")                     # doctest: +SKIP
    >>> c.ask("errors by service yesterday")             # doctest: +SKIP
    >>> c.ask("only checkout").diff.lines()              # doctest: +SKIP
    ['+ filter service.name = checkout', '- by service.name']
    >>> c.undo(); c.history()                            # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.pipeline.answer import Answer
from workbench.pipeline.ask import ask, bind_prompt
from workbench.spec.diff import SpecDiff, spec_diff
from workbench.spec.query import parse_spec
from workbench.spec.readback import readback

if TYPE_CHECKING:
    from workbench.llm.backends import Backend
    from workbench.llm.cache import ResponseCache
    from workbench.prompt.render import Prompt
    from workbench.prompt.variant import PromptVariant

__all__ = ["Conversation", "Turn"]


@dataclass(frozen=True)
class Turn:
    """One question of a conversation: what was current before it, the answer, and what changed."""

    question: str
    answer: Answer
    previous: dict[str, Any] | None
    diff: SpecDiff | None  # None when the turn gave no valid query

    @property
    def spec(self) -> dict[str, Any] | None:
        return self.answer.spec if self.answer.valid else None

    @property
    def findings(self) -> tuple[Any, ...]:
        return self.answer.findings

    @property
    def sql(self) -> str | None:
        return self.answer.sql

    @property
    def result(self) -> Any:
        return self.answer.result

    def to_dict(self) -> dict[str, Any]:
        """``ask --json`` of the answer plus ``current`` (the query before) and ``diff``."""
        out = self.answer.to_dict()
        out["current"] = self.previous
        out["diff"] = self.diff.to_dict() if self.diff is not None else None
        return out


class Conversation:
    """Follow-up questions over one prompt and dataset: ``ask``, ``undo``, ``history``.

    Args:
        prompt: a bound ``Prompt``, a variant, or its name/path (bound to ``dataset``).
        dataset: where queries run (default: the embedded telemetry); ``None`` with ``execute=False``
            compiles only.
        current: a query to start from (a spec, dict or JSON text).
        cache, backend, trial, execute: as ``pipeline.ask.ask``.
    """

    def __init__(
        self,
        prompt: Prompt | PromptVariant | str | Path = "compact",
        dataset: Any | None = None,
        *,
        current: Any = None,
        cache: ResponseCache | bool | None = None,
        backend: Backend | None = None,
        trial: int = 0,
        execute: bool = True,
    ) -> None:
        if dataset is None and execute:
            from workbench.dataset.source import open_dataset

            dataset = open_dataset()
        self.dataset = dataset
        self.prompt = bind_prompt(prompt, dataset)
        self.start = parse_spec(current).to_dict() if current is not None else None
        self.turns: list[Turn] = []
        self.cache, self.backend, self.trial, self.execute = cache, backend, trial, execute

    @property
    def now(self) -> int:
        return self.prompt.schema.now_epoch

    @property
    def current(self) -> dict[str, Any] | None:
        """The current query: the last turn's valid spec (or the start query)."""
        for turn in reversed(self.turns):
            if turn.spec is not None:
                return turn.spec
        return self.start

    def ask(self, question: str, *, current: Any = None) -> Turn:
        """Ask ``question`` as a follow-up of the current query (or of ``current`` when given)."""
        before = parse_spec(current).to_dict() if current is not None else self.current
        answer = ask(
            question,
            self.prompt,
            dataset=self.dataset,
            trial=self.trial,
            cache=self.cache,
            backend=self.backend,
            execute=self.execute,
            current=before,
        )
        diff = spec_diff(before, answer.spec, self.now) if answer.valid and answer.spec is not None else None
        turn = Turn(answer.question, answer, before, diff)
        self.turns.append(turn)
        return turn

    def undo(self) -> Turn | None:
        """Remove the last turn (the current query goes back to the one before it); ``None`` when empty."""
        return self.turns.pop() if self.turns else None

    def history(self) -> list[str]:
        """One line per turn: number, question, and the query it left (readback) or why none."""
        lines = []
        for i, t in enumerate(self.turns, 1):
            if t.spec is not None:
                lines.append(f"{i}. {t.question} -> {readback(t.spec, self.now)}")
            else:
                lines.append(f"{i}. {t.question} -> no query ({t.answer.message or 'invalid'})")
        return lines

    def __len__(self) -> int:
        return len(self.turns)

    def __repr__(self) -> str:
        return f"<Conversation {self.prompt.variant.name!r}: {len(self.turns)} turns>"
