"""While calls are in flight, judging waits for a lull in the answers (``orchestrator.Judging``), never for long."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from workbench.evaluation import orchestrator
from workbench.evaluation.orchestrator import Judging
from workbench.evaluation.tasks import Tasks


def _judging(hurrying: bool = False) -> SimpleNamespace:
    return SimpleNamespace(last_arrival=time.monotonic(), hurrying=hurrying, tasks=Tasks())


def test_judging_waits_for_a_lull_but_not_longer_than_the_cap(monkeypatch) -> None:
    monkeypatch.setattr(orchestrator, "JUDGE_LULL_S", 0.05)
    monkeypatch.setattr(orchestrator, "JUDGE_MAX_WAIT_S", 0.3)
    j = _judging()
    stop = threading.Event()

    def answers() -> None:  # an answer every 5 ms for 3 s: no 50 ms lull in them
        end = time.monotonic() + 3.0
        while not stop.is_set() and time.monotonic() < end:
            j.last_arrival = time.monotonic()
            time.sleep(0.005)

    threading.Thread(target=answers, daemon=True).start()
    t0 = time.monotonic()
    Judging._wait_for_lull(j)  # type: ignore[arg-type]
    waited = time.monotonic() - t0
    stop.set()
    assert 0.25 <= waited < 3.0  # it waited for a lull, then gave up at the cap instead of starving

    t0 = time.monotonic()
    Judging._wait_for_lull(j)  # the answers stopped: a lull of 50 ms is enough
    assert 0.03 <= time.monotonic() - t0 < 0.25


def test_a_draining_eval_judges_at_once(monkeypatch) -> None:
    monkeypatch.setattr(orchestrator, "JUDGE_LULL_S", 30.0)
    monkeypatch.setattr(orchestrator, "JUDGE_MAX_WAIT_S", 30.0)
    j = _judging(hurrying=True)
    t0 = time.monotonic()
    Judging._wait_for_lull(j)  # type: ignore[arg-type]
    assert time.monotonic() - t0 < 10
