"""The runtime answers for the caller's clock and table; empty or overlong questions never reach a model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workbench.cli import main
from workbench.core.errors import WorkbenchError
from workbench.core.question import MAX_QUESTION_CHARS
from workbench.export.build import build_artifact
from workbench.pipeline import ask as pipeline_ask
from workbench.prompt.render import Prompt
from workbench.runtime import Assistant

LIVE_NOW = datetime(2027, 3, 14, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def assistant(small_schema) -> Assistant:
    return Assistant(build_artifact(Prompt.load("compact", small_schema), store=False))


def test_ask_uses_the_callers_clock_and_table(assistant: Assistant) -> None:
    question = "how many traces did we get in the last hour"
    pinned = assistant.ask(question)
    live = assistant.ask(question, now=LIVE_NOW, table="spans_2027")
    assert pinned.valid and live.valid
    assert str(int(LIVE_NOW.timestamp())) in live.rendered.system
    assert str(int(LIVE_NOW.timestamp())) not in pinned.rendered.system
    assert "spans_2027" in live.sql and "spans_2027" not in pinned.sql
    hour_ago = int((LIVE_NOW - timedelta(hours=1)).timestamp())
    assert str(hour_ago) in live.sql or "2027-03-14 08:30" in live.sql, live.sql
    # epoch seconds and a naive datetime (UTC) mean the same clock
    same = assistant.ask(question, now=LIVE_NOW.timestamp(), table="spans_2027")
    naive = assistant.ask(question, now=LIVE_NOW.replace(tzinfo=None), table="spans_2027")
    assert same.sql == naive.sql == live.sql
    assert assistant.ask(question).sql == pinned.sql  # the default stays the exported dataset's


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"now": "yesterday"}, "now must be a datetime"),
        ({"table": "events; DROP TABLE x"}, "plain table name"),
        ({"table": ""}, "plain table name"),
    ],
)
def test_bad_clock_or_table_is_one_line(assistant: Assistant, kwargs, message: str) -> None:
    with pytest.raises(WorkbenchError, match=message):
        assistant.ask("errors by service", **kwargs)


def _no_model(*args, **kwargs):
    raise AssertionError("the model was called")


@pytest.mark.parametrize("question", ["", "   \n", "x" * (MAX_QUESTION_CHARS + 1)])
def test_empty_or_overlong_questions_never_reach_the_model(
    assistant: Assistant, monkeypatch, capsys, question: str
) -> None:
    monkeypatch.setattr(pipeline_ask, "run_calls_sync", _no_model)
    assert main(["ask", question]) == 2
    err = capsys.readouterr().err
    assert err.startswith("workbench: error: the question is") and err.count("\n") == 1
    with pytest.raises(WorkbenchError, match="the question is"):
        assistant.ask(question, client=object())  # refused before the client is even looked at


def test_a_question_at_the_limit_is_asked(monkeypatch) -> None:
    from workbench.core.question import checked_question

    text = "errors by service " * (MAX_QUESTION_CHARS // 18)
    assert len(text) <= MAX_QUESTION_CHARS and checked_question(text) == text
