"""SideBySide conversations: a follow-up continues every column, each turn shows its change, undo, new conversation."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest

from workbench.evaluation.questions import load_question_set
from workbench.prompt.render import Prompt
from workbench.widgets import SideBySide
from workbench.widgets._common import with_class

REPO = Path(__file__).resolve().parents[1]
OPENING = "errors by service yesterday"
CHANGE = "+ filter service.name = checkout"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture(scope="module")
def prompts(small_dataset) -> list[Prompt]:
    return [Prompt.load(name, small_dataset) for name in ("honeycomb", "compact")]


def readback(col) -> str:
    (w,) = with_class(col, "wb-query")
    return unescape(w.value)


def turns(col) -> str:
    (w,) = with_class(col, "wb-turns")
    return unescape(w.value)


def test_follow_up_continues_every_column_and_shows_the_change(prompts, small_dataset) -> None:
    sbs = SideBySide(prompts, small_dataset)
    assert sbs.run_button.description == "Run" and not sbs.in_conversation
    assert len(with_class(sbs, "wb-undo")) == 1 and len(with_class(sbs, "wb-new-conversation")) == 1
    first = sbs.ask(OPENING)
    assert all(a is not None and a.valid for a in first)
    assert sbs.run_button.description == "Follow up"  # the next question continues the conversation
    second = sbs.ask("only checkout", follow_up=True)
    assert sbs.status.value.startswith("turn 2 done in")
    for col, before, after in zip(sbs.columns, first, second, strict=True):
        assert [t.question for t in col.turn_list] == [OPENING, "only checkout"]
        assert col.turn_list[1].previous == before.spec  # asked with the column's own current query
        assert "checkout" in readback(col) and "checkout" not in str(before.spec)
        shown = turns(col)
        assert shown.count("class='wb-turn'") == 2 and CHANGE in shown
        assert (
            "differs from the query before in: WHERE" in shown
        )  # the turn's query, its changed clause marked
        assert col.conversation.current == after.spec  # the follow-up's query is the column's current one


def test_undo_goes_back_one_turn_and_then_to_an_empty_column(prompts, small_dataset) -> None:
    sbs = SideBySide(prompts, small_dataset)
    sbs.ask(OPENING)
    sbs.ask("only checkout", follow_up=True)
    sbs.undo_button.click()
    assert sbs.status.value == "undone: only checkout"
    for col in sbs.columns:
        assert len(col.turn_list) == 1 and col.conversation.current == col.answer.spec
        assert "checkout" not in readback(col) and CHANGE not in turns(col)
    assert sbs.run_button.description == "Follow up"
    sbs.undo()
    assert all(not c.turn_list and "not run yet" in readback(c) and turns(c) == "" for c in sbs.columns)
    assert sbs.run_button.description == "Run"
    sbs.undo()
    assert sbs.status.value == "nothing to undo"


def test_new_conversation_forgets_the_current_query(prompts, small_dataset) -> None:
    sbs = SideBySide(prompts[1:], small_dataset)
    sbs.ask(OPENING)
    sbs.new_button.click()
    (col,) = sbs.columns
    assert col.conversation is None and sbs.run_button.description == "Run" and turns(col) == ""
    sbs.question.value = "only checkout"
    sbs.run_button.click()  # no conversation going: the question stands on its own
    assert sbs.task.join(timeout=60) and sbs.task.exception is None, sbs.error.value
    assert col.turn_list[0].previous is None
    sbs.question.value = "per hour"
    sbs.run_button.click()  # now the button follows up
    assert sbs.task.join(timeout=60) and sbs.task.exception is None, sbs.error.value
    assert len(col.turn_list) == 2 and "granularity: none -> per hour" in turns(col)


def test_a_set_question_shows_its_gold_on_the_opening_turn_only(prompts, small_dataset) -> None:
    questions = load_question_set(REPO / "questions" / "core.yaml").select(ids=["q004"])
    sbs = SideBySide(prompts[1:], small_dataset, questions)
    (col,) = sbs.columns
    sbs.ask(questions["q004"].question)
    assert "wb-match" in col.gold.value or "wb-mismatch" in col.gold.value
    sbs.ask("only android", follow_up=True)
    assert (
        col.gold.value == "" and col.matched is None
    )  # the set's gold answers the opening question, not this
    sbs.undo()
    assert "wb-match" in col.gold.value or "wb-mismatch" in col.gold.value  # back on the opening turn
    sbs.ask(questions["q004"].question, follow_up=True)  # the set's question again, as a follow-up
    assert col.gold.value == "" and "New conversation to see it" in sbs.status.value


def test_a_failed_follow_up_keeps_the_current_query(prompts, small_dataset, monkeypatch) -> None:
    import workbench.conversation.session as session

    sbs = SideBySide(prompts[1:], small_dataset)
    sbs.ask(OPENING)
    (col,) = sbs.columns
    kept = col.conversation.current

    def boom(*args, **kwargs):
        raise RuntimeError("model exploded\nwith a long traceback")

    monkeypatch.setattr(session, "ask", boom)
    assert sbs.ask("only checkout", follow_up=True) == [None]
    (err,) = with_class(col, "wb-error")
    assert "model exploded" in err.value and "traceback" not in err.value
    assert len(col.turn_list) == 1 and col.conversation.current == kept
    assert turns(col).count("class='wb-turn'") == 1


def test_an_edited_variant_answers_the_next_turn(prompts, small_dataset) -> None:
    sbs = SideBySide(prompts[1:], small_dataset)
    sbs.ask(OPENING)
    edited = prompts[1].with_(schema={"token_budget": 400})
    sbs.set_prompt(0, edited)
    (answer,) = sbs.ask("only checkout", follow_up=True)
    (col,) = sbs.columns
    assert len(col.turn_list) == 2 and answer.rendered.sections["schema"] <= 400
