"""The eval's log writer (``evaluation.trial_log``): batches that fill while trials trickle in, no wait when draining."""

from __future__ import annotations

import threading
import time

from workbench.evaluation import trial_log
from workbench.evaluation.tasks import Tasks, Timings
from workbench.evaluation.trial_log import TrialLog


class _Store:
    """Records each committed batch's size (a DuckDB log's cost is per commit, not per row)."""

    def __init__(self, commit_s: float = 0.0) -> None:
        self.batches: list[int] = []
        self.lock = threading.Lock()
        self.commit_s = commit_s

    def record_trials(self, run_id: str, batch: list[dict]) -> int:
        time.sleep(self.commit_s)
        with self.lock:
            self.batches.append(len(batch))
        return len(batch)

    def record_trial(self, run_id: str, record: dict) -> bool:
        return self.record_trials(run_id, [record]) == 1


def _log(store: _Store) -> tuple[TrialLog, Tasks]:
    tasks = Tasks()
    return TrialLog(store, "run-1", tasks=tasks, timings=Timings(), on_trial=None), tasks  # type: ignore[arg-type]


def test_trickling_trials_are_committed_in_full_batches(monkeypatch) -> None:
    monkeypatch.setattr(trial_log, "WRITE_LINGER_S", 0.2)
    monkeypatch.setattr(trial_log, "WRITE_BATCH", 8)
    store = _Store(commit_s=0.03)
    log, tasks = _log(store)
    for i in range(80):  # one every 10 ms, as judged trials arrive, for longer than the linger
        log.add({"i": i})
        time.sleep(0.01)
    log.close(cancel=False)
    tasks.drain()
    assert sum(store.batches) == 80 and log.finished == 80
    # batches fill (8 arrive in 80 ms, within the linger); committing whatever trickled in during
    # the last commit instead made about 60 commits of 1-2 trials
    assert len(store.batches) <= 14, store.batches


def test_a_draining_eval_does_not_wait_for_a_batch_to_fill(monkeypatch) -> None:
    monkeypatch.setattr(trial_log, "WRITE_LINGER_S", 60.0)
    store = _Store()
    log, tasks = _log(store)
    for i in range(3):
        log.add({"i": i})
    t0 = time.monotonic()
    log.hurry()
    tasks.drain()
    assert store.batches == [3] and log.finished == 3
    assert time.monotonic() - t0 < 30  # not the 60 s linger
    log.add({"i": 3})  # still hurrying: committed at once
    tasks.drain()
    assert store.batches == [3, 1]
    log.close(cancel=False)
