"""SideBySide: the DOM contract, a synchronous ask, gold and match badge, errors in the widget, the Run button."""

from __future__ import annotations

import json
import re
from html import escape, unescape
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlglot

from workbench.evaluation.questions import load_question_set
from workbench.prompt.render import Prompt
from workbench.widgets import SideBySide
from workbench.widgets._common import with_class

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture(scope="module")
def prompts(small_dataset) -> list[Prompt]:
    return [Prompt.load(name, small_dataset) for name in ("honeycomb", "compact")]


@pytest.fixture(scope="module")
def questions():
    return load_question_set(REPO / "questions" / "core.yaml").select(ids=["q002", "q004"])


def one(root, css_class: str):
    (w,) = with_class(root, css_class)
    return w


def test_dom_contract(prompts, small_dataset) -> None:
    sbs = SideBySide(prompts, small_dataset)
    assert "wb-side-by-side" in sbs._dom_classes and repr(sbs).startswith("SideBySide(")  # what Jupyter calls
    q = one(sbs, "wb-question")
    assert type(q).__name__ == "Text" and q.placeholder == "Ask a question…"
    run = one(sbs, "wb-run")
    assert type(run).__name__ == "Button" and run.description == "Run"
    assert type(one(sbs, "wb-status")).__name__ == "HTML"
    columns = with_class(sbs, "wb-variant")
    assert len(columns) == 2
    for col in columns:
        for cls in ("wb-query", "wb-sql", "wb-findings", "wb-result", "wb-error"):
            assert type(one(col, cls)).__name__ == "HTML", cls


def test_ask_fills_query_result_and_gold(prompts, small_dataset, questions) -> None:
    sbs = SideBySide(prompts, small_dataset, questions)
    q = questions["q004"]
    answers = sbs.ask(q.question)
    assert any(a is not None and a.result is not None for a in answers)
    assert sbs.question.value == q.question
    assert re.fullmatch(r"done in [\d,]+ ms", sbs.status.value)
    for col, answer in zip(with_class(sbs, "wb-variant"), answers, strict=True):
        assert answer is not None and col.answer is answer
        pre = re.search(r"<pre[^>]*>(.*)</pre>", one(col, "wb-query").value, re.S)
        assert pre and json.loads(unescape(pre.group(1))) == answer.spec
        assert one(col, "wb-error").layout.display == "none"
        assert isinstance(col.matched, bool)
        assert ("matches gold" if col.matched else "differs from gold") in col.gold.value
        if answer.result is not None:
            html = one(col, "wb-result").value
            assert '<table class="wb-result-table"' in html.replace("'", '"')
            headers = [unescape(h) for h in re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", html)]
            assert headers == answer.result.columns
            shown = re.search(r"<pre[^>]*>(.*)</pre>", one(col, "wb-sql").value, re.S)
            assert shown and "\n" in shown.group(1)  # pretty-printed, one clause a line
            assert sqlglot.parse_one(unescape(shown.group(1)), read="duckdb") == sqlglot.parse_one(
                answer.sql, read="duckdb"
            )
        else:
            assert one(col, "wb-findings").value  # why there is no result


def test_question_dropdown_fills_the_box(prompts, small_dataset, questions) -> None:
    sbs = SideBySide(prompts, small_dataset, questions)
    sbs.pick.value = "q004"
    assert sbs.question.value == questions["q004"].question
    assert sbs.gold_for("  " + questions["q004"].question.upper()) is not None
    assert sbs.gold_for("something else entirely") is None


def test_time_series_answer_has_a_line_chart(prompts, small_dataset) -> None:
    sbs = SideBySide(prompts[1:], small_dataset)
    (answer,) = sbs.ask("errors per hour in the last day")
    col = sbs.columns[0]
    assert answer is not None and answer.spec["granularity"] == 3600  # the offline model asks for a series
    assert answer.result is not None and answer.result.series is not None and answer.result.series.rows
    assert col.figure is not None and col.figure.data[0].type == "scatter"
    assert "application/vnd.plotly.v1+json" in col.chart.outputs[0]["data"]


def test_bad_variant_and_empty_question_show_errors(prompts, small_dataset) -> None:
    sbs = SideBySide([prompts[0], "no-such-variant"], small_dataset)
    bad = sbs.columns[1]
    assert bad.prompt is None and "no-such-variant" in one(bad, "wb-error").value
    assert one(bad, "wb-error").layout.display is None
    assert sbs.ask("   ") == [] and "type a question" in sbs.error.value
    answers = sbs.ask("errors by service")
    assert answers[0] is not None and answers[1] is None


def test_failure_inside_ask_is_a_one_line_error(prompts, small_dataset, monkeypatch) -> None:
    import workbench.conversation.session as session  # each column asks through its Conversation

    def boom(*args, **kwargs):
        raise RuntimeError("model exploded\nwith a long traceback")

    monkeypatch.setattr(session, "ask", boom)
    sbs = SideBySide(prompts[:1], small_dataset)
    assert sbs.ask("errors by service") == [None]
    err = one(sbs.columns[0], "wb-error")
    assert "RuntimeError: model exploded" in err.value and "traceback" not in err.value


def test_run_button_runs_in_the_background(prompts, small_dataset) -> None:
    sbs = SideBySide(prompts[1:], small_dataset)
    sbs.question.value = "how many errors in the last hour"
    sbs.run_button.click()
    assert sbs.task.join(timeout=60)
    assert sbs.task.exception is None
    assert not sbs.run_button.disabled
    assert sbs.status.value.startswith("done in")
    assert sbs.columns[0].answer is not None


def test_each_column_reads_its_query_back_and_boxes_the_critics_warnings(prompts, small_dataset) -> None:
    from workbench.critic import is_critic_finding
    from workbench.spec.readback import builder, readback

    sbs = SideBySide(prompts, small_dataset)
    answers = sbs.ask("heatmap of search latency per hour yesterday")
    now = small_dataset.schema().now_epoch
    flagged = 0
    for col, answer in zip(sbs.columns, answers, strict=True):
        assert answer is not None and answer.valid
        assert col.readback_text == readback(answer.spec, now) and "yesterday" in col.readback_text
        assert col.builder == builder(answer.spec, now)
        box = col.query.value
        assert "wb-readback" in box and "wb-builder" in box and "VISUALIZE" in box and "wb-raw-json" in box
        critic = [f for f in answer.findings if is_critic_finding(f.code)]
        assert col.critic_findings == critic
        if critic:
            flagged += 1
            assert "wb-critic-box" in col.critic.value and "#fff8c5" in col.critic.value
            for f in critic:
                assert escape(f.message) in col.critic.value
                if f.suggestion:
                    assert escape(f.suggestion) in col.critic.value
            assert not any(escape(f.message) in col.findings.value for f in critic)
        else:
            assert col.critic.value == ""
    assert flagged, "the offline model's answer to this question draws critic warnings in some column"


def test_a_clean_answer_has_no_critic_box_and_an_invalid_one_no_readback(prompts, small_dataset) -> None:
    sbs = SideBySide(prompts[:1], small_dataset)
    (answer,) = sbs.ask("count of events for android yesterday")
    col = sbs.columns[0]
    assert col.critic_findings == [] and col.critic.value == ""
    assert col.readback_text and "app.platform = android" in col.readback_text
    fields = ("sql", "result", "cache_hit", "repaired", "tokens_in", "tokens_out", "latency_ms", "cost_usd")
    declined = SimpleNamespace(
        spec=None, valid=False, findings=(), message="no", **{k: getattr(answer, k) for k in fields}
    )
    col.show(declined)
    assert col.readback_text is None and col.builder is None and "wb-readback" not in col.query.value
    col.clear()
    assert col.readback_text is None and col.critic_findings == [] and "wb-builder" not in col.query.value


def _marked(html: str, css: str) -> set[str]:
    return set(re.findall(rf"<tr class='wb-clause {css}' data-clause='([^']+)'", html))


def test_queries_mark_the_clauses_that_differ_from_the_gold_and_between_variants(
    prompts, small_dataset, questions
) -> None:
    from workbench.spec.readback import builder, differing_clauses

    sbs = SideBySide([*prompts, "naive"], small_dataset, questions)
    q = questions["q002"]
    answers = sbs.ask(q.question)
    now = small_dataset.schema().now_epoch
    gold = builder(q.gold, now)
    specs = [a.spec if a is not None else None for a in answers]
    for i, (col, answer) in enumerate(zip(sbs.columns, answers, strict=True)):
        assert answer is not None and answer.spec is not None
        mine = builder(answer.spec, now)
        want = set(differing_clauses(mine, gold))
        assert _marked(col.query.value, "wb-diff") == want
        assert ("same clauses as gold" in col.query.value) == (not want)
        apart = {n for j, s in enumerate(specs) if j != i for n in differing_clauses(mine, builder(s, now))}
        assert _marked(col.query.value, "wb-vdiff") == apart - want
        if want:  # the gold's value of a differing clause is shown under the variant's
            assert "gold: " in col.query.value
    assert any(_marked(c.query.value, "wb-diff") for c in sbs.columns), "q002 draws a wrong GROUP BY offline"


def test_enter_in_the_question_box_runs_it(prompts, small_dataset) -> None:
    sbs = SideBySide(prompts[1:], small_dataset)
    sbs.question.value = "how many errors in the last hour"
    sbs.question._handle_custom_msg({"event": "submit"}, [])  # what the front end sends on Enter
    assert sbs.task.thread is not None and sbs.task.join(timeout=60)
    assert sbs.columns[0].answer is not None and sbs.status.value.startswith("done in")


def test_the_columns_are_one_grid_with_a_row_per_aspect(prompts, small_dataset) -> None:
    from workbench.widgets.side_by_side import ROWS

    sbs = SideBySide([*prompts, "naive"], small_dataset)
    grid = sbs.columns_box
    assert type(grid).__name__ == "GridBox" and grid.layout.grid_template_rows == f"repeat({len(ROWS)}, auto)"
    assert grid.layout.grid_auto_flow == "column"  # each column's rows flow down one grid column
    for col in sbs.columns:
        assert col.layout.display == "contents" and len(col.children) == len(ROWS)
