"""Which few-shot examples go into a prompt: selection per question, a token budget, the examples block.

Selection (``select_examples``) is ``all``, ``first`` k, seeded ``random`` k, or ``nearest`` k by
lexical similarity of the questions (DAIL-SQL style: numbers and known values are masked so that
the question's *shape* is compared), then trimmed to a token budget. Every pick carries the reason
it was chosen. The example sets themselves are ``prompt.examples``.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workbench.core.errors import ConfigError
from workbench.core.text import rank_by_similarity
from workbench.prompt.examples import Example, ExampleSet

__all__ = ["ExampleSettings", "SelectedExample", "format_examples", "select_examples"]


class ExampleSettings(BaseModel):
    """Which examples go into the prompt.

    Args:
        set: an example-set name in ``prompts/examples/`` or a path; ``None`` = no examples.
        selection: ``all``; ``first`` k; ``random`` k (seeded); ``nearest`` k to the question.
        k: how many examples for first/random/nearest.
        seed: the random selection's seed.
        token_budget: the most tokens the examples block may have; ``None`` = no limit.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    set: str | None = "core"
    selection: Literal["all", "first", "random", "nearest"] = "all"
    k: int = Field(default=8, ge=1)
    seed: int = 0
    token_budget: int | None = Field(default=None, ge=0)

    @property
    def depends_on_question(self) -> bool:
        return self.set is not None and self.selection == "nearest"

    def summary(self) -> str:
        if self.set is None:
            return "no examples"
        how = {"all": "all", "first": f"first {self.k}", "random": f"random {self.k} (seed {self.seed})",
               "nearest": f"nearest {self.k}"}[self.selection]  # fmt: skip
        budget = f", <= {self.token_budget} tokens" if self.token_budget is not None else ""
        return f"{self.set}: {how}{budget}"


@dataclass(frozen=True)
class SelectedExample:
    """An example considered for the prompt, and why it is in (or out).

    Args:
        example: the example.
        index: its position in the example set.
        score: similarity to the question (nearest only).
        reason: e.g. ``nearest #2, similarity 0.41``, ``first 8``, ``dropped: over token budget``.
        included: False when it was picked but dropped (token budget).
        tokens: tokens of this example's two lines on their own.
    """

    example: Example
    index: int
    score: float | None = None
    reason: str = ""
    included: bool = True
    tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "question": self.example.question,
            "score": None if self.score is None else round(self.score, 4),
            "reason": self.reason,
            "included": self.included,
            "tokens": self.tokens,
        }


@dataclass(frozen=True)
class _Candidate:
    index: int
    score: float | None
    reason: str


def _count(text: str, encoding: str) -> int:
    from workbench.core.tokens import count_tokens

    return count_tokens(text, encoding)


def select_examples(
    examples: ExampleSet | Sequence[Example],
    settings: ExampleSettings,
    question: str | None = None,
    *,
    encoding: str = "o200k_base",
    exclude: Collection[int] = (),
    mask_values: Collection[str] = (),
) -> list[SelectedExample]:
    """Choose examples for ``question``; deterministic for the same inputs (and seed).

    Args:
        examples: the candidates (an ``ExampleSet`` or a list).
        settings: selection, k, seed and token budget.
        question: needed for ``nearest`` only.
        encoding: tiktoken encoding used for the token budget.
        exclude: indexes never to select (the invalid examples).
        mask_values: words masked as ``<val>`` before comparing questions (e.g. the schema's values).

    Returns:
        The picks in prompt order, with reasons; picks dropped by the token budget stay in the
        list with ``included=False``. ``format_examples`` renders the included ones.
        For ``nearest`` the most similar example comes last, next to the question.
    """
    items = list(examples)
    pool = [i for i in range(len(items)) if i not in set(exclude)]
    if settings.set is None or not pool:
        return []
    k = settings.k
    if settings.selection == "all":
        picks = [_Candidate(i, None, "all") for i in pool]
    elif settings.selection == "first":
        picks = [_Candidate(i, None, f"first {k}") for i in pool[:k]]
    elif settings.selection == "random":
        chosen = random.Random(settings.seed).sample(pool, min(k, len(pool)))
        picks = [_Candidate(i, None, f"random (seed {settings.seed})") for i in chosen]
    else:
        if question is None:
            raise ConfigError(
                "nearest example selection needs the question", "pass the question to select_examples"
            )
        ranked = rank_by_similarity(question, [items[i].question for i in pool], mask_values)
        picks = [
            _Candidate(pool[j], score, f"nearest #{rank}, similarity {score:.2f}")
            for rank, (j, score) in enumerate(ranked[:k], start=1)
        ]
    chosen_list = _apply_budget(items, picks, settings.token_budget, encoding)
    if settings.selection == "nearest":
        chosen_list.reverse()
    elif settings.selection == "random":
        chosen_list.sort(key=lambda s: s.index)
    return chosen_list


def _apply_budget(
    items: list[Example], picks: list[_Candidate], budget: int | None, encoding: str
) -> list[SelectedExample]:
    """Keep picks in priority order while the whole examples block fits ``budget`` tokens."""
    out: list[SelectedExample] = []
    kept: list[str] = []  # the rendered examples kept so far (each rendered once)
    for c in picks:
        ex = items[c.index]
        text = ex.render()
        tokens = _count(text, encoding)
        if budget is not None:
            block = _count("\n\n".join([*kept, text]), encoding)
            if block > budget:
                out.append(
                    SelectedExample(
                        ex, c.index, c.score, f"dropped: over token budget ({c.reason})", False, tokens
                    )
                )
                continue
        kept.append(text)
        out.append(SelectedExample(ex, c.index, c.score, c.reason, True, tokens))
    return out


def _join(examples: Sequence[Example]) -> str:
    return "\n\n".join(e.render() for e in examples)


def format_examples(selected: Sequence[SelectedExample | Example]) -> str:
    """The examples block: ``Q: ...`` / ``A: <compact JSON>`` per example, a blank line between."""
    chosen = [s.example if isinstance(s, SelectedExample) else s for s in selected
              if not isinstance(s, SelectedExample) or s.included]  # fmt: skip
    return _join(chosen)
