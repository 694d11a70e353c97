"""The judge-and-repair policy, written once: judge the first call, repair once if it needs it.

``RepairPolicy.steps`` is a sans-IO generator: it yields the request bodies to send and
receives the model calls that answer them, and returns the attempts. Whoever does the I/O
drives it: ``drive`` (sync), ``adrive`` (async), or the eval orchestrator, which advances
one generator per trial as its batched calls come back::

    steps = policy.steps(body, question)
    request = next(steps)            # the first request
    request = steps.send(call)       # the repair request, or StopIteration(value=attempts)

So the workbench (``pipeline.ask``), the runtime (``Assistant.ask`` / ``aask``) and
evaluation send the same requests and judge the answers by the same rules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.critic import critic_check
from workbench.critic.followup import followup_check
from workbench.pipeline.judge import (
    DEFAULT_CHECKS,
    Attempt,
    Check,
    RepairOn,
    judge,
    needs_repair,
    repair_body,
)

if TYPE_CHECKING:
    from workbench.llm.client import ModelCall
    from workbench.llm.modes import TextQuery
    from workbench.prompt.variant import PromptVariant
    from workbench.schema.columns import Schema

__all__ = ["RepairPolicy", "Steps", "adrive", "drive", "with_trial_seed"]

#: yields request bodies, receives the model call answering each, returns the attempts
Steps = Generator[dict[str, Any], "ModelCall", tuple[Attempt, ...]]


@dataclass(frozen=True)
class RepairPolicy:
    """How answers are judged and when one repair is asked for.

    Args:
        output_mode: how a model call is parsed (``llm.modes``).
        schema: what a spec is validated against.
        repair: ask once more when the first answer needs it (the variant's ``repair``).
        repair_on: ``errors`` (an answer that fails validation) or ``warnings`` (also a valid
            answer with warnings, e.g. a value the question names but the query ignores).
        checks: extra checks on a valid spec (``judge.Check``).
        text_query: a tool_call answer written as text: ``accept`` (with a warning) or ``reject``.
    """

    output_mode: str
    schema: Schema | None
    repair: bool = True
    repair_on: RepairOn = "errors"
    checks: tuple[Check, ...] = DEFAULT_CHECKS
    text_query: TextQuery = "accept"

    @classmethod
    def for_variant(
        cls,
        variant: PromptVariant,
        schema: Schema | None,
        *,
        repair_on: RepairOn | None = None,
        checks: Sequence[Check] | None = None,
        current: Any = None,
    ) -> RepairPolicy:
        """The policy of a prompt variant: its output mode, ``repair`` setting, and the critic with
        the variant's conventions as the judge's check (unless ``checks`` says otherwise).

        With ``current`` (the query a follow-up changes) the critic is the follow-up critic
        (``critic.followup``): inherited parts are not judged again, dropped context is a warning.
        """
        if checks is not None:
            chosen = tuple(checks)
        elif current is not None:
            chosen = (followup_check(current, variant.conventions),)
        else:
            chosen = (critic_check(variant.conventions),)
        return cls(
            variant.output_mode,
            schema,
            variant.repair,
            repair_on or variant.repair_on,
            chosen,
            getattr(variant, "text_query", "accept"),
        )

    def judge(self, call: ModelCall, question: str | None) -> Attempt:
        return judge(call, self.output_mode, self.schema, question, self.checks, self.text_query)

    def steps(self, body: dict[str, Any], question: str | None) -> Steps:
        """The policy for one question, as a generator (see the module docstring)."""
        first = self.judge((yield body), question)
        if not (self.repair and needs_repair(first, self.repair_on)):
            return (first,)
        second = self.judge((yield repair_body(body, first, self.repair_on)), question)
        return (first, second)


def drive(steps: Steps, send: Callable[[dict[str, Any]], ModelCall]) -> tuple[Attempt, ...]:
    """Run ``steps`` with a blocking ``send(body) -> ModelCall``."""
    try:
        body = next(steps)
        while True:
            body = steps.send(send(body))
    except StopIteration as done:
        return done.value


async def adrive(steps: Steps, send: Callable[[dict[str, Any]], Awaitable[ModelCall]]) -> tuple[Attempt, ...]:
    """Run ``steps`` with an async ``send(body) -> ModelCall``."""
    try:
        body = next(steps)
        while True:
            body = steps.send(await send(body))
    except StopIteration as done:
        return done.value


def with_trial_seed(body: dict[str, Any], trial: int, question: str = "") -> dict[str, Any]:
    """Give each trial of a sampled (temperature > 0) request a deterministic seed of its own.

    The seed is derived from (the variant's seed, the question, the trial), trial 0 included,
    so a rerun sends the same seeds and trials differ from each other reproducibly. A greedy
    (temperature 0) request is left as it is.
    """
    if not body.get("temperature"):
        return body
    text = f"{int(body.get('seed') or 0)}\0{question}\0{int(trial)}".encode()
    return {**body, "seed": int.from_bytes(hashlib.sha256(text).digest()[:4], "big") & 0x7FFFFFFF}
