"""The moving parts of one ``evaluate()`` call: render, call, judge, execute and record, overlapped.

``Orchestrator`` holds a run's prompts, its thread pool (judge, execute, match: CPU and
DuckDB work that overlaps the model calls), its single log-writer thread (the experiment
log takes one writer, so an insert never holds up execution; the writer takes every
record waiting, so it catches up in batches), the shared executions and the
phase timings. ``evaluate.py`` sets the run up, drives the phases and builds the result.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from workbench.evaluation.execution import Executions, SharedDataset
from workbench.evaluation.progress import progress_callback
from workbench.evaluation.questions import Question, QuestionSet
from workbench.evaluation.trial import TrialJudge
from workbench.llm.client import ModelCall
from workbench.llm.runner import Job, Result, run_calls_sync
from workbench.pipeline.judge import Attempt
from workbench.pipeline.policy import RepairPolicy, Steps, with_trial_seed
from workbench.prompt.render import Prompt
from workbench.store.runs import RunStore

__all__ = ["Orchestrator", "Pending", "TrialCallback"]

TrialCallback = Callable[[dict[str, Any]], Any]

#: the interpreter's thread switch interval while calls are in flight: the event loop, back from a
#: socket, waits at most this long for a judge/log thread to hand over the GIL (Python's default: 5 ms)
#: (measured, N=200 C=16 D=200 ms: model-calls phase 4.6-4.7 s at 5 ms, 4.2-4.3 s at 0.5 ms)
CALLS_SWITCH_INTERVAL_S = 0.0005

#: trials committed to the experiment log per transaction, at most
WRITE_BATCH = 8
#: how long the log writer lets judged trials gather before a commit (a commit costs about as much
#: as 8 trials' rows, so one per trial would make the log the run's largest CPU cost)
WRITE_LINGER_S = 0.1


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


class Orchestrator:
    """The state of one evaluate() call: prompts, pool, executions, log and timings."""

    def __init__(
        self, *, prompts: list[Prompt], questions: QuestionSet, trials: int, dataset: Any, store: RunStore | None,
        run_id: str | None, backends: list[Any], concurrency: int, cache: Any, progress: Any,
        on_trial: TrialCallback | None, timeout_s: float | None, max_attempts: int | None, workers: int,
    ) -> None:  # fmt: skip
        self.prompts, self.questions, self.trials = prompts, questions, trials
        self.store, self.run_id, self.backends = store, run_id, backends
        self.concurrency, self.cache, self.on_trial = concurrency, cache, on_trial
        self.progress = progress_callback(progress)
        self.timeout_s, self.max_attempts = timeout_s, max_attempts
        self.policies = [RepairPolicy.for_variant(p.variant, p.schema) for p in prompts]
        self.shared = SharedDataset(dataset)
        self.executions = Executions(self.shared)
        self.judge = TrialJudge(self.executions, now=int(dataset.schema().now_epoch))
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="workbench-eval")
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workbench-eval-log")
        self.lock = threading.Lock()
        self.futures: list[Future[Any]] = []
        self.repairs: list[Pending] = []
        self.records: list[dict[str, Any]] = []
        self.unwritten: list[dict[str, Any]] = []
        self.write_queued = False
        self.failure: BaseException | None = None
        self.timings: dict[str, float] = dict.fromkeys(
            ("render_s", "calls_s", "repair_s", "drain_s", "model_ms", "judge_ms", "execute_ms", "match_ms",
             "record_ms"), 0.0)  # fmt: skip

    # ----------------------------------------------------------------- phases

    def todo(self, done: set[tuple[str, str, int]]) -> list[tuple[int, Question, int]]:
        """The (variant, question, trial) still to run, trial-major: an interrupted run has every question's first trials."""
        return [(vi, q, t) for t in range(self.trials) for q in self.questions for vi, prompt in enumerate(self.prompts)
                if (prompt.variant.name, q.id, t) not in done]  # fmt: skip

    def prefetch_golds(self, todo: list[tuple[int, Question, int]]) -> None:
        """Start the reference queries first: the pool takes tasks in order, so none waits for long."""
        seen: set[str] = set()
        for _, q, _ in todo:
            if q.id not in seen:
                seen.add(q.id)
                self._submit(self.judge.references, q)

    def first_calls(self, todo: list[tuple[int, Question, int]]) -> None:
        """One call per entry of ``todo``, each request rendered when a call slot frees up (render
        ahead of the calls by at most the concurrency, overlapping the model's wait)."""
        self._call(_Rendered(self, todo), repair=False)

    def render(self, vi: int, q: Question, t: int) -> Job:
        """The job of one trial: its prompt rendered (once per question and variant) and its policy started."""
        t0 = time.perf_counter()
        body = with_trial_seed(self.prompts[vi].render(q.question).body, t, q.question)
        p = Pending(vi, q, t, self.policies[vi].steps(body, q.question))
        self._add("render_s", time.perf_counter() - t0)
        return Job(p.request, self.backends[vi], t, tag=p)

    def repair_calls(self) -> None:
        """The second calls the repair policy asked for."""
        self._call([Job(p.request, self.backends[p.vi], p.trial, tag=p) for p in self.repairs], repair=True)

    def _call(self, jobs: Any, *, repair: bool) -> None:
        if not len(jobs):
            return
        t0 = time.perf_counter()
        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, CALLS_SWITCH_INTERVAL_S))
        try:
            run_calls_sync(
                jobs, concurrency=self.concurrency, cache=self.cache, progress=self.progress,
                timeout_s=self.timeout_s, max_attempts=self.max_attempts, on_result=self._arrived,
            )  # fmt: skip
        finally:
            sys.setswitchinterval(interval)
            self.timings["repair_s" if repair else "calls_s"] += time.perf_counter() - t0

    def drain(self) -> None:
        """Wait for every submitted judge/execute/record task; re-raise the first failure."""
        t0 = time.perf_counter()
        while True:
            with self.lock:
                todo = [f for f in self.futures if not f.done()]
            if not todo:
                break
            wait(todo)
        self.timings["drain_s"] += time.perf_counter() - t0
        self._raise_failure()

    def close(self, cancel: bool) -> None:
        self.pool.shutdown(wait=True, cancel_futures=cancel)  # before the writer: judged trials get recorded
        self.writer.shutdown(wait=True, cancel_futures=cancel)
        self.shared.close()

    # ----------------------------------------------------------------- per call / trial

    def _raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def _submit(self, fn: Callable[..., Any], *args: Any) -> None:
        future = self.pool.submit(self._guard, fn, *args)
        with self.lock:
            self.futures.append(future)

    def _guard(self, fn: Callable[..., Any], *args: Any) -> None:
        if self.failure is not None:
            return  # the run is stopping: record nothing more
        try:
            fn(*args)
        except BaseException as exc:
            with self.lock:
                if self.failure is None:
                    self.failure = exc

    def _arrived(self, result: Result) -> None:
        """The runner's on_result (event-loop thread): hand the answer to the pool, stop on a failure."""
        self._raise_failure()
        self._submit(self._judge_call, result.job.tag, result)

    def _judge_call(self, p: Pending, result: Result) -> None:
        t0 = time.perf_counter()
        more = p.advance(result.call)  # the policy judges the call and decides on a repair
        self._add("judge_ms", (time.perf_counter() - t0) * 1000)
        self._add("model_ms", result.call.latency_ms)
        if more:
            with self.lock:
                self.repairs.append(p)
            return
        self._complete(p)

    def _complete(self, p: Pending) -> None:
        prompt = self.prompts[p.vi]
        record, timing = self.judge.trial(prompt, p.question, p.trial, list(p.attempts))
        for key, value in timing.items():
            self._add(key, value)
        # One writer thread: log inserts (serialized by the store) never hold up execution. At most
        # one writer task is queued at a time; it lets records gather for WRITE_LINGER_S, then commits
        # them WRITE_BATCH at a time until none is waiting, so none is left behind.
        with self.lock:
            self.unwritten.append(record)
            if self.write_queued:
                return
            self.write_queued = True
            self.futures.append(self.writer.submit(self._guard, self._write))

    def _write(self) -> None:
        with self.lock:
            full = len(self.unwritten) >= WRITE_BATCH
        if not full and self.failure is None:
            time.sleep(WRITE_LINGER_S)
        while self.failure is None:
            with self.lock:  # at most WRITE_BATCH per commit: progress and a stop are never far behind
                batch, self.unwritten = self.unwritten[:WRITE_BATCH], self.unwritten[WRITE_BATCH:]
                if not batch:
                    self.write_queued = False
                    return
            self._commit(batch)

    def _commit(self, batch: list[dict[str, Any]]) -> None:
        t0 = time.perf_counter()
        many = getattr(self.store, "record_trials", None) if self.run_id is not None else None
        if many is not None and len(batch) > 1:
            many(self.run_id, batch)  # one transaction for the batch (a store that offers it)
            self._add("record_ms", (time.perf_counter() - t0) * 1000)
            for record in batch:
                self._recorded(record)
            return
        for record in batch:
            if self.failure is not None:
                return  # the run is stopping: record nothing more
            t0 = time.perf_counter()
            if self.store is not None and self.run_id is not None:
                self.store.record_trial(self.run_id, record)
            self._add("record_ms", (time.perf_counter() - t0) * 1000)
            self._recorded(record)

    def _recorded(self, record: dict[str, Any]) -> None:
        with self.lock:
            self.records.append(record)
        if self.on_trial is not None:
            self.on_trial(record)

    def _add(self, key: str, value: float) -> None:
        with self.lock:
            self.timings[key] = self.timings.get(key, 0.0) + value


class _Rendered:
    """The first calls' jobs, rendered as the runner takes them (sized: the runner reads it lazily)."""

    def __init__(self, orch: Orchestrator, todo: list[tuple[int, Question, int]]) -> None:
        self.orch, self.todo = orch, todo

    def __len__(self) -> int:
        return len(self.todo)

    def __iter__(self) -> Iterator[Job]:
        return (self.orch.render(*entry) for entry in self.todo)
