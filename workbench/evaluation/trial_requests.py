"""The model requests of an eval's trials: rendered on demand, each trial's repair policy started.

:class:`TrialRequests` turns a (variant, question, trial) into the runner's ``Job``: the
question's request for that variant (rendered once per question and variant: the ``Prompt``
remembers it), the trial's seed, and a :class:`Pending`, the trial's own run of the
judge-and-repair policy, as the job's tag. :func:`work_list` says which trials are left.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from workbench.evaluation.questions import Question, QuestionSet
from workbench.evaluation.tasks import Timings
from workbench.llm.client import ModelCall
from workbench.llm.runner import Job
from workbench.pipeline.judge import Attempt
from workbench.pipeline.policy import RepairPolicy, Steps, with_trial_seed
from workbench.prompt.render import Prompt

__all__ = ["Entry", "Pending", "TrialRequests", "work_list"]

#: (variant index, question, trial)
Entry = tuple[int, Question, int]


def work_list(
    prompts: list[Prompt], questions: QuestionSet, trials: int, done: set[tuple[str, str, int]]
) -> list[Entry]:
    """The (variant, question, trial) still to run, trial-major: an interrupted run has every question's first trials."""
    return [(vi, q, t) for t in range(trials) for q in questions for vi, prompt in enumerate(prompts)
            if (prompt.variant.name, q.id, t) not in done]  # fmt: skip


@dataclass
class Pending:
    """A (variant, question, trial) waiting for its model call(s).

    ``steps`` is the trial's own run of the judge-and-repair policy (``pipeline.policy``):
    ``request`` is the body it asked for last; each call that comes back advances it, until
    it returns the ``attempts``.
    """

    vi: int
    question: Question
    trial: int
    steps: Steps
    request: dict[str, Any] = field(default_factory=dict)
    attempts: tuple[Attempt, ...] = ()

    def __post_init__(self) -> None:
        self.request = next(self.steps)

    def advance(self, call: ModelCall) -> bool:
        """Hand the policy its call: True when it wants another one (``request``), False when done."""
        try:
            self.request = self.steps.send(call)
        except StopIteration as done:
            self.attempts = done.value
            return False
        return True


class TrialRequests:
    """Jobs for the runner: a trial's first request (rendered on demand) or the repair it asked for."""

    def __init__(self, prompts: list[Prompt], backends: list[Any], timings: Timings) -> None:
        self.prompts, self.backends, self.timings = prompts, backends, timings
        self.policies = [RepairPolicy.for_variant(p.variant, p.schema) for p in prompts]

    def first(self, vi: int, q: Question, t: int) -> Job:
        """The job of one trial: its prompt rendered (once per question and variant) and its policy started."""
        t0 = time.perf_counter()
        body = with_trial_seed(self.prompts[vi].request_body(q.question), t, q.question)
        p = Pending(vi, q, t, self.policies[vi].steps(body, q.question))
        self.timings.add("render_s", time.perf_counter() - t0)
        return Job(p.request, self.backends[vi], t, tag=p)

    def lazy(self, entries: list[Entry]) -> _Lazy:
        """The first jobs of ``entries``, rendered as the runner takes them (at most the concurrency ahead)."""
        return _Lazy(self, entries)

    def repair(self, p: Pending) -> Job:
        """The job of the second call the repair policy asked for."""
        return Job(p.request, self.backends[p.vi], p.trial, tag=p)


class _Lazy:
    """Sized, so the runner reads it lazily: each job renders when a call slot frees up."""

    def __init__(self, requests: TrialRequests, entries: list[Entry]) -> None:
        self.requests, self.entries = requests, entries

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Job]:
        return (self.requests.first(*entry) for entry in self.entries)
