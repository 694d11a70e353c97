"""Dashboard: a run's metrics, chart and question x variant grid; cells open trials; runs and loads."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

import pytest

from workbench.evaluation.metrics import summarize
from workbench.evaluation.questions import load_question_set
from workbench.store.runs import RunStore
from workbench.widgets import Dashboard
from workbench.widgets._grid import cell_key

REPO = Path(__file__).resolve().parents[1]
IDS = ["q002", "q004", "q010"]
#: correct trials per (question, variant), 2 trials each
CORRECT = {
    ("q002", "a"): 2,
    ("q004", "a"): 1,
    ("q010", "a"): 0,
    ("q002", "b"): 0,
    ("q004", "b"): 2,
    ("q010", "b"): 2,
}


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture(scope="module")
def questions():
    return load_question_set(REPO / "questions" / "core.yaml").select(ids=IDS)


CRITIC = {
    "severity": "warning",
    "code": "critic_time",
    "message": "the question asks for yesterday, the query covers the last 2 hours",
    "path": "time_range",
    "suggestion": "start_time: 1795046400, end_time: 1795132800",
}


@pytest.fixture
def logged_run(tmp_path: Path, questions) -> tuple[Path, str]:
    """A small run written straight into a log: 3 questions x 2 variants x 2 trials."""
    return log_run(tmp_path / "runs.duckdb", questions)


def log_run(path: Path, questions, critic_on: tuple[str, ...] = ()) -> tuple[Path, str]:
    """The run of ``logged_run``; wrong trials of the variants in ``critic_on`` carry a critic warning."""
    with RunStore(path) as store:
        run_id = store.create_run(name="t", questions=questions, trials_per_question=2)
        for v in ("a", "b"):
            store.add_variant(run_id, v, hash=v * 8, text=f"name: {v}", model="offline")
        for (qid, v), c in CORRECT.items():
            for t in range(2):
                ok = t < c
                store.record_trial(
                    run_id,
                    variant=v,
                    question_id=qid,
                    trial=t,
                    correct=ok,
                    valid=True,
                    semantic_valid=ok,
                    spec=questions[qid].gold if ok else {"calculations": [{"op": "COUNT"}]},
                    findings=[]
                    if ok
                    else [{"severity": "error", "code": "unknown_column", "message": "no"}]
                    + ([CRITIC] if v in critic_on else []),
                    result={"columns": ["COUNT"], "rows": [[7]]},
                    outcome="correct" if ok else "wrong",
                    tokens_in=1000 if v == "a" else 3000,
                    tokens_out=40,
                    latency_ms=12.5,
                    cost_usd=0.0,
                )
        store.finish_run(run_id)
    return path, run_id


def test_load_fills_grid_metrics_and_chart(logged_run, questions, small_dataset) -> None:
    path, run_id = logged_run
    d = Dashboard(questions, ["compact"], small_dataset, store=path)
    assert "wb-dashboard" in d._dom_classes
    assert d.run_id.options == (run_id,)
    view = d.load(run_id[:10])
    assert view.run_id == run_id and len(view.trials) == 12
    assert {k: (c.correct, c.trials) for k, c in d.cells.items()} == {k: (c, 2) for k, c in CORRECT.items()}
    grid = d.grid  # one widget: a row per question, a cell per variant
    assert type(grid).__name__ == "CellGrid" and "wb-grid" in grid._dom_classes
    assert grid.variants == ["a", "b"] and [r["id"] for r in grid.rows] == IDS
    shown = {
        (r["id"], v): f"{c['correct']}/{c['trials']}"
        for r in grid.rows
        for v, c in zip(grid.variants, r["cells"], strict=True)
    }
    assert shown == {k: f"{c}/2" for k, c in CORRECT.items()}
    colors = {
        (r["id"], v): c["color"] for r in grid.rows for v, c in zip(grid.variants, r["cells"], strict=True)
    }
    assert colors[("q002", "a")] != colors[("q004", "a")] != colors[("q010", "a")]
    run = RunStore(path).load_run(run_id)
    for v in ("a", "b"):
        m = summarize(run.trials_for(v))
        assert view.metrics[v] == m
        assert f"{100 * m.accuracy:.1f}%" in d.metrics_html.value
    assert d.figure is not None and [t.name for t in d.figure.data] == [
        "a",
        "b",
    ]  # a trace (legend entry) each
    assert d.figure.data[0].marker.color != d.figure.data[1].marker.color and d.figure.layout.showlegend
    assert all(t.mode == "markers" for t in d.figure.data)  # no text labels to collide with error bars
    assert "prompt tokens" in d.figure.layout.xaxis.title.text  # every trial was free: tokens on x
    assert "vs a" in d.metrics_html.value and "wins" in d.metrics_html.value  # b compared with a


def test_clicking_a_cell_shows_its_trials_and_the_gold(logged_run, questions, small_dataset) -> None:
    path, run_id = logged_run
    d = Dashboard(questions, ["compact"], small_dataset, store=path)
    d.load(run_id)
    d.grid.selected = cell_key("q004", "a")  # what a click in the browser sends
    assert d.selected == ("q004", "a")
    html = d.detail.value
    assert "trial 0" in html and "trial 1" in html
    assert "correct" in html and "wrong" in html and "unknown_column" in html
    assert "wb-gold-table" in html  # the gold ran on the dataset
    assert questions["q004"].question in html
    # the wrong trial's query in builder form, its clauses that differ from the gold marked
    assert "wb-builder" in html and "class='wb-clause wb-diff'" in html and "differs from gold in:" in html
    assert "same clauses as gold" in html  # the correct trial ran the gold


def test_load_errors_show_in_the_widget(logged_run, questions, small_dataset) -> None:
    path, _ = logged_run
    d = Dashboard(questions, ["compact"], small_dataset, store=path)
    d.run_id.value = "zzz-no-such-run"
    d.load_button.click()
    assert d.task.join(timeout=10)
    assert d.error.layout.display is None and "no run" in d.error.value
    assert not d.load_button.disabled and d.view is None


def test_run_evaluates_and_shows_the_run(tmp_path, questions, small_dataset) -> None:
    store = tmp_path / "runs.duckdb"
    d = Dashboard(questions.select(ids=IDS[:2]), ["compact"], small_dataset, trials=2, store=store)
    d.run_button.click()
    assert d.task.join(timeout=120)
    assert d.task.exception is None, d.error.value
    view = d.view
    assert view is not None and len(view.trials) == 2 * 2
    assert d.progress.value == d.progress.max == 4
    assert set(d.cells) == {("q002", "compact"), ("q004", "compact")}
    assert all(c.trials == 2 for c in d.cells.values())
    assert view.metrics["compact"].n_trials == 4
    assert view.run.variant("compact").recall is not None  # column recall computed by the eval
    assert "column recall" in d.metrics_html.value and "baseline" in d.metrics_html.value
    assert view.run_id in d.run_id.options
    assert not d.run_button.disabled


def test_bad_inputs_show_an_error(small_dataset) -> None:
    d = Dashboard("no/such/set.yaml", ["compact"], small_dataset)
    assert d.error.layout.display is None
    with pytest.raises(ValueError):
        d.run()
    d.run_button.click()
    assert d.task.join(timeout=10) and "question set" in d.error.value


def test_a_priced_model_shows_the_plan_and_follows_the_trials(questions, small_dataset) -> None:
    from workbench.prompt.render import Prompt

    offline = Dashboard(questions, ["honeycomb"], small_dataset, trials=2)
    assert offline.plan_thread is None and offline.plan.value == ""  # the offline model costs nothing
    priced = Prompt.load(REPO / "prompts" / "compact.yaml", small_dataset).with_(model="gpt-4.1-mini")
    dash = Dashboard(questions, [priced], small_dataset, trials=2)
    dash.plan_thread.join(timeout=60)  # computed in the background: the notebook never waits for it
    assert "compact (gpt-4.1-mini): 6 calls" in dash.plan.value and "at most $" in dash.plan.value
    dash.trials.value = 4
    assert "compact (gpt-4.1-mini): 12 calls" in dash.plan.value
    from workbench.evaluation.plan import plan_eval

    assert plan_eval(questions, [priced], 4).lines()[0] in dash.plan.value.replace("&#x27;", "'")


def test_the_metrics_table_shows_critic_recall_and_false_alarm(tmp_path, questions, small_dataset) -> None:
    path, run_id = log_run(tmp_path / "runs.duckdb", questions, critic_on=("a",))
    d = Dashboard(questions, ["compact"], small_dataset, store=path)
    view = d.load(run_id)
    assert view.metrics["a"].critic_recall == 1.0 and view.metrics["b"].critic_recall == 0.0
    html = d.metrics_html.value
    assert "critic recall" in html and "critic false alarm" in html
    cells = re.findall(r"class='wb-critic-(recall|false-alarm)'>([^<]*)<", html)
    assert cells == [
        ("recall", "100.0%"),
        ("false-alarm", "0.0%"),
        ("recall", "0.0%"),
        ("false-alarm", "0.0%"),
    ]


def test_critic_rates_without_trials_to_measure_show_a_dash() -> None:
    from workbench.widgets._run_view import critic_pct

    assert critic_pct(None) == "-" and critic_pct(0.25) == "25.0%"


def test_a_trial_shows_its_readback_and_the_critics_warnings(tmp_path, questions, small_dataset) -> None:
    from workbench.spec.readback import readback

    path, run_id = log_run(tmp_path / "runs.duckdb", questions, critic_on=("a",))
    d = Dashboard(questions, ["compact"], small_dataset, store=path)
    d.load(run_id)
    d.select("q010", "a")
    assert d.grid.selected == cell_key("q010", "a")  # the grid highlights a cell selected from Python
    html = d.detail.value
    now = small_dataset.schema().now_epoch
    wrong = escape(readback({"calculations": [{"op": "COUNT"}]}, now))
    assert html.count("class='wb-readback'") == 3  # the gold and both trials
    assert wrong in html and escape(readback(questions["q010"].gold, now)) in html
    assert html.count("wb-critic-box") == 2 and escape(CRITIC["message"]) in html
    assert escape(CRITIC["suggestion"]) in html
    d.grid.selected = cell_key(
        "q002", "b"
    )  # wrong, but the critic said nothing: no box, the readback still shows
    assert "wb-critic-box" not in d.detail.value and wrong in d.detail.value


def test_progress_from_many_threads_is_serialised_and_throttled() -> None:
    import threading

    import ipywidgets as widgets

    from workbench.widgets._ui import Progress

    bar, status = widgets.IntProgress(), widgets.HTML()
    progress = Progress(bar, status, every_s=60)
    total = 400
    threads = [threading.Thread(target=lambda i=i: progress(i, total)) for i in range(1, total)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    progress(total, total)  # the last trial always shows
    assert (
        progress.updates <= 3
        and bar.value == bar.max == total
        and status.value == f"{total} / {total} trials"
    )
