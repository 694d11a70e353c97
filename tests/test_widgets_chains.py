"""Dashboard chain view: a conversation run's chain metrics (the CLI's numbers), chain grid and a chain's turns."""

from __future__ import annotations

from html import escape, unescape
from pathlib import Path

import pytest

from workbench.evaluation.chains import chain_eval_from_run, chain_rows, evaluate_conversations
from workbench.evaluation.conversations import ConversationSet
from workbench.prompt.render import Prompt
from workbench.store.runs import RunStore
from workbench.widgets import Dashboard
from workbench.widgets._grid import cell_key

REPO = Path(__file__).resolve().parents[1]
G1 = {
    "calculations": [{"op": "COUNT"}],
    "filters": [{"column": "error", "op": "=", "value": True}],
    "time_range": 1209600,
}
G2 = {**G1, "filters": [*G1["filters"], {"column": "app.platform", "op": "=", "value": "android"}]}
G3 = {**G1, "breakdowns": ["app.platform"]}
SET = ConversationSet.from_dict(
    {
        "conversations": [
            {"id": "c1", "turns": [{"question": "how many errors", "gold": G1},
                                   {"question": "only android", "gold": G2}]},
            {"id": "c2", "turns": [{"question": "errors by platform", "gold": G3},
                                   {"question": "only android", "gold": {**G2, "breakdowns": ["app.platform"]}}]},
        ]
    }
)  # fmt: skip
#: (variant, context, chain) -> per trial, each turn right or wrong
OUTCOMES = {
    ("a", "own", "c1"): [[True, True], [True, False]],
    ("a", "own", "c2"): [[False, False], [False, False]],
    ("a", "gold", "c1"): [[True, True], [True, True]],
    ("a", "gold", "c2"): [[False, True], [False, True]],
    ("b", "own", "c1"): [[True, True], [True, True]],
    ("b", "own", "c2"): [[True, True], [True, True]],
    ("b", "gold", "c1"): [[True, True], [True, True]],
    ("b", "gold", "c2"): [[True, True], [True, True]],
}


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def _log(path: Path) -> str:
    """A conversation run written straight into a log: a wrong turn keeps the query before it unchanged."""
    chains = {c.id: c for c in SET}
    with RunStore(path) as store:
        run_id = store.create_run(
            name="chains", questions=SET.as_question_set(), trials_per_question=2,
            settings={"kind": "conversations", "contexts": ["own", "gold"]},
        )  # fmt: skip
        for v in ("a", "a+gold", "b", "b+gold"):
            store.add_variant(run_id, v, hash=v[0] * 8, text=f"name: {v[0]}", model="offline")
        for (v, context, cid), trials in OUTCOMES.items():
            for trial, flags in enumerate(trials):
                before = None
                for turn, ok in zip(chains[cid].turns, flags, strict=True):
                    spec = turn.gold if ok else (before or {"calculations": [{"op": "COUNT"}]})
                    store.record_trial(
                        run_id, variant=v + ("+gold" if context == "gold" else ""), question_id=turn.id,
                        trial=trial, correct=ok, valid=True, semantic_valid=True, spec=spec, findings=[],
                        outcome="correct" if ok else "wrong", tokens_in=100, tokens_out=10, latency_ms=1.0,
                        cost_usd=0.0, extra={"kind": "conversation", "current": before, "question": turn.question,
                                             "change": [] if spec == before else ["+ something"]},
                    )  # fmt: skip
                    before = spec if context == "own" else turn.gold
        store.finish_run(run_id)
    return run_id


@pytest.fixture
def chain_run(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "runs.duckdb"
    return path, _log(path)


def test_a_conversation_run_shows_the_cli_chain_table_and_a_chain_grid(chain_run, small_dataset) -> None:
    path, run_id = chain_run
    d = Dashboard(SET.as_question_set(), ["compact"], small_dataset, store=path)
    assert d.chains.layout.display == "none"  # nothing loaded: no chain view
    d.load(run_id)
    view = d.chains
    assert view.layout.display is None and "wb-chain-view" in view._dom_classes
    html = unescape(view.metrics_html.value)
    for row in chain_rows(chain_eval_from_run(RunStore(path).load_run(run_id)))[1:]:
        assert all(cell in html for cell in row), row  # the numbers of `eval --conversations` and the report
    # computed by hand from OUTCOMES: a gets 3 of 8 turns and 1 of 4 chains; 2 of its 3 wrong follow-ups
    # are right with the gold previous query after an earlier wrong turn
    assert "37.5% [" in html and "25.0% [" in html and "66.7% (2/3)" in html and "chain pass^2" in html
    assert (
        view.grid.label == "conversation" and view.grid.unit == "turns" and view.grid.variants == ["a", "b"]
    )
    shown = {
        (r["id"], v): f"{c['correct']}/{c['trials']}"
        for r in view.grid.rows
        for v, c in zip(view.grid.variants, r["cells"], strict=True)
    }
    assert shown == {("c1", "a"): "3/4", ("c2", "a"): "0/4", ("c1", "b"): "4/4", ("c2", "b"): "4/4"}
    assert view.grid.rows[0]["question"] == "how many errors \u2192 only android"  # the chain's story
    colors = {r["id"]: r["cells"][0]["color"] for r in view.grid.rows}
    assert colors["c1"] != colors["c2"]


def test_clicking_a_chain_shows_its_turns_against_the_gold(chain_run, small_dataset) -> None:
    path, run_id = chain_run
    d = Dashboard(SET.as_question_set(), ["compact"], small_dataset, store=path)
    d.load(run_id)
    d.chains.grid.selected = cell_key("c1", "a")  # what a click in the browser sends
    assert d.chains.selected == ("c1", "a")
    html = unescape(d.chains.detail.value)
    assert "trial 0" in html and "trial 1" in html and "chain correct" in html and "chain broken" in html
    assert html.count("class='wb-chain-turn'") == 4
    # the wrong turn kept the query before it: what it misses against the gold, and the clause marked
    assert "to reach the gold:" in html and "+ filter app.platform = android" in html
    assert "differs from gold in: WHERE" in html and "same clauses as gold" in html
    assert "with the gold previous query: right" in html
    assert "no change" in html  # the wrong follow-up changed nothing
    d.chains.grid.selected = cell_key("c2", "b")
    assert (
        "chain broken" not in d.chains.detail.value and escape("errors by platform") in d.chains.detail.value
    )


def test_a_real_chain_eval_shows_in_the_dashboard(tmp_path, small_dataset) -> None:
    path = tmp_path / "runs.duckdb"
    prompt = Prompt.load("compact", small_dataset)
    with RunStore(path) as store:
        result = evaluate_conversations(SET, [prompt], dataset=small_dataset, store=store, cache=False)
    d = Dashboard(SET.as_question_set(), [prompt], small_dataset, store=path)
    d.load(result.run_id)
    html = unescape(d.chains.metrics_html.value)
    for row in chain_rows(result)[1:]:
        assert all(cell in html for cell in row), row  # the eval's own numbers, read back from the log
    assert d.chains.grid.variants == ["compact"] and [r["id"] for r in d.chains.grid.rows] == ["c1", "c2"]
    d.chains.select("c1", "compact")
    assert "how many errors" in d.chains.detail.value and "only android" in d.chains.detail.value


def test_a_question_set_run_hides_the_chain_view(tmp_path, small_dataset) -> None:
    path = tmp_path / "runs.duckdb"
    chain_id = _log(path)
    questions = SET.as_question_set()
    with RunStore(path) as store:
        run_id = store.create_run(name="plain", questions=questions, trials_per_question=1)
        store.add_variant(run_id, "a", hash="a" * 8, text="name: a", model="offline")
        store.record_trial(run_id, variant="a", question_id="c1.1", trial=0, correct=True, valid=True,
                           semantic_valid=True, spec=G1, outcome="correct")  # fmt: skip
        store.finish_run(run_id)
    d = Dashboard(questions, ["compact"], small_dataset, store=path)
    d.load(chain_id)
    assert d.chains.layout.display is None
    d.load(run_id)
    assert d.chains.layout.display == "none" and d.chains.cells == {}
