"""The workbench's ask: render → call → judge (repair) → execute, for one question.

``ask`` chains ``prompt.render``, the model call (``llm.runner``, with the response cache),
the judge-and-repair policy (``pipeline.policy``) and ``finish``, which executes the accepted
spec read-only on the dataset (DuckDB) and explains an empty result. The production runtime
never imports this module: it compiles instead of executing.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.core.errors import WorkbenchError
from workbench.core.findings import Finding, error
from workbench.core.question import checked_question
from workbench.critic.critic import critique_result
from workbench.dataset.source import open_dataset
from workbench.llm.backends import backend_for
from workbench.llm.runner import run_calls_sync
from workbench.pipeline.answer import Answer
from workbench.pipeline.judge import Attempt
from workbench.pipeline.policy import RepairPolicy, drive, with_trial_seed
from workbench.prompt.render import Prompt
from workbench.prompt.variant import load_variant
from workbench.spec.validate.empty import explain_empty
from workbench.sql.compiler import compile_spec
from workbench.sql.execute import run_query

if TYPE_CHECKING:
    from workbench.llm.backends import Backend
    from workbench.llm.cache import ResponseCache
    from workbench.llm.client import ModelCall
    from workbench.prompt.rendered import RenderedPrompt
    from workbench.prompt.variant import PromptVariant

__all__ = ["ask", "bind_prompt", "finish"]


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
            else:
                extra.extend(critique_result(question, spec, prompt.schema, result))
    elif final.ok and final.validation is not None:
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
    timeout_s: float | None = None,
    max_attempts: int | None = None,
    current: Any = None,
) -> Answer:
    """Ask one question end to end (sync; also works inside a running notebook loop).

    Args:
        question: the natural-language question (not empty, at most ``MAX_QUESTION_CHARS``).
        prompt: a bound ``Prompt`` or a variant name/path (bound to ``dataset``).
        dataset: where to run the query (default: the embedded telemetry).
        trial: the trial index (part of the cache key, so repeated trials are separate calls).
        cache: the response cache (``True`` = the default file).
        backend: override where requests go (default: from the variant).
        execute: run the query; otherwise stop at the SQL.
        timeout_s, max_attempts: per HTTP attempt and per call (default: the variant's, the
            environment's, else 60 s and 4; see ``llm.backends.call_settings``).
        current: the query this question follows up on (a spec or dict): shown in the prompt, and
            the critic judges the answer as a follow-up of it (``critic.followup``).
    """
    question = checked_question(question)  # before anything is opened or any model is called
    prompt, dataset = _bind(prompt, dataset, execute)
    rendered = prompt.render(question, current)
    backend = backend or backend_for(prompt.variant, timeout_s=timeout_s, max_attempts=max_attempts)
    body = with_trial_seed(rendered.body, trial, question)

    def one(request: dict[str, Any]) -> ModelCall:
        (res,) = run_calls_sync(
            [(request, backend, trial)],
            cache=cache,
            timeout_s=timeout_s,
            max_attempts=max_attempts,
            concurrency=1,
        )
        return res.call

    policy = RepairPolicy.for_variant(prompt.variant, prompt.schema, current=current)
    attempts = drive(policy.steps(body, question), one)
    return finish(rendered.question, prompt, attempts, dataset if execute else None, rendered=rendered)


def bind_prompt(prompt: Prompt | PromptVariant | str | Path, dataset: Any | None = None) -> Prompt:
    """A bound ``Prompt`` from a Prompt, a variant, a variant name or a path.

    ``dataset``: an opened dataset, a ``Schema``, a dataset path, or ``None`` for the generated
    telemetry (opened here: the workbench convenience over ``Prompt.load``).
    """
    if isinstance(prompt, Prompt):
        return prompt
    variant = load_variant(prompt)  # a bad variant fails before any dataset work
    if dataset is None or isinstance(dataset, str | Path):
        dataset = open_dataset(dataset)
    return Prompt.load(variant, dataset)


def _bind(prompt: Prompt | str, dataset: Any | None, execute: bool) -> tuple[Prompt, Any | None]:
    if dataset is None and (execute or not isinstance(prompt, Prompt)):
        dataset = open_dataset()
    return bind_prompt(prompt, dataset), dataset
