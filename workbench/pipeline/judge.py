"""Judging a model call: parse with the output mode, validate, run the extra checks; and the repair request.

``judge`` turns a model call into an ``Attempt`` (parse with the variant's output mode, then
validate against the schema, then the extra checks on a valid spec), ``needs_repair`` says
whether one more try is worth it and ``repair_body`` builds that follow-up request, which
sends the findings back. The repair loop itself is ``pipeline.policy``.

The model's output is untrusted: it only ever reaches SQL through ``validate`` →
``compile_spec`` (sqlglot builders, quoted identifiers). Light at import: the production
runtime uses this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from workbench.core.findings import Finding, error
from workbench.critic.values import unused_question_values
from workbench.llm.modes import ParseOutcome, TextQuery, get_mode
from workbench.spec.validate.layers import validate

if TYPE_CHECKING:
    from workbench.llm.client import ModelCall
    from workbench.schema.columns import Schema
    from workbench.spec.query import QuerySpec
    from workbench.spec.validate.layers import Validation

__all__ = [
    "DECLINED",
    "DEFAULT_CHECKS",
    "Attempt",
    "Check",
    "RepairOn",
    "call_failure_fix",
    "judge",
    "needs_repair",
    "repair_body",
]

#: parse findings that mean the model chose not to answer: asking again would not help.
DECLINED = frozenset({"no_query", "refusal"})

#: ``(question, spec, schema) -> findings``: a check the judge runs on a spec that passed validation
Check = Callable[[str, "QuerySpec", "Schema | None"], Sequence[Finding]]
#: the checks every judge runs by default: values the question names but the query ignores (warnings)
DEFAULT_CHECKS: tuple[Check, ...] = (unused_question_values,)
#: which findings of an answer are worth a repair: its errors (default) or its warnings too
RepairOn = Literal["errors", "warnings"]
_REPAIR_SEVERITIES: dict[str, frozenset[str]] = {
    "errors": frozenset({"error"}),
    "warnings": frozenset({"error", "warning"}),
}


@dataclass(frozen=True)
class Attempt:
    """One model call and what the workbench made of it."""

    call: ModelCall
    parsed: ParseOutcome
    validation: Validation | None = None

    @property
    def ok(self) -> bool:
        """A spec that passed structural and semantic validation."""
        return self.validation is not None and self.validation.ok

    @property
    def declined(self) -> bool:
        return any(f.code in DECLINED for f in self.parsed.findings)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.parsed.findings + (self.validation.findings if self.validation else ())

    def to_dict(self) -> dict[str, Any]:
        return {
            "call": self.call.to_dict(),
            "spec": self.parsed.spec,
            "text": self.parsed.text,
            "findings": [f.to_dict() for f in self.findings],
            "valid": self.ok,
        }


#: (a marker in a failed call's error text, what to do about it), first match wins
_CALL_FIXES = (
    ("insufficient_quota", "the account has no quota left: add credit or use another key"),
    ("HTTP 401", "check the API key (OPENAI_API_KEY, or the variant's api_key_env)"),
    ("HTTP 403", "the key may not use this model: check the key's project and permissions"),
    (
        "HTTP 404",
        "check the model name (--model, or the variant's model) and the base_url: the server does not serve it",
    ),
    (
        "HTTP 400",
        "the server refused the request: check the variant's output_mode and parameters for this model",
    ),
    ("HTTP 429", "rate limited: lower --concurrency, or retry later"),
    ("timeout", "the model did not answer in time: retry, or raise the timeout"),
    ("connection error", "the server is unreachable: check the base_url and that the server is running"),
)


def call_failure_fix(error_text: str | None) -> str:
    """What to do about a failed model call, from its error text."""
    text = error_text or ""
    return next((fix for marker, fix in _CALL_FIXES if marker in text), "retry, or check the model settings")


def judge(
    call: ModelCall,
    output_mode: str,
    schema: Schema | None,
    question: str | None = None,
    checks: Sequence[Check] = DEFAULT_CHECKS,
    text_query: TextQuery = "accept",
) -> Attempt:
    """Parse a model call with ``output_mode`` and validate the spec it holds against ``schema``.

    With the ``question``, a valid spec also goes through ``checks`` (by default the values the
    question names but the query ignores: warnings, they never block execution). ``text_query``:
    the variant's choice for a tool_call answer written as text (``llm.modes``).
    """
    if not call.ok:
        msg = f"the model call failed: {call.error}"
        parsed = ParseOutcome(
            None, (error("model_call_failed", msg, suggestion=call_failure_fix(call.error)),)
        )
        return Attempt(call, parsed)
    parsed = get_mode(output_mode).parse(call.response or {}, text_query=text_query)
    if parsed.spec is None:
        return Attempt(call, parsed)
    validation = validate(parsed.spec, schema)
    if question and validation.ok:
        extra = [f for check in checks for f in check(question, validation.spec, schema)]
        if extra:
            validation = replace(validation, findings=(*validation.findings, *extra))
    return Attempt(call, parsed, validation)


def _repairable(attempt: Attempt, repair_on: RepairOn) -> list[Finding]:
    severities = _REPAIR_SEVERITIES[repair_on]
    return [f for f in attempt.findings if f.severity in severities]


def needs_repair(attempt: Attempt, repair_on: RepairOn = "errors") -> bool:
    """Worth one more try: the model answered, but the answer has errors (or warnings) it can fix."""
    if not attempt.call.ok or attempt.declined:
        return False
    if not attempt.ok:
        return True
    return repair_on == "warnings" and bool(_repairable(attempt, repair_on))


def repair_body(body: dict[str, Any], attempt: Attempt, repair_on: RepairOn = "errors") -> dict[str, Any]:
    """The follow-up request: the conversation so far plus the findings, asking for a corrected query."""
    problems = "\n".join(f"- {f}" for f in _repairable(attempt, repair_on))
    verdict = "rejected by the validator" if not attempt.ok else "accepted, with warnings, by the validator"
    note = (
        f"The query was {verdict}:\n"
        f"{problems}\n"
        "Answer the same question again with a corrected query that fixes every problem above. "
        "Use only columns from the column list."
    )
    message = ((attempt.call.response or {}).get("choices") or [{}])[0].get("message") or {}
    assistant: dict[str, Any] = {"role": "assistant", "content": message.get("content")}
    tool_calls = message.get("tool_calls") or []
    follow_up: list[dict[str, Any]]
    if tool_calls:
        assistant["tool_calls"] = [
            {"id": c.get("id"), "type": "function", "function": c.get("function")} for c in tool_calls
        ]
        follow_up = [{"role": "tool", "tool_call_id": c.get("id"), "content": note} for c in tool_calls]
    else:
        assistant["content"] = message.get("content") or ""
        follow_up = [{"role": "user", "content": note}]
    return {**body, "messages": [*body["messages"], assistant, *follow_up]}
