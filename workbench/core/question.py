"""The one check every asked question passes before any model is called: not empty, not too long."""

from __future__ import annotations

from workbench.core.errors import WorkbenchError

#: the longest question asked (characters): a plain-English question is a sentence or two; a pasted
#: document is not a question and would run for minutes (and cost its length in tokens) for nothing.
MAX_QUESTION_CHARS = 2_000


def checked_question(question: object) -> str:
    """``question`` unchanged; ``WorkbenchError`` when it is not text, empty, or over ``MAX_QUESTION_CHARS``."""
    if not isinstance(question, str):
        raise WorkbenchError(f"a question must be text, not {type(question).__name__}", "pass a string")
    text = question.strip()
    if not text:
        raise WorkbenchError(
            "the question is empty", "ask something, e.g. 'errors by service in the last hour'"
        )
    if len(text) > MAX_QUESTION_CHARS:
        raise WorkbenchError(
            f"the question is {len(text):,} characters long, over the limit of {MAX_QUESTION_CHARS:,}",
            "ask a shorter question (one or two sentences)",
        )
    return question
