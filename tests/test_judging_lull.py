"""While calls are in flight, judging waits for a lull in the answers (``orchestrator.Judging``), never for long."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from workbench.evaluation import orchestrator
from workbench.evaluation.orchestrator import Judging
from workbench.evaluation.tasks import Tasks


def _judging(hurrying: bool = False) -> SimpleNamespace:
    return SimpleNamespace(last_arrival=0.0, burst_start=0.0, hurrying=hurrying, tasks=Tasks())


def _waited(j: SimpleNamespace) -> float:
    t0 = time.monotonic()
    Judging._wait_for_lull(j)  # type: ignore[arg-type]
    return time.monotonic() - t0


def test_judging_waits_for_a_lull_and_a_steady_stream_is_judged_as_it_comes(monkeypatch) -> None:
    monkeypatch.setattr(orchestrator, "JUDGE_LULL_S", 0.05)
    monkeypatch.setattr(orchestrator, "JUDGE_MAX_WAIT_S", 0.3)
    j = _judging()
    stop = threading.Event()

    def answers() -> None:  # an answer every 5 ms for at most 3 s: no 50 ms lull in them
        end = time.monotonic() + 3.0
        while not stop.is_set() and time.monotonic() < end:
            Judging._note_arrival(j)  # type: ignore[arg-type]
            time.sleep(0.005)

    Judging._note_arrival(j)  # type: ignore[arg-type]
    threading.Thread(target=answers, daemon=True).start()
    first = _waited(j)  # an answer of the burst's start waits until the burst has lasted the cap
    later = _waited(j)  # one that comes when the burst has lasted longer is judged at once
    stop.set()
    assert 0.25 <= first < 3.0
    assert later < 0.15
    time.sleep(0.1)
    Judging._note_arrival(j)  # type: ignore[arg-type]  # a new burst of one answer:
    assert 0.03 <= _waited(j) < 0.25  # judged after a lull of 50 ms


def test_a_draining_eval_judges_at_once(monkeypatch) -> None:
    monkeypatch.setattr(orchestrator, "JUDGE_LULL_S", 30.0)
    monkeypatch.setattr(orchestrator, "JUDGE_MAX_WAIT_S", 30.0)
    j = _judging(hurrying=True)
    Judging._note_arrival(j)  # type: ignore[arg-type]
    assert _waited(j) < 10
