"""The moving parts of one ``evaluate()`` call: render, call, judge, execute and record, overlapped.

Each part has one job: ``trial_requests.TrialRequests`` renders a trial's request as the runner takes
it (never more than the concurrency ahead); :class:`CallPhase` runs a batch of calls through the
runner; :class:`Judging` (a small thread pool) runs each question's references once, judges
every call the moment it arrives, executes and matches the finished trial; ``trial_log.TrialLog``
writes judged trials to the log from one thread, in batches; ``tasks.Tasks`` guards the threads
(the first failure stops the run). :class:`Orchestrator` wires them for ``evaluate.py``, which
sets the run up, drives the phases and builds the result.
"""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from workbench.evaluation.execution import Executions, SharedDataset
from workbench.evaluation.progress import progress_callback
from workbench.evaluation.questions import QuestionSet
from workbench.evaluation.tasks import Tasks, Timings
from workbench.evaluation.trial import TrialJudge
from workbench.evaluation.trial_log import TrialCallback, TrialLog
from workbench.evaluation.trial_requests import Entry, Pending, TrialRequests, work_list
from workbench.llm.runner import Result, run_calls_sync
from workbench.prompt.render import Prompt
from workbench.store.runs import RunStore

__all__ = ["CallPhase", "Judging", "Orchestrator", "Pending", "TrialCallback"]

#: the interpreter's thread switch interval while calls are in flight: the event loop, back from a
#: socket, waits at most this long for a judge/log thread to hand over the GIL (Python's default: 5 ms)
#: (measured, N=200 C=16 D=200 ms: model-calls phase 4.6-4.7 s at 5 ms, 4.2-4.3 s at 0.5 ms)
CALLS_SWITCH_INTERVAL_S = 0.0005
#: questions whose references one prefetch task runs, in order
PREFETCH_CHUNK = 16
#: while calls are in flight, an answer is judged once none has arrived for ``JUDGE_LULL_S``, or once
#: the burst it came in has lasted ``JUDGE_MAX_WAIT_S`` (a steady stream of answers is judged as it
#: comes): answers come in bursts, and the event loop, which reads each one and sends the next
#: request, then has the GIL to itself; judging in the burst stretched every round
JUDGE_LULL_S = 0.005
JUDGE_MAX_WAIT_S = 0.05


class CallPhase:
    """Runs a batch of jobs through the runner, each result handed to ``on_result``; times the phase."""

    def __init__(self, *, concurrency: int, cache: Any, progress: Any, timeout_s: float | None,
                 max_attempts: int | None, timings: Timings) -> None:  # fmt: skip
        self.options = {"concurrency": concurrency, "cache": cache, "progress": progress_callback(progress),
                        "timeout_s": timeout_s, "max_attempts": max_attempts}  # fmt: skip
        self.timings = timings

    def run(self, jobs: Any, on_result: Any, *, key: str) -> None:
        """Call every job (a sized iterable, read lazily); ``key``: the timing it adds to."""
        if not len(jobs):
            return
        t0 = time.perf_counter()
        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, CALLS_SWITCH_INTERVAL_S))
        try:  # keep=False: each result lives until it is judged, not for the whole run
            run_calls_sync(jobs, keep=False, on_result=on_result, **self.options)
        finally:
            sys.setswitchinterval(interval)
            self.timings.add(key, time.perf_counter() - t0)


class Judging:
    """The pool that judges calls, runs references and finishes trials while calls are in flight."""

    def __init__(self, prompts: list[Prompt], dataset: Any, *, workers: int, tasks: Tasks, timings: Timings,
                 log: TrialLog) -> None:  # fmt: skip
        self.prompts, self.tasks, self.timings, self.log = prompts, tasks, timings, log
        self.shared = SharedDataset(dataset)
        self.executions = Executions(self.shared)
        self.judge = TrialJudge(self.executions, now=int(dataset.schema().now_epoch))
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="workbench-eval")
        self.lock = threading.Lock()
        self.repairs: list[Pending] = []
        self.last_arrival = 0.0  # time.monotonic() of the latest answer,
        self.burst_start = 0.0  # and of the first one after the last lull
        self.hurrying = False

    def prefetch_golds(self, entries: list[Entry]) -> None:
        """Start the reference queries first: the pool takes tasks in order, so none waits for long.

        Questions go to the pool ``PREFETCH_CHUNK`` at a time (a task per question queued 2,000
        futures at once at N=2,000)."""
        questions = list({q.id: q for _, q, _ in entries}.values())
        for start in range(0, len(questions), PREFETCH_CHUNK):
            self.tasks.submit(self.pool, self._references, questions[start : start + PREFETCH_CHUNK])

    def _references(self, questions: list[Any]) -> None:
        for q in questions:
            if self.tasks.stopping:
                return
            self.judge.references(q)

    def arrived(self, result: Result) -> None:
        """The runner's on_result (event-loop thread): hand the answer to the pool, stop on a failure."""
        self.tasks.raise_failure()
        self._note_arrival()
        self.tasks.submit(self.pool, self._judge_call, result.job.tag, result)

    def _note_arrival(self) -> None:
        now = time.monotonic()
        if now - self.last_arrival >= JUDGE_LULL_S:
            self.burst_start = now
        self.last_arrival = now

    def hurry(self, on: bool = True) -> None:
        """While on, judge each answer at once (no more are coming: the eval is draining)."""
        self.hurrying = on

    def _wait_for_lull(self) -> None:
        """Until no answer has arrived for ``JUDGE_LULL_S`` or the burst has lasted ``JUDGE_MAX_WAIT_S``
        (sleeping: no GIL)."""
        while not self.hurrying and not self.tasks.stopping:
            left = (
                min(self.last_arrival + JUDGE_LULL_S, self.burst_start + JUDGE_MAX_WAIT_S) - time.monotonic()
            )
            if left <= 0:
                return
            time.sleep(left)

    def take_repairs(self) -> list[Pending]:
        with self.lock:
            repairs, self.repairs = self.repairs, []
        return repairs

    def close(self, cancel: bool) -> None:
        self.pool.shutdown(wait=True, cancel_futures=cancel)
        self.shared.close()

    def _judge_call(self, p: Pending, result: Result) -> None:
        self._wait_for_lull()
        t0 = time.perf_counter()
        more = p.advance(result.call)  # the policy judges the call and decides on a repair
        self.timings.add("judge_ms", (time.perf_counter() - t0) * 1000)
        self.timings.add("model_ms", result.call.latency_ms)
        if more:
            with self.lock:
                self.repairs.append(p)
            return
        record, timing = self.judge.trial(self.prompts[p.vi], p.question, p.trial, list(p.attempts))
        for key, value in timing.items():
            self.timings.add(key, value)
        self.log.add(record)


class Orchestrator:
    """One evaluate() call's parts, wired: its phases are ``todo``, ``prefetch_golds``,
    ``first_calls``, ``drain``, ``repair_calls`` and ``close``."""

    def __init__(
        self, *, prompts: list[Prompt], questions: QuestionSet, trials: int, dataset: Any, store: RunStore | None,
        run_id: str | None, backends: list[Any], concurrency: int, cache: Any, progress: Any,
        on_trial: TrialCallback | None, timeout_s: float | None, max_attempts: int | None, workers: int,
    ) -> None:  # fmt: skip
        self.prompts, self.questions, self.trials = prompts, questions, trials
        self.timings = Timings()
        self.tasks = Tasks()
        self.requests = TrialRequests(prompts, backends, self.timings)
        self.calls = CallPhase(concurrency=concurrency, cache=cache, progress=progress, timeout_s=timeout_s,
                               max_attempts=max_attempts, timings=self.timings)  # fmt: skip
        self.log = TrialLog(store, run_id, tasks=self.tasks, timings=self.timings, on_trial=on_trial)
        self.judging = Judging(prompts, dataset, workers=workers, tasks=self.tasks, timings=self.timings,
                               log=self.log)  # fmt: skip
        self.executions = self.judging.executions

    @property
    def records(self) -> list[dict[str, Any]]:
        """The recorded trials, when the run has no log (a logged run reads them back from it)."""
        return self.log.records

    @property
    def finished(self) -> int:
        """Trials recorded so far."""
        return self.log.finished

    def todo(self, done: set[tuple[str, str, int]]) -> list[Entry]:
        """The (variant, question, trial) still to run (``trial_requests.work_list``)."""
        return work_list(self.prompts, self.questions, self.trials, done)

    def prefetch_golds(self, todo: list[Entry]) -> None:
        self.judging.prefetch_golds(todo)

    def first_calls(self, todo: list[Entry]) -> None:
        """One call per entry of ``todo``, each request rendered when a call slot frees up."""
        self.calls.run(self.requests.lazy(todo), self.judging.arrived, key="calls_s")

    def repair_calls(self) -> None:
        """The second calls the repair policy asked for."""
        jobs = [self.requests.repair(p) for p in self.judging.take_repairs()]
        self.calls.run(jobs, self.judging.arrived, key="repair_s")

    def drain(self) -> None:
        """Wait for every judge/execute/record task; re-raise the first failure."""
        self.judging.hurry()  # no more answers are coming: judge each at once,
        self.log.hurry()  # and commit each judged trial at once
        try:
            self.timings.add("drain_s", self.tasks.drain())
        finally:
            self.judging.hurry(False)
            self.log.hurry(False)

    def close(self, cancel: bool) -> None:
        self.judging.hurry()
        self.judging.close(cancel)  # before the writer: judged trials get recorded
        self.log.close(cancel)
