"""One trial of an eval, judged: execute the accepted spec, compare with the references, build the record.

:class:`TrialJudge` turns the attempts of one (variant, question, trial) into the
experiment-log record ``RunStore.record_trial`` takes. It mirrors
``pipeline.finish`` (execute the final attempt's spec when it is valid; explain an
empty result) but goes through the run's :class:`~workbench.evaluation.execution.Executions`,
so each distinct query runs once per run, and it runs each question's references
(gold and accepted alternatives) once per run too.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from workbench.core.findings import Finding, error
from workbench.critic.critic import critique_result
from workbench.evaluation.execution import Execution, Executions, spec_key
from workbench.evaluation.questions import Question
from workbench.pipeline.answer import Answer
from workbench.pipeline.ask import finish
from workbench.pipeline.judge import Attempt
from workbench.prompt.render import Prompt
from workbench.spec.matching import classify, results_match, spec_is_ordered, structural_diff
from workbench.sql.execute import jsonable
from workbench.store.runs import cap_result

__all__ = ["Reference", "TrialJudge"]

#: (label, spec, execution): ``gold`` or ``accept[i]``
Reference = tuple[str, dict[str, Any], Execution]


class TrialJudge:
    """Judges trials against their question's references; thread-safe, memoized per run."""

    def __init__(self, executions: Executions, *, now: int) -> None:
        self.executions = executions
        self.now = now
        self._lock = threading.Lock()
        self._refs: dict[str, tuple[threading.Lock, list[Reference]]] = {}
        self._matches: dict[tuple[str, str], tuple[bool, str | None]] = {}

    # ----------------------------------------------------------------- references

    def references(self, question: Question) -> list[Reference]:
        """The question's gold and accepted alternatives, executed (once per run)."""
        with self._lock:
            slot = self._refs.setdefault(question.id, (threading.Lock(), []))
        lock, refs = slot
        with lock:
            if not refs:
                labels = ["gold", *(f"accept[{i}]" for i in range(len(question.accept)))]
                for label, spec in zip(labels, question.specs, strict=True):
                    refs.append((label, spec, self._run(spec)))
            return refs

    def _run(self, spec: Any) -> Execution:
        try:
            return self.executions.run(spec)
        except Exception as exc:  # a reference that does not even compile
            return Execution(None, error("execution_failed", f"cannot run: {exc}"))

    # ----------------------------------------------------------------- one trial

    def answer(
        self, prompt: Prompt, question: Question, attempts: list[Attempt]
    ) -> tuple[Answer, Execution | None]:
        """``pipeline.finish`` for an eval: the final valid spec executed through the run's executions."""
        final = attempts[-1]
        if not (final.ok and final.validation is not None and final.validation.spec is not None):
            return finish(question.question, prompt, attempts, None), None
        from workbench.spec.validate.empty import explain_empty

        spec = final.validation.spec
        ex = self._run(spec)
        extra: list[Finding] = []
        if ex.failure is not None:
            extra.append(ex.failure)
        elif ex.result is not None and ex.result.is_empty:
            extra.extend(explain_empty(spec, prompt.schema))
        elif ex.result is not None:
            extra.extend(critique_result(question.question, spec, prompt.schema, ex.result))
        answer = Answer(
            question=question.question,
            variant=prompt.variant.name,
            model=prompt.variant.model,
            attempts=tuple(attempts),
            result=ex.result,
            sql=ex.sql,
            execution_findings=tuple(extra),
        )
        return answer, ex

    def correctness(self, question: Question, answer: Answer) -> tuple[bool, str | None]:
        """(correct, which reference matched): the result equals the gold's or an accepted one's."""
        if answer.result is None:
            return False, None
        key = (question.id, spec_key(answer.final.validation.spec))  # type: ignore[union-attr]
        with self._lock:
            if key in self._matches:
                return self._matches[key]
        verdict: tuple[bool, str | None] = (False, None)
        for label, spec, ex in self.references(question):
            if ex.result is not None and results_match(
                answer.result, ex.result, ordered=spec_is_ordered(spec)
            ):
                verdict = (True, label)
                break
        if len(answer.result.rows) <= 2_000:
            with self._lock:
                self._matches[key] = verdict
        return verdict

    def trial(
        self, prompt: Prompt, question: Question, trial: int, attempts: list[Attempt]
    ) -> tuple[dict[str, Any], dict[str, float]]:
        """The experiment-log record of one finished trial, and where its time went."""
        answer, ex = self.answer(prompt, question, attempts)
        t1 = time.perf_counter()
        correct, matched = self.correctness(question, answer)
        final = answer.final
        valid = final.validation is not None and final.validation.spec is not None
        semantic_valid = final.ok
        outcome = classify(
            error=final.call.error, valid=valid, semantic_valid=semantic_valid, correct=correct
        )
        diff = None
        if answer.spec is not None:
            try:
                diff = structural_diff(answer.spec, question.gold, now=self.now)
            except Exception:  # a spec too odd to compare part by part is simply "different"
                diff = None
        extra: dict[str, Any] = {
            "attempts": len(attempts),
            "matched": matched,
            "declined": final.declined,
            "message": final.parsed.text,
            "query_shared": bool(ex and ex.shared),
            "execution_ms": round(ex.elapsed_ms, 3) if ex else None,
            "http_attempts": [a.call.attempts for a in attempts],
            "retry_ms": round(answer.retry_ms, 3),
            "tokens_estimated": answer.tokens_estimated,
        }
        failures = {label: ref.failure.message for label, _, ref in self.references(question) if ref.failure}
        if failures:
            extra["reference_errors"] = failures
        if len(attempts) > 1:
            extra["attempt_records"] = [a.to_dict() for a in attempts]
        record = {
            "variant": prompt.variant.name,
            "question_id": question.id,
            "trial": trial,
            "request_hash": attempts[0].call.request_hash,
            "raw_output": final.call.response,
            "spec": answer.spec,
            "findings": [f.to_dict() for f in answer.findings],
            "sql": answer.sql,
            "result": jsonable(cap_result(answer.result)),
            "diff": diff,
            "correct": correct,
            "outcome": outcome,
            "valid": valid,
            "semantic_valid": semantic_valid,
            "repaired": answer.repaired,
            "tokens_in": answer.tokens_in,
            "tokens_out": answer.tokens_out,
            "cached_tokens": answer.cached_tokens,
            "latency_ms": round(answer.latency_ms, 3),
            "cost_usd": answer.cost_usd,
            "cache_hit": answer.cache_hit,
            "error": final.call.error,
            "extra": extra,
            "started_at": attempts[0].call.started_at or None,
            "finished_at": datetime.now(UTC).isoformat(),
        }
        timing = {"execute_ms": ex.elapsed_ms if ex else 0.0, "match_ms": (time.perf_counter() - t1) * 1000}
        return record, timing
