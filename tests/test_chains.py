"""Conversation sets (format, check) and the chain eval (metrics, log, resume at the turn)."""

from __future__ import annotations

import json

import pytest

from workbench.cli import main
from workbench.core.errors import ConfigError
from workbench.evaluation import chains as chains_mod
from workbench.evaluation.chains import chain_metrics, evaluate_conversations
from workbench.evaluation.conversations import ConversationSet, check_conversation_set, load_conversation_set
from workbench.prompt.render import Prompt
from workbench.store.runs import RunStore

G1 = {
    "calculations": [{"op": "COUNT"}],
    "filters": [{"column": "error", "op": "=", "value": True}],
    "time_range": 1209600,
}
G2 = {**G1, "filters": [*G1["filters"], {"column": "app.platform", "op": "=", "value": "android"}]}
SET = {
    "conversations": [
        {"id": "c1", "turns": [{"question": "how many errors", "gold": G1}, {"question": "only android", "gold": G2}]},
        {"id": "c2", "tags": ["x"], "turns": [{"question": "count of errors by platform", "gold": {**G1, "breakdowns": ["app.platform"]}},
                                          {"question": "only android", "gold": {**G2, "breakdowns": ["app.platform"]}, "accept": [G2]}]},
    ]
}  # fmt: skip


def test_shipped_set_is_large_enough_and_well_formed():
    cs = load_conversation_set("conversations")
    assert len(cs) >= 25 and all(2 <= len(c) <= 4 for c in cs)
    assert cs.as_question_set().ids[:2] == ["c001.1", "c001.2"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"questions": []}, "expected a mapping with a 'conversations' list"),
        ({"conversations": [{"id": "c1", "turns": []}]}, "'turns' must be a list of 1 to 10 turns"),
        ({"conversations": [{"id": "c1", "turns": [{"question": "q"}]}]}, "missing key 'gold'"),
        (
            {"conversations": [{"id": "c1", "turns": [{"question": "q", "gold": G1}]}] * 2},
            "duplicate conversation id",
        ),
        ({"conversations": [{"id": "c1", "turn": []}]}, "turn"),
    ],
)
def test_bad_sets_are_one_line_errors(data, message):
    with pytest.raises(ConfigError) as exc:
        ConversationSet.from_dict(data)
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_check_screens_every_turn_but_followups_may_repeat(small_dataset):
    bad = {"conversations": [*SET["conversations"], {"id": "c3", "turns": [
        {"question": "errors on the moon", "gold": {**G1, "filters": [{"column": "app.platform", "op": "=", "value": "moon"}]}}]}]}  # fmt: skip
    report = check_conversation_set(ConversationSet.from_dict(bad), small_dataset)
    codes = {q.id: {f.code for f in q.findings} for q in report.questions}
    assert "near_duplicate" not in codes["c2.2"]  # "only android" twice: follow-ups recur by nature
    assert codes["c3.1"] & {"empty_gold", "unknown_value", "value_not_found"}, codes["c3.1"]


def _rec(*flags):
    return [{"correct": f} for f in flags]


def test_chain_metrics_count_turns_chains_pass_k_and_propagation():
    own = {
        "a": {0: _rec(True, True), 1: _rec(True, False)},
        "b": {0: _rec(False, False), 1: _rec(False, True)},
    }
    gold = {
        "a": {0: _rec(True, True), 1: _rec(True, False)},
        "b": {0: _rec(False, True), 1: _rec(False, True)},
    }
    m = chain_metrics(own, 2, gold)
    assert m["turn_accuracy"] == 4 / 8
    assert m["chain_success"] == 1 / 4
    assert m["chain_pass_k"] == 0.0  # no chain succeeded in both trials
    assert m["turn_accuracy_by_position"] == {"1": 0.5, "2": 0.5}
    # wrong follow-ups: a/1 (gold also wrong: its own skill), b/0 (gold right after a wrong turn 1)
    assert (m["wrong_followups"], m["propagated_turns"]) == (2, 1)
    assert chain_metrics(own, 1)["chain_pass_k"] == 1 / 4
    assert m["chain_success_ci"][0] <= m["chain_success"] <= m["chain_success_ci"][1]


def test_eval_records_each_turn_and_resumes_at_the_turn(small_dataset, monkeypatch):
    cs = ConversationSet.from_dict(SET)
    prompt = Prompt.load("compact", small_dataset)
    store = RunStore()
    first = evaluate_conversations(
        cs, [prompt], dataset=small_dataset, contexts=("own",), store=store, cache=False
    )
    run = store.load_run(first.run_id)
    assert {(t["variant"], t["question_id"]) for t in run.trials} == {
        ("compact", "c1.1"), ("compact", "c1.2"), ("compact", "c2.1"), ("compact", "c2.2")}  # fmt: skip
    asked = []
    real = chains_mod.Conversation.ask
    monkeypatch.setattr(
        chains_mod.Conversation, "ask", lambda self, q, **kw: asked.append(q) or real(self, q, **kw)
    )
    resumed = evaluate_conversations(
        cs, [prompt], dataset=small_dataset, store=store, run_id=first.run_id, cache=False
    )
    assert len(asked) == 4  # only the gold-context turns: every own-context turn came from the log
    assert (
        resumed.metrics("compact", "own")["turn_accuracy"] == first.metrics("compact", "own")["turn_accuracy"]
    )
    assert "error_propagation" in resumed.metrics("compact", "own")
    store.close()


def test_cli_eval_conversations_json_has_the_design_keys(capsys, tmp_path, small_dataset_path):
    path = tmp_path / "chains.yaml"
    path.write_text(json.dumps(SET))
    code = main(["eval", "--conversations", str(path), "--prompt", "compact", "--data", str(small_dataset_path),
                 "--no-cache", "--trials", "2", "--json", "-"])  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    (v,) = data["variants"]
    assert {"turn_accuracy", "chain_success", "chain_pass_k", "k", "n_conversations"} <= set(v["metrics"])
    assert v["metrics"]["k"] == 2 and v["metrics"]["n_conversations"] == 2
    trial = v["results"][0]["trials"][0]
    assert {"correct", "valid", "spec", "findings"} <= set(trial["turns"][0])
    assert "metrics" in v["gold_context"]
    assert main(["eval", "--conversations", str(path), "--prompt", "compact", "--data", str(small_dataset_path),
                 "--no-cache"]) == 0  # fmt: skip
    assert "chain success" in capsys.readouterr().out


def test_report_and_log_read_the_chain_metrics_back(small_dataset):
    from workbench.evaluation.chains import chain_eval_from_run
    from workbench.report.html import render_report

    cs = ConversationSet.from_dict(SET)
    store = RunStore()
    result = evaluate_conversations(cs, [Prompt.load("compact", small_dataset)], dataset=small_dataset,
                                    store=store, cache=False)  # fmt: skip
    run = store.load_run(result.run_id)
    store.close()
    again = chain_eval_from_run(run)
    assert again.metrics("compact", "own") == result.metrics("compact", "own")
    assert again.metrics("compact", "gold") == result.metrics("compact", "gold")
    html = render_report([run])
    assert "<h2>Conversations</h2>" in html and "chain success" in html


def test_runs_show_prints_the_chain_table(capsys, small_dataset):
    cs = ConversationSet.from_dict(SET)
    store = RunStore()
    result = evaluate_conversations(cs, [Prompt.load("compact", small_dataset)], dataset=small_dataset,
                                    store=store, cache=False, contexts=("own",))  # fmt: skip
    store.close()
    assert main(["runs", "show", result.run_id]) == 0
    out = capsys.readouterr().out
    assert "conversations (accuracy above is per turn)" in out and "chain success" in out


def test_check_flags_followups_that_prove_nothing(small_dataset):
    same = {**G1, "filters": [*G1["filters"], {"column": "duration_ms", "op": ">=", "value": 0}]}
    data = {"conversations": [{"id": "c1", "turns": [
        {"question": "how many errors", "gold": G1},
        {"question": "only errors", "gold": G1},
        {"question": "with any duration", "gold": same}]}]}  # fmt: skip
    report = check_conversation_set(ConversationSet.from_dict(data), small_dataset)
    codes = {q.id: {f.code for f in q.findings} for q in report.questions}
    assert "followup_gold_unchanged" in codes["c1.2"] and "followup_same_answer" in codes["c1.3"]
    assert report.errors >= 1
