"""A lost front end or a stalled eval is visible and recoverable (``widgets._heartbeat``).

Kernel side of the heartbeat (a ping gets a pong, unless the test hook stops it), the stall guard (shown
after ``stall_s`` without a finished model call, hidden by progress), Cancel on a real eval whose model
hangs (the run ends as cancelled in the log, finished trials kept, the buttons usable again), and a
dashboard made again (a re-run cell) that follows the run an earlier one started and shows it at its end.
The browser side (the banner) is checked in ``test_browser_heartbeat.py``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from workbench.evaluation.evaluate import EvalInterrupted
from workbench.evaluation.questions import load_question_set
from workbench.store.runs import RunStore
from workbench.widgets import Dashboard, Workbench
from workbench.widgets._heartbeat import LOST_ADVICE, Heartbeat, StallGuard
from workbench.widgets._ui import Progress, Task

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture
def questions():
    return load_question_set(REPO / "questions" / "core.yaml").select(ids=["q002", "q004"])


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Every model call waits until the event is set (a model that hangs); no response cache."""
    import workbench.llm.runner as runner
    import workbench.llm.transport as transport

    released = threading.Event()
    released.called = threading.Event()  # type: ignore[attr-defined]  # a call reached the model
    original = transport.chat_app

    def hanging(*args, **kwargs):  # type: ignore[no-untyped-def]
        released.called.set()  # type: ignore[attr-defined]
        released.wait(60)
        return original(*args, **kwargs)

    monkeypatch.setattr(transport, "chat_app", hanging)
    monkeypatch.setattr(runner, "ensure_cache", lambda _cache: None)
    yield released
    released.set()  # never leave a hung call behind


def ping(hb: Heartbeat, n: int) -> None:
    hb._handle_custom_msg({"ping": n}, [])


def test_each_ping_gets_a_pong_and_runs_the_listeners_until_the_kernel_stops_answering() -> None:
    hb = Heartbeat()
    sent: list = []
    hb.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    heard: list[int] = []
    hb.listeners.append(lambda: heard.append(hb.pings))
    ping(hb, 1)
    ping(hb, 2)
    hb._handle_custom_msg({"other": 1}, [])  # not a ping: no pong
    assert sent == [{"pong": 1}, {"pong": 2}] and heard == [1, 2]
    hb.answering = False  # the test hook: pings go unanswered, as with a lost connection
    ping(hb, 3)
    assert sent == [{"pong": 1}, {"pong": 2}] and heard == [1, 2, 3]
    hb.listeners.append(lambda: 1 / 0)  # a failing listener does not stop the pongs
    hb.answering = True
    ping(hb, 4)
    assert sent[-1] == {"pong": 4}
    state = hb.get_state()
    assert state["advice"] == LOST_ADVICE and "workbench runs list" in LOST_ADVICE
    assert 0 < state["interval_ms"] < state["timeout_ms"]


def test_the_stall_guard_shows_after_stall_s_without_progress_and_hides_when_calls_finish() -> None:
    now = [time.monotonic()]
    guard = StallGuard(120, clock=lambda: now[0])
    release = threading.Event()
    task = Task(interruptible=True)
    guard.watch(task)
    assert not guard.check() and guard.layout.display == "none"  # nothing runs
    task.start(release.wait, 30)  # sets last_progress to the start
    now[0] += 119
    assert not guard.check() and guard.layout.display == "none"
    now[0] += 2
    assert guard.check() and guard.stalled and guard.layout.display is None
    assert "no progress for 121 s" in guard.message.value and not guard.cancel_button.disabled
    now[0] = time.monotonic() + 1
    Progress(_bar(), _html(), ui=task.ui)(1, 4)  # a call finished: progress again
    assert not guard.check() and guard.layout.display == "none"
    release.set()
    assert task.join(5)
    now[0] += 500
    assert not guard.check()  # a finished run never shows as stalled


def test_cancel_interrupts_a_run_blocked_in_plain_python() -> None:
    task = Task(interruptible=True)
    stop = threading.Event()
    task.start(lambda: [time.sleep(0.01) for _ in iter(stop.is_set, True)])
    time.sleep(0.1)
    assert task.cancel() and not task.cancel()  # one interrupt per run
    assert task.join(5), "the cancelled work did not end"
    assert isinstance(task.exception, KeyboardInterrupt) and task.cancelled
    assert not task.cancel()  # nothing runs any more


def test_cancel_stops_a_dashboard_eval_whose_model_hangs(tmp_path, small_dataset, questions, gate) -> None:
    store = tmp_path / "runs.duckdb"

    async def main() -> tuple[Dashboard, float]:
        d = Dashboard(questions, ["compact"], small_dataset, trials=2, store=store)
        d.stall_s = 0.3
        d.run_button.click()
        assert d.run_button.disabled and d.task.running
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while not (gate.called.is_set() and d.watch.guard.check()) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        assert d.watch.guard.stalled, "no stall shown while the model hangs"
        assert "no progress for" in d.watch.guard.message.value
        t0 = time.perf_counter()
        d.watch.guard.cancel_button.click()
        assert "cancelling" in d.watch.guard.message.value and d.watch.guard.cancel_button.disabled
        while d.task.running and loop.time() < deadline:
            await asyncio.sleep(0.02)
        took = time.perf_counter() - t0
        await asyncio.sleep(0.1)  # the hand-over of the error line and the buttons
        return d, took

    d, took = asyncio.run(main())
    assert isinstance(d.task.exception, EvalInterrupted), d.task.exception
    assert took < 5, f"cancel took {took:.1f} s"
    assert "interrupted after 0 of 4 trials" in d.error.value
    assert not d.run_button.disabled and not d.watch.guard.check()
    run_id = d.task.exception.run_id
    assert f"0 of 4 trials of run {run_id}" in d.watch.guard.message.value
    assert f"workbench eval --resume {run_id}" in d.watch.guard.message.value
    assert d.watch.guard.layout.display is None and d.watch.guard.cancel_button.layout.display == "none"
    gate.set()
    with RunStore(store) as log:
        assert [r.status for r in log.list_runs()] == ["cancelled"]


def test_a_dashboard_made_again_follows_the_run_an_earlier_one_started(
    tmp_path, small_dataset, questions, gate
) -> None:
    store = tmp_path / "runs.duckdb"

    async def main() -> tuple[Dashboard, Dashboard]:
        first = Dashboard(questions, ["compact"], small_dataset, trials=1, store=store)
        first.run_button.click()
        await asyncio.sleep(0.2)
        first.close()  # the front end of the first dashboard is gone; its run keeps going
        again = Dashboard(questions, ["compact"], small_dataset, trials=1, store=store)  # the cell ran again
        assert again.watch.following is first and again.view is None
        again.watch.heartbeat._handle_custom_msg({"ping": 1}, [])  # the new front end's first ping
        assert "still going" in again.status.value
        gate.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while first.task.running and loop.time() < deadline:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.1)
        again.watch.heartbeat._handle_custom_msg({"ping": 2}, [])
        return first, again

    first, again = asyncio.run(main())
    assert first.task.exception is None, first.task.exception
    assert again.view is not None and again.watch.following is None
    assert again.view.run_id == first.task.result.run_id and len(again.view.trials) == 2
    assert "finished" in again.status.value
    with RunStore(store) as log:  # the run recorded every trial although its widgets were closed
        (summary,) = log.list_runs()
        assert summary.status == "finished" and len(log.load_run(summary.run_id).trials) == 2
    # a third dashboard, made after the run ended, shows it at once
    third = Dashboard(questions, ["compact"], small_dataset, trials=1, store=store)
    assert third.view is not None and third.view.run_id == first.task.result.run_id


def test_the_composed_workbench_shows_the_heartbeat_at_the_top(small_dataset, tmp_path) -> None:
    app = Workbench(["compact"], "questions/core.yaml", small_dataset, store=tmp_path / "r.duckdb")
    assert app.children[0] is app.dashboard.watch.heartbeat
    assert app.dashboard.children[0] is app.heartbeat


def _bar():  # type: ignore[no-untyped-def]
    import ipywidgets as widgets

    return widgets.IntProgress()


def _html():  # type: ignore[no-untyped-def]
    import ipywidgets as widgets

    return widgets.HTML()
