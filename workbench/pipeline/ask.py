"""The ask pipeline: render → call → parse → validate → (repair) → compile → execute.

Each step is a function over plain records so that the CLI, the widgets and
evaluation run exactly the same logic: ``judge`` turns a model call into an
``Attempt`` (parse with the variant's output mode, then validate against the
schema), ``repair_body`` builds the one follow-up request that sends the
findings back, and ``finish`` executes the accepted spec read-only and
explains an empty result. ``ask`` / ``aask`` chain them for one question.

The model's output is untrusted: it only ever reaches SQL through
``validate`` → ``compile_spec`` (sqlglot builders, quoted identifiers).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from workbench.core.errors import WorkbenchError
from workbench.core.findings import Finding, error
from workbench.llm.modes import ParseOutcome, get_mode
from workbench.spec.validate.layers import Validation, validate
from workbench.spec.validate.question import unused_question_values

if TYPE_CHECKING:
    from workbench.llm.backends import Backend
    from workbench.llm.cache import ResponseCache
    from workbench.llm.client import ModelCall
    from workbench.prompt.render import Prompt, RenderedPrompt
    from workbench.schema.columns import Schema
    from workbench.sql.execute import QueryResult

#: parse findings that mean the model chose not to answer: asking again would not help.
DECLINED = frozenset({"no_query", "refusal"})


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


def judge(call: ModelCall, output_mode: str, schema: Schema | None, question: str | None = None) -> Attempt:
    """Parse a model call with ``output_mode`` and validate the spec it holds against ``schema``.

    With the ``question``, a valid spec is also checked for values the question names but the
    query ignores (``validate_question``: warnings, they never block execution).
    """
    if not call.ok:
        msg = f"the model call failed: {call.error}"
        parsed = ParseOutcome(
            None, (error("model_call_failed", msg, suggestion=call_failure_fix(call.error)),)
        )
        return Attempt(call, parsed)
    parsed = get_mode(output_mode).parse(call.response or {})
    if parsed.spec is None:
        return Attempt(call, parsed)
    validation = validate(parsed.spec, schema)
    if question and validation.ok:
        extra = unused_question_values(question, validation.spec, schema)
        if extra:
            validation = replace(validation, findings=(*validation.findings, *extra))
    return Attempt(call, parsed, validation)


def needs_repair(attempt: Attempt) -> bool:
    """Worth one more try: the model answered, but the answer has errors it can fix."""
    return attempt.call.ok and not attempt.declined and not attempt.ok


def repair_body(body: dict[str, Any], attempt: Attempt) -> dict[str, Any]:
    """The follow-up request: the conversation so far plus the findings, asking for a corrected query."""
    problems = "\n".join(f"- {f}" for f in attempt.findings if f.severity == "error")
    note = (
        "The query was rejected by the validator:\n"
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


@dataclass(frozen=True)
class Answer:
    """Everything about one question: the attempts, the accepted spec, its SQL and result, and the cost."""

    question: str
    variant: str
    model: str
    attempts: tuple[Attempt, ...]
    result: QueryResult | None = None
    sql: str | None = None
    execution_findings: tuple[Finding, ...] = ()
    rendered: RenderedPrompt | None = field(default=None, compare=False, repr=False)

    @property
    def final(self) -> Attempt:
        return self.attempts[-1]

    @property
    def valid(self) -> bool:
        return self.final.ok

    @property
    def spec(self) -> dict[str, Any] | None:
        """The query the model gave (normalized when it parsed), or ``None`` when it gave none."""
        final = self.final
        if final.validation is not None and final.validation.spec is not None:
            return final.validation.spec.to_dict()
        return final.parsed.spec

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.final.findings + self.execution_findings

    @property
    def message(self) -> str | None:
        """The model's own text (its explanation when it declined)."""
        return self.final.parsed.text

    @property
    def repaired(self) -> bool:
        return len(self.attempts) > 1 and self.final.ok

    @property
    def tokens_in(self) -> int:
        return sum(a.call.prompt_tokens or 0 for a in self.attempts)

    @property
    def tokens_out(self) -> int:
        return sum(a.call.completion_tokens or 0 for a in self.attempts)

    @property
    def cached_tokens(self) -> int:
        return sum(a.call.cached_tokens or 0 for a in self.attempts)

    @property
    def latency_ms(self) -> float:
        return sum(a.call.latency_ms for a in self.attempts)

    @property
    def cost_usd(self) -> float | None:
        costs = [a.call.cost_usd for a in self.attempts]
        return None if any(c is None for c in costs) else float(sum(costs))  # type: ignore[arg-type]

    @property
    def cache_hit(self) -> bool:
        return all(a.call.cache_hit for a in self.attempts)

    def to_dict(self) -> dict[str, Any]:
        """DESIGN.md's ``ask --json``: the ``query`` JSON plus question, spec, model, tokens, latency, cost."""
        result = self.result.to_dict() if self.result is not None else {}
        out: dict[str, Any] = {
            "valid": self.valid,
            "findings": [f.to_dict() for f in self.findings],
            "sql": self.sql,
            "columns": result.get("columns", []),
            "rows": result.get("rows", []),
            "question": self.question,
            "spec": self.spec,
            "model": self.model,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "latency_ms": round(self.latency_ms, 3),
            "cost_usd": self.cost_usd,
            "variant": self.variant,
            "message": self.message,
            "cache_hit": self.cache_hit,
            "repaired": self.repaired,
            "attempts": len(self.attempts),
        }
        if result.get("series") is not None:
            out["series"] = result["series"]
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)


def finish(
    question: str,
    prompt: Prompt,
    attempts: list[Attempt] | tuple[Attempt, ...],
    dataset: Any | None,
    *,
    rendered: RenderedPrompt | None = None,
    timeout_s: float | None = 10.0,
) -> Answer:
    """Execute the final attempt's spec read-only (when it is valid and a dataset is given)."""
    final = attempts[-1]
    result = sql = None
    extra: list[Finding] = []
    if final.ok and dataset is not None and final.validation is not None:
        from workbench.spec.validate.empty import explain_empty
        from workbench.sql.execute import run_query

        spec = final.validation.spec
        try:
            result = run_query(dataset, spec, timeout_s=timeout_s)
            sql = result.sql
        except WorkbenchError as exc:
            extra.append(
                error("execution_failed", str(exc), suggestion="narrow the query or check the dataset")
            )
        else:
            if result.is_empty:
                extra.extend(explain_empty(spec, prompt.schema))
    elif final.ok and final.validation is not None:
        from workbench.sql.compiler import compile_spec

        with contextlib.suppress(WorkbenchError):
            sql = compile_spec(final.validation.spec, prompt.schema).sql
    return Answer(
        question=question,
        variant=prompt.variant.name,
        model=prompt.variant.model,
        attempts=tuple(attempts),
        result=result,
        sql=sql,
        execution_findings=tuple(extra),
        rendered=rendered,
    )


def ask(
    question: str,
    prompt: Prompt | str = "compact",
    *,
    dataset: Any | None = None,
    trial: int = 0,
    cache: ResponseCache | bool | None = None,
    backend: Backend | None = None,
    execute: bool = True,
    timeout_s: float = 60.0,
) -> Answer:
    """Ask one question end to end (sync; also works inside a running notebook loop).

    Args:
        question: the natural-language question.
        prompt: a bound ``Prompt`` or a variant name/path (bound to ``dataset``).
        dataset: where to run the query (default: the embedded telemetry).
        trial: the trial index (part of the cache key, so repeated trials are separate calls).
        cache: the response cache (``True`` = the default file).
        backend: override where requests go (default: from the variant).
        execute: run the query; otherwise stop at the SQL.
    """
    from workbench.llm.runner import run_calls_sync

    prompt, dataset = _bind(prompt, dataset, execute)
    rendered = prompt.render(question)
    backend = backend or _backend(prompt)
    body = _with_trial_seed(rendered.body, trial)

    def one(request: dict[str, Any]) -> Attempt:
        (res,) = run_calls_sync([(request, backend, trial)], cache=cache, timeout_s=timeout_s, concurrency=1)
        return judge(res.call, prompt.variant.output_mode, prompt.schema, question)

    attempts = [one(body)]
    if prompt.variant.repair and needs_repair(attempts[0]):
        attempts.append(one(repair_body(body, attempts[0])))
    return finish(rendered.question, prompt, attempts, dataset if execute else None, rendered=rendered)


def _bind(prompt: Prompt | str, dataset: Any | None, execute: bool) -> tuple[Prompt, Any | None]:
    from workbench.prompt.render import Prompt

    if dataset is None and (execute or not isinstance(prompt, Prompt)):
        from workbench.dataset.source import open_dataset

        dataset = open_dataset()
    if not isinstance(prompt, Prompt):
        prompt = Prompt.load(prompt, dataset)
    return prompt, dataset


def _backend(prompt: Prompt) -> Backend:
    from workbench.llm.backends import backend_for

    return backend_for(prompt.variant)


def _with_trial_seed(body: dict[str, Any], trial: int) -> dict[str, Any]:
    """Give each trial of a sampled (temperature > 0) request its own seed, so trials differ reproducibly.

    Trial 0 keeps the variant's request as it is.
    """
    if trial == 0 or not body.get("temperature"):
        return body
    return {**body, "seed": int(body.get("seed") or 0) + trial}
