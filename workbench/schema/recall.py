"""Column recall: how many of the columns the gold queries use survive a schema setting's compression."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from workbench.core.encodings import DEFAULT_ENCODING
from workbench.schema.columns import Schema
from workbench.schema.compress import SchemaSettings, compress

__all__ = ["QuestionRecall", "RecallReport", "column_recall"]


@dataclass(frozen=True)
class QuestionRecall:
    """Which of one question's gold columns survived compression."""

    question: str
    gold: tuple[str, ...]
    missed: dict[str, str]  # column → why it is missing (a drop reason, or "not in schema")
    tokens: int

    @property
    def recall(self) -> float:
        return 1.0 if not self.gold else 1.0 - len(self.missed) / len(self.gold)


@dataclass(frozen=True)
class RecallReport:
    """Column recall of one schema setting over a question set.

    ``recall`` is the share of (question, gold column) pairs whose column survives
    compression for that question (1.0 when no question uses a column);
    ``mean_question_recall`` averages per-question recall over questions with gold columns.
    """

    recall: float
    mean_question_recall: float
    n_questions: int
    n_gold: int
    n_missed: int
    per_question: tuple[QuestionRecall, ...]
    misses: dict[str, int]  # column → number of questions that needed it and lost it, most first
    mean_tokens: float
    max_tokens: int


def column_recall(
    schema: Schema,
    settings: SchemaSettings,
    items: Iterable[tuple[str, set[str]]],
    *,
    encoding: str = DEFAULT_ENCODING,
) -> RecallReport:
    """How many of the columns the gold queries use survive compression.

    Args:
        schema: the dataset's columns.
        settings: the schema settings under test.
        items: ``(question, gold columns)`` pairs, e.g. from
            ``parse_spec(gold).columns_used()``. With relevance on, each question gets its
            own compression.
        encoding: the tokenizer the blocks are counted with.
    """
    per_question: list[QuestionRecall] = []
    misses: Counter[str] = Counter()
    for question, gold in items:
        result = compress(schema, settings, question, encoding=encoding)
        kept = set(result.kept)
        missed = {c: result.dropped.get(c, "not in schema") for c in sorted(gold) if c not in kept}
        misses.update(missed.keys())
        per_question.append(QuestionRecall(question, tuple(sorted(gold)), missed, result.tokens))
    n_gold = sum(len(q.gold) for q in per_question)
    n_missed = sum(len(q.missed) for q in per_question)
    with_gold = [q.recall for q in per_question if q.gold]
    tokens = [q.tokens for q in per_question]
    return RecallReport(
        recall=1.0 - n_missed / n_gold if n_gold else 1.0,
        mean_question_recall=sum(with_gold) / len(with_gold) if with_gold else 1.0,
        n_questions=len(per_question),
        n_gold=n_gold,
        n_missed=n_missed,
        per_question=tuple(per_question),
        misses=dict(sorted(misses.items(), key=lambda kv: (-kv[1], kv[0]))),
        mean_tokens=sum(tokens) / len(tokens) if tokens else 0.0,
        max_tokens=max(tokens, default=0),
    )
