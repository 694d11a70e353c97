"""Work in background threads never touches a widget: every trait change happens on the widget's own thread.

The widgets are built inside a running asyncio loop on the main thread, as in a kernel's cell; the test
then yields to that loop while the work runs, as the kernel does between messages. A trait set from any
other thread would be a comm message from that thread (ipywidgets and ipykernel's comms are not
thread-safe): ``notify_change`` records the thread of every change and none may come from a worker.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import ipywidgets as widgets
import pytest

from workbench.evaluation.questions import load_question_set
from workbench.prompt.render import Prompt
from workbench.widgets import Dashboard, InstructionsEditor, SideBySide
from workbench.widgets._ui import UiThread

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture
def changes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """``(thread name, widget class, trait)`` of every trait change on any widget."""
    seen: list[tuple[str, str, str]] = []
    original = widgets.Widget.notify_change

    def recording(self, change):  # type: ignore[no-untyped-def]
        seen.append((threading.current_thread().name, type(self).__name__, change["name"]))
        return original(self, change)

    monkeypatch.setattr(widgets.Widget, "notify_change", recording)
    return seen


def off_thread(seen: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    main = threading.main_thread().name
    return [c for c in seen if c[0] != main]


async def settle(task, ui: UiThread, timeout_s: float = 120) -> None:
    """Yield to the loop until the task's thread has ended and its updates have been drained."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while (task.running or ui.queue) and loop.time() < deadline:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)  # the last call_soon_threadsafe callbacks
    assert not task.running and not ui.queue


def test_an_eval_run_from_the_button_updates_widgets_only_on_their_thread(
    tmp_path, small_dataset, changes
) -> None:
    questions = load_question_set(REPO / "questions" / "core.yaml").select(ids=["q002", "q004"])

    async def main() -> Dashboard:
        d = Dashboard(questions, ["compact", "naive"], small_dataset, trials=2, store=tmp_path / "r.duckdb")
        assert d.task.ui.loop is asyncio.get_running_loop()
        changes.clear()
        d.run_button.click()
        assert d.run_button.disabled
        await settle(d.task, d.task.ui)
        return d

    d = asyncio.run(main())
    assert d.task.exception is None, d.error.value
    assert d.view is not None and len(d.view.trials) == 2 * 2 * 2 and "finished" in d.status.value
    assert d.progress.value == d.progress.max == 8 and not d.run_button.disabled
    assert d.task.ui.queued >= 3  # progress, the finished run and the buttons were handed over
    assert changes and not off_thread(changes), off_thread(changes)[:5]


def test_side_by_side_and_try_it_update_widgets_only_on_their_thread(small_dataset, changes) -> None:
    async def main() -> tuple[SideBySide, InstructionsEditor]:
        sbs = SideBySide(["compact", "naive", "honeycomb"], small_dataset, cache=None)
        sbs.question.value = "errors by cloud region in the last 6 hours"
        ed = InstructionsEditor(Prompt.load("compact", small_dataset), dataset=small_dataset)
        changes.clear()
        sbs.run_button.click()
        await settle(sbs.task, sbs.task.ui)
        ed.try_button.click()
        await settle(ed.task, ed.task.ui)
        return sbs, ed

    sbs, ed = asyncio.run(main())
    assert "done in" in sbs.status.value and all(a is not None for a in sbs.answers)
    assert all("wb-builder" in c.query.value for c in sbs.columns)
    assert "the edit does not change the query" in ed.effect.value
    assert not off_thread(changes), off_thread(changes)[:5]


def test_without_an_event_loop_updates_run_where_they_are_called_one_at_a_time() -> None:
    ui = UiThread()
    assert ui.loop is None
    seen: list[str] = []
    t = threading.Thread(
        target=lambda: ui.call(lambda: seen.append(threading.current_thread().name)), name="w"
    )
    t.start()
    t.join()
    assert seen == ["w"] and ui.queued == 0
