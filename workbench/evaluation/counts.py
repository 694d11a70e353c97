"""Per-question counts of a trial table: the one shape (``QuestionCounts``) every metric reads.

A trial table is a sequence of mappings (or a pandas DataFrame) with the experiment log's
column names (``metrics`` says which).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

__all__ = ["Counts", "QuestionCounts", "Trial", "counts_by_question", "flag", "records"]

Trial = Mapping[str, Any]


class QuestionCounts(NamedTuple):
    """Trials and correct trials of one question: the one shape of per-question counts everywhere."""

    trials: int
    correct: int


#: question id -> its counts (plain ``(trials, correct)`` tuples work too)
Counts = Mapping[str, QuestionCounts]


def records(trials: Iterable[Trial] | Any) -> list[Trial]:
    if hasattr(trials, "to_dict") and hasattr(trials, "columns"):  # a pandas DataFrame
        return trials.to_dict("records")
    return list(trials)


def flag(value: Any) -> bool:
    """Truthiness where None, NaN and pandas' NA count as false."""
    try:
        return bool(value) and value == value
    except TypeError:  # pandas.NA
        return False


def counts_by_question(trials: Iterable[Trial] | Any) -> dict[str, QuestionCounts]:
    """``question_id -> QuestionCounts(trials, correct)`` per question, in first-seen order."""
    out: dict[str, list[int]] = {}
    for t in records(trials):
        nc = out.setdefault(str(t["question_id"]), [0, 0])
        nc[0] += 1
        nc[1] += flag(t.get("correct"))
    return {q: QuestionCounts(n, c) for q, (n, c) in out.items()}
