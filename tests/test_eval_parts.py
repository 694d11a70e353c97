"""The eval orchestrator's parts, each on its own: guarded tasks, the trial log's batches and what it
keeps, the lazily rendered requests, and a runner that keeps no results (flat memory)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest
from openai_wire import FakeEndpoint

from workbench.evaluation.questions import QuestionSet
from workbench.evaluation.tasks import TIMING_KEYS, Tasks, Timings
from workbench.evaluation.trial_log import TrialLog
from workbench.evaluation.trial_requests import TrialRequests, work_list
from workbench.llm.runner import Job, run_calls_sync
from workbench.prompt.render import Prompt
from workbench.store.runs import RunStore

REPO = Path(__file__).resolve().parents[1]
REQUEST = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "errors per service"}]}


def test_tasks_wait_for_tasks_that_submit_tasks_and_re_raise_the_first_failure() -> None:
    tasks, done = Tasks(), []
    with ThreadPoolExecutor(2) as pool:

        def child(i: int) -> None:
            time.sleep(0.01)
            done.append(i)

        tasks.submit(pool, lambda: [tasks.submit(pool, child, i) for i in range(5)])
        tasks.drain()
        assert sorted(done) == list(range(5))

        def boom() -> None:
            raise RuntimeError("boom")

        tasks.submit(pool, boom)
        with pytest.raises(RuntimeError, match="boom"):
            tasks.drain()
        assert tasks.stopping
        tasks.submit(pool, child, 99)  # the run is stopping: later tasks do nothing
        with pytest.raises(RuntimeError):
            tasks.drain()
    assert 99 not in done
    assert not tasks._pending  # finished tasks are not kept


def test_timings_start_at_zero_and_add_from_threads() -> None:
    t = Timings()
    assert set(TIMING_KEYS) <= set(t) and not any(t.values())
    threads = [
        threading.Thread(target=lambda: [t.add("judge_ms", 1.0) for _ in range(1000)]) for _ in range(4)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert t["judge_ms"] == 4000.0


def _record(i: int) -> dict:
    return {"variant": "v", "question_id": f"q{i}", "trial": 0, "correct": True, "outcome": "correct",
            "valid": True, "semantic_valid": True}  # fmt: skip


def _questions(n: int) -> QuestionSet:
    gold = {"calculations": [{"op": "COUNT"}]}
    return QuestionSet.from_dict(
        {
            "name": "x",
            "questions": [{"id": f"q{i}", "question": f"count {i}", "gold": gold} for i in range(n)],
        }
    )


def test_a_logged_trial_is_not_kept_in_memory(tmp_path: Path) -> None:
    seen: list[dict] = []
    with RunStore(tmp_path / "runs.duckdb") as store:
        run_id = store.create_run(name="t", questions=_questions(20), trials_per_question=1)
        store.add_variant(run_id, "v")
        tasks = Tasks()
        log = TrialLog(store, run_id, tasks=tasks, timings=Timings(), on_trial=seen.append)
        for i in range(20):
            log.add(_record(i))
        tasks.drain()
        log.close(cancel=False)
        assert log.finished == len(seen) == 20 and log.records == []  # the log has them
        assert store.load_run(run_id).summary.n_trials == 20
    no_log = TrialLog(None, None, tasks=Tasks(), timings=Timings(), on_trial=None)
    no_log.add(_record(0))
    no_log.tasks.drain()
    no_log.close(cancel=False)
    assert [r["question_id"] for r in no_log.records] == ["q0"]  # without a log, the result needs them


def test_requests_render_when_the_runner_takes_them(small_dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    prompt = Prompt.load(REPO / "prompts" / "compact.yaml", small_dataset)
    rendered: list[str] = []
    real = Prompt.render
    monkeypatch.setattr(Prompt, "render", lambda self, q, current=None: rendered.append(q) or real(self, q))
    qs = _questions(3)
    entries = work_list([prompt], qs, 2, done={("compact", "q1", 0)})
    assert [(q.id, t) for _, q, t in entries] == [("q0", 0), ("q2", 0), ("q0", 1), ("q1", 1), ("q2", 1)]
    timings = Timings()
    lazy = TrialRequests([prompt], ["backend"], timings).lazy(entries)
    assert len(lazy) == 5 and rendered == []  # sized without rendering
    jobs = iter(lazy)
    first = next(jobs)
    assert rendered == ["count 0"] and first.backend == "backend" and first.tag.question.id == "q0"
    assert first.body["messages"][-1]["content"].endswith("count 0") and first.body is first.tag.request


def test_a_runner_that_keeps_no_results_hands_each_to_on_result() -> None:
    backend = FakeEndpoint(httpx2, default="tool_call").backend()
    got = []
    kept = run_calls_sync([Job(REQUEST, backend) for _ in range(6)], keep=False, on_result=got.append)
    assert kept == [] and len(got) == 6 and all(r.call.ok for r in got)


def test_executions_keep_results_up_to_a_row_budget(small_dataset, monkeypatch: pytest.MonkeyPatch) -> None:
    from workbench.evaluation import execution
    from workbench.evaluation.execution import Executions, SharedDataset

    by_service = {"calculations": [{"op": "COUNT"}], "breakdowns": ["service.name"]}
    by_route = {"calculations": [{"op": "COUNT"}], "breakdowns": ["http.route"]}
    with SharedDataset(small_dataset) as shared:
        rows = len(Executions(shared).run(by_service).result.rows)
        monkeypatch.setattr(execution, "MEMO_BUDGET_ROWS", rows)  # room for the first result only
        executions = Executions(shared)
        first = executions.run(by_service)
        assert executions.run(by_service).shared and executions.kept_rows == rows
        route = executions.run(by_route)
        again = executions.run(by_route)  # over the budget: not kept, run again
        assert not again.shared and again.result.rows == route.result.rows
        assert executions.executed == 3 and executions.kept_rows == rows
        assert executions.run(by_service).result is first.result  # what was kept stays
