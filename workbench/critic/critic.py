"""``critique``: the third validation layer. Does the valid query answer the question that was asked?

A pure function of the question, the spec, the schema, the team's conventions and (optionally) the
executed result. Every rule runs through one guarded runner: a bug in a rule becomes an ``info``
finding naming the rule, never an exception in the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench.core.findings import Finding, info, run_rules
from workbench.critic.constraints import RULES
from workbench.critic.result import check_result, constant_columns
from workbench.spec.query import parse_spec

__all__ = ["critique"]


#: every rule that needs no result: the question's constraints, and a statistic over a constant column
_SPEC_RULES = (
    *RULES,
    ("constant", lambda question, spec, schema, conventions: constant_columns(spec, schema)),
)


def _rule_failed(name: str, exc: Exception) -> Finding:
    return info("critic_rule_failed", f"the critic's {name} rule failed ({type(exc).__name__}: {exc})")


def critique(
    question: str | None, spec: Any, schema: Any, conventions: Any = None, result: Any = None
) -> tuple[Finding, ...]:
    """Warnings where a (valid) spec does not answer ``question``, plus result sanity when ``result`` is given.

    Args:
        question: the question asked; nothing is checked without one.
        spec: a ``QuerySpec`` (or its JSON dict); an unparseable spec draws nothing.
        schema: the dataset's ``Schema`` (value domains, column metadata, ``now``).
        conventions: the team's ``Conventions`` (``PromptVariant.conventions``); ``None`` checks only
            what needs no convention.
        result: the executed result (``.columns``/``.rows`` or a mapping), for result sanity.
    """
    spec = _parsed(question, spec)
    if spec is None:
        return ()
    findings = run_rules(_SPEC_RULES, question, spec, schema, conventions, failure=_rule_failed)
    if result is not None:
        findings += run_rules(
            [("result", check_result)], question, spec, schema, result, failure=_rule_failed
        )
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for f in findings:
        key = (f.code, f.path, f.message)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return tuple(unique)


def _parsed(question: Any, spec: Any) -> Any:
    """The spec as a ``QuerySpec`` when there is a question to check it against, else ``None``."""
    if not question or not isinstance(question, str) or spec is None:
        return None
    try:
        return parse_spec(spec)
    except Exception:  # an unparseable spec draws nothing: validation already said why
        return None


def is_critic_finding(code: str) -> bool:
    """A finding the critic raises (its own codes, and the question-value check it absorbed)."""
    return (code.startswith("critic_") and code != "critic_rule_failed") or code == "question_value_unused"


def critic_check(conventions: Any = None) -> Callable[[str, Any, Any], tuple[Finding, ...]]:
    """The critic as a judge check (``pipeline.judge.Check``), bound to a variant's conventions."""

    def check(question: str, spec: Any, schema: Any) -> tuple[Finding, ...]:
        return critique(question, spec, schema, conventions)

    check.__name__ = "critique"
    return check


def critique_result(question: str | None, spec: Any, schema: Any, result: Any) -> tuple[Finding, ...]:
    """Result sanity alone (the constraints were judged before execution)."""
    spec = _parsed(question, spec)
    if spec is None or result is None:
        return ()
    return tuple(run_rules([("result", check_result)], question, spec, schema, result, failure=_rule_failed))
