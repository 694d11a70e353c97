"""Schema-valid but not what was asked: values the question names that the query ignores.

"count of catalog requests under 50ms" answered with only the duration filter is a valid
query, runs, and returns a plausible number: the most dangerous kind of wrong answer. The
question names ``catalog``, a value of ``service.name``; a query that neither filters on it
nor breaks down by its column dropped a condition.

The check is one rule of the critic (``workbench.critic.values.check_values``, code
``question_value_unused``); this module keeps the name it was imported by.
"""

from __future__ import annotations

from typing import Any

from workbench.core.findings import Finding

__all__ = ["unused_question_values"]


def unused_question_values(question: str, spec: Any, schema: Any) -> list[Finding]:
    """Warnings for column values the question names but the spec neither filters on nor breaks down by."""
    from workbench.critic.values import check_values

    return [f for f in check_values(question, spec, schema) if f.code == "question_value_unused"]
