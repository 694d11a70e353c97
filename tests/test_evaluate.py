"""``evaluate()``: DESIGN.md's JSON, metrics consistent with the recorded trials, outcomes, repair, seeds,
the response cache, executing each reference once, and resuming after a kill without losing or
duplicating a trial."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _scripted_model import ScriptedModel

from workbench.core.errors import ConfigError
from workbench.evaluation.evaluate import EvalInterrupted, evaluate
from workbench.evaluation.questions import QuestionSet, load_question_set
from workbench.evaluation.run import DESIGN_METRICS, DESIGN_TRIAL
from workbench.llm.cache import ResponseCache
from workbench.pipeline.policy import with_trial_seed
from workbench.prompt.render import Prompt
from workbench.prompt.variant import variant_from_yaml
from workbench.store.runs import RunStore

REPO = Path(__file__).resolve().parents[1]
PROMPTS = REPO / "prompts"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # example sets are found by name under the project's prompts/


@pytest.fixture(scope="module")
def core() -> QuestionSet:
    return load_question_set(REPO / "questions" / "core.yaml")


@pytest.fixture(scope="module")
def few(core: QuestionSet) -> QuestionSet:
    return core.select(ids=core.ids[:6])


@pytest.fixture
def store(tmp_path: Path):
    with RunStore(tmp_path / "runs.duckdb") as s:
        yield s


def _prompt(small_dataset, file: str = "honeycomb", **changes) -> Prompt:
    p = Prompt.load(PROMPTS / f"{file}.yaml", small_dataset)
    return p.with_(**changes) if changes else p


def _gold(qs: QuestionSet):
    by_text = {q.question: q for q in qs}
    return lambda question, body: by_text[question].gold


# --------------------------------------------------------------------------- JSON and metrics


def test_json_has_exactly_the_design_keys(small_dataset, few, store) -> None:
    prompts = [_prompt(small_dataset, "honeycomb"), _prompt(small_dataset, "compact")]
    run = evaluate(few, prompts, dataset=small_dataset, trials=2, store=store)
    data = json.loads(run.to_json())
    assert isinstance(data["variants"], list) and [v["name"] for v in data["variants"]] == [
        "honeycomb",
        "compact",
    ]
    for v in data["variants"]:
        assert {"name", "metrics", "results"} <= set(v)
        assert set(DESIGN_METRICS) <= set(v["metrics"])
        m = v["metrics"]
        assert m["k"] == 2 and m["n_questions"] == len(few)
        assert [r["id"] for r in v["results"]] == few.ids
        for r in v["results"]:
            assert set(r) == {"id", "trials"} and len(r["trials"]) == 2
            for t in r["trials"]:
                assert set(DESIGN_TRIAL) <= set(t)
                assert isinstance(t["correct"], bool) and isinstance(t["valid"], bool)
                assert isinstance(t["findings"], list) and isinstance(t["tokens_in"], int)
                assert t["spec"] is None or isinstance(t["spec"], dict)
    assert (
        "comparison" in data["variants"][1] and data["variants"][1]["comparison"]["baseline"] == "honeycomb"
    )
    assert data["run_id"] == run.run_id and data["complete"] is True


def test_metrics_agree_with_the_recorded_trials(small_dataset, few, store) -> None:
    """A sampled variant that is right on some trials only: pass^k by hand from the JSON trials."""
    gold = _gold(few)
    wrong = {"calculations": [{"op": "COUNT"}], "time_range": 60}

    def answer(question, body):  # wrong when (seed + question index) % 3 == 0
        q = few.ids.index(next(q.id for q in few if q.question == question))
        return gold(question, body) if (body["seed"] + q) % 3 else wrong

    model = ScriptedModel(answer)
    prompt = _prompt(small_dataset, temperature=0.7, seed=10)
    run = evaluate(few, [prompt], dataset=small_dataset, trials=3, store=store, backend=model.backend())
    (v,) = run.to_dict()["variants"]
    k = v["metrics"]["k"]
    per_q = [(len(r["trials"]), sum(t["correct"] for t in r["trials"])) for r in v["results"]]
    assert {c for _, c in per_q} - {0, 3}, "some question must be right on only some trials"
    expected = sum(math.comb(c, k) / math.comb(n, k) for n, c in per_q) / len(per_q)
    assert v["metrics"]["pass_k"] == pytest.approx(expected)
    trials = [t for r in v["results"] for t in r["trials"]]
    assert v["metrics"]["accuracy"] == pytest.approx(sum(t["correct"] for t in trials) / len(trials))
    assert v["metrics"]["valid_rate"] == pytest.approx(sum(t["valid"] for t in trials) / len(trials))
    # every trial of a sampled variant, trial 0 included, has its seed from (variant seed, question, trial)
    expected_seeds = {
        with_trial_seed({"temperature": 0.7, "seed": 10}, t, q.question)["seed"]
        for q in few
        for t in range(3)
    }
    assert {b["seed"] for b in model.history} == expected_seeds
    assert len(expected_seeds) == 3 * len(few)


def test_outcomes_are_classified(small_dataset, few, store) -> None:
    qs = few.select(ids=few.ids[:5])
    gold = _gold(qs)
    scripted = {
        qs[qs.ids[0]].question: "GOLD",
        qs[qs.ids[1]].question: {"calculations": [{"op": "COUNT"}], "time_range": 60},  # runs, wrong result
        qs[qs.ids[2]].question: {"calculations": [{"op": "P99"}]},  # structural: P99 needs a column
        qs[qs.ids[3]].question: {"calculations": [{"op": "AVG", "column": "no.such.column"}]},  # semantic
        qs[qs.ids[4]].question: "FAIL",  # the call fails (HTTP 400, not retried)
    }
    model = ScriptedModel(lambda q, b: gold(q, b) if scripted[q] == "GOLD" else scripted[q])
    run = evaluate(qs, [_prompt(small_dataset)], dataset=small_dataset, store=store, backend=model.backend())
    trials = {t["question_id"]: t for t in run.variants[0].trials}
    outcomes = [trials[q]["outcome"] for q in qs.ids]
    assert outcomes == ["correct", "wrong", "invalid", "rejected", "error"]
    wrong = trials[qs.ids[1]]
    assert wrong["diff"]["calculations"] is False and wrong["diff"]["time"] is True
    assert wrong["sql"] and wrong["result"]["rows"]
    assert trials[qs.ids[3]]["valid"] is True and trials[qs.ids[3]]["semantic_valid"] is False
    assert any(f["code"] == "unknown_column" for f in trials[qs.ids[3]]["findings"])
    assert trials[qs.ids[4]]["error"] and trials[qs.ids[4]]["spec"] is None
    assert run.variants[0].metrics.outcomes == {
        "correct": 1,
        "wrong": 1,
        "invalid": 1,
        "rejected": 1,
        "error": 1,
    }


def test_repair_round_records_both_attempts(small_dataset, few, store) -> None:
    qs = few.select(ids=few.ids[:2])
    bad = {"calculations": [{"op": "AVG", "column": "duration_msec"}], "time_range": 3600}
    model = ScriptedModel(lambda q, b: bad, repair=_gold(qs))
    run = evaluate(qs, [_prompt(small_dataset, repair=True)], dataset=small_dataset, store=store,
                   backend=model.backend())  # fmt: skip
    assert len(model.history) == 4  # one call and one repair call per question
    for t in run.variants[0].trials:
        assert t["correct"] and t["repaired"] and t["outcome"] == "correct"
        attempts = t["extra"]["attempt_records"]
        assert [a["valid"] for a in attempts] == [False, True]
        assert attempts[0]["spec"] == bad
        assert t["tokens_in"] == 2000 and t["tokens_out"] == 100  # both calls counted
    m = run.variants[0].metrics
    assert m.repair_rate == 1.0 and m.repair_success_rate == 1.0


def test_each_reference_query_runs_once_per_run(small_dataset, few, store) -> None:
    model = ScriptedModel(_gold(few))
    prompts = [_prompt(small_dataset), _prompt(small_dataset, "compact")]
    run = evaluate(few, prompts, dataset=small_dataset, trials=3, store=store, backend=model.backend())
    assert all(t["correct"] for v in run.variants for t in v.trials)
    distinct = {json.dumps(s, sort_keys=True) for q in few for s in q.specs}
    # 36 trials, but only the references ran: every prediction equals a gold and shares its result
    assert run.timings["executed_queries"] <= len(distinct)
    assert run.timings["shared_queries"] >= 36


def test_the_log_commits_trials_in_batches_and_keeps_every_one(
    small_dataset, few, store, monkeypatch
) -> None:
    from workbench.evaluation import trial_log

    monkeypatch.setattr(trial_log, "WRITE_LINGER_S", 0.3)  # scripted answers all land within it
    commits: list[int] = []
    many, one = store.record_trials, store.record_trial
    monkeypatch.setattr(
        store, "record_trials", lambda run_id, batch: commits.append(len(batch)) or many(run_id, batch)
    )
    monkeypatch.setattr(
        store, "record_trial", lambda run_id, record: commits.append(1) or one(run_id, record)
    )
    model = ScriptedModel(_gold(few))
    prompts = [_prompt(small_dataset), _prompt(small_dataset, "compact")]
    run = evaluate(few, prompts, dataset=small_dataset, trials=3, store=store, backend=model.backend())
    assert len(_keys(store, run.run_id)) == 36  # every trial, once
    assert (
        len(commits) <= 6
    )  # 36 trials in batches (up to WRITE_BATCH): the commit, not the rows, is the cost


def test_requests_render_at_most_the_concurrency_ahead_of_the_calls(small_dataset, few, monkeypatch) -> None:
    rendered: list[str] = []
    real = Prompt.render
    monkeypatch.setattr(
        Prompt, "render", lambda self, q, current=None: rendered.append(q) or real(self, q, current)
    )
    gold, at_call = _gold(few), []
    model = ScriptedModel(lambda question, body: at_call.append(len(rendered)) or gold(question, body))
    run = evaluate(few, [_prompt(small_dataset)], dataset=small_dataset, trials=1, store=None,
                   backend=model.backend(), concurrency=2)  # fmt: skip
    assert all(t["correct"] for t in run.variants[0].trials)
    assert at_call[0] <= 2 < len(few) == len(rendered)  # rendering overlaps the calls, never all before them


def test_second_run_is_served_from_the_cache_at_zero_cost(small_dataset, few, store, tmp_path) -> None:
    qs = few.select(ids=few.ids[:3])
    model = ScriptedModel(_gold(qs))
    prompt = _prompt(small_dataset, model="gpt-4.1-mini")  # a priced model, answered by the script
    cache = ResponseCache(tmp_path / "responses.sqlite")
    first = evaluate(qs, [prompt], dataset=small_dataset, trials=2, cache=cache, store=store,
                     backend=model.backend(free=False))  # fmt: skip
    second = evaluate(qs, [prompt], dataset=small_dataset, trials=2, cache=cache, store=store,
                      backend=model.backend(free=False))  # fmt: skip
    m1, m2 = first.variants[0].metrics, second.variants[0].metrics
    assert m1.cache_hits == 0 and m1.cost_usd > 0
    assert m2.cache_hits == m2.n_trials == 6 and m2.cost_usd == 0
    assert len(model.history) == 6  # the second run made no call
    assert m2.accuracy == m1.accuracy == 1.0


def test_the_log_keeps_the_variant_questions_and_dataset(small_dataset, few, store) -> None:
    prompt = _prompt(small_dataset, "compact")
    run = evaluate(few, [prompt], dataset=small_dataset, store=store, name="baseline")
    loaded = store.load_run(run.run_id)
    (v,) = loaded.variants
    assert v["variant_hash"] == prompt.variant.variant_hash
    assert variant_from_yaml(v["variant_text"]).variant_hash == prompt.variant.variant_hash
    assert v["model"] == "offline" and v["params"]["temperature"] == 0
    s = loaded.summary
    assert (s.name, s.question_set_hash, s.dataset_identity) == ("baseline", few.hash, small_dataset.identity)
    assert s.status == "finished" and s.n_trials == len(few)
    t = loaded.trials[0]
    assert t["request_hash"] and t["raw_output"]["choices"] and t["started_at"] and t["finished_at"]
    assert run.variants[0].recall is not None and 0 <= run.variants[0].recall.recall <= 1


def test_without_a_store_nothing_is_recorded(small_dataset, few) -> None:
    run = evaluate(few, [_prompt(small_dataset)], dataset=small_dataset, store=None)
    assert run.run_id is None and run.complete and len(run.variants[0].trials) == len(few)


# --------------------------------------------------------------------------- bad input


def test_bad_input_is_a_config_error(small_dataset, few, core, store) -> None:
    p = _prompt(small_dataset)
    with pytest.raises(ConfigError, match="trials"):
        evaluate(few, [p], dataset=small_dataset, trials=0, store=store)
    with pytest.raises(ConfigError, match="no prompt"):
        evaluate(few, [], dataset=small_dataset, store=store)
    with pytest.raises(ConfigError, match="named 'honeycomb'"):
        evaluate(few, [p, p], dataset=small_dataset, store=store)
    with pytest.raises(ConfigError, match="not found"):
        evaluate(few, [PROMPTS / "nope.yaml"], dataset=small_dataset, store=store)
    assert store.list_runs() == []  # bad input never leaves a run behind
    run = evaluate(few, [p], dataset=small_dataset, trials=2, store=store)
    with pytest.raises(ConfigError, match="questions differ"):
        evaluate(core.select(ids=core.ids[:7]), [p], dataset=small_dataset, store=store, run_id=run.run_id)
    with pytest.raises(ConfigError, match="2 trials per question"):
        evaluate(few, [p], dataset=small_dataset, trials=3, store=store, run_id=run.run_id)
    with pytest.raises(ConfigError, match="variants"):
        evaluate(
            few, [_prompt(small_dataset, "compact")], dataset=small_dataset, store=store, run_id=run.run_id
        )


# --------------------------------------------------------------------------- kill and resume


class Killed(Exception):
    pass


def _keys(store: RunStore, run_id: str) -> list[tuple[str, str, int]]:
    return [(t["variant"], t["question_id"], t["trial"]) for t in store.load_run(run_id).trials]


def _verdicts(run) -> dict[tuple[str, str, int], bool]:
    return {(v.name, t["question_id"], t["trial"]): t["correct"] for v in run.variants for t in v.trials}


def test_resume_after_a_failure_midway_loses_and_duplicates_nothing(small_dataset, few, store) -> None:
    prompts = [_prompt(small_dataset), _prompt(small_dataset, "compact")]
    reference = evaluate(few, prompts, dataset=small_dataset, trials=2, store=None)
    seen = []

    def die_after_five(record):
        seen.append(record)
        if len(seen) == 5:
            raise Killed

    with pytest.raises(Killed):
        evaluate(few, prompts, dataset=small_dataset, trials=2, store=store, on_trial=die_after_five)
    from workbench.evaluation.trial_log import WRITE_BATCH

    (summary,) = store.list_runs()
    # every reported trial is in the log; trials are committed in batches of up to WRITE_BATCH, so
    # the batch holding the failing 5th may hold up to WRITE_BATCH - 1 more
    assert summary.status == "failed" and 5 <= summary.n_trials <= 5 + WRITE_BATCH - 1
    assert set(_keys(store, summary.run_id)) >= {(r["variant"], r["question_id"], r["trial"]) for r in seen}

    resumed = evaluate(None, None, dataset=small_dataset, store=store, run_id=summary.run_id[:10])
    keys = _keys(store, summary.run_id)
    assert len(keys) == len(set(keys)) == 24
    assert resumed.run_id == summary.run_id and resumed.status == "finished" and resumed.complete
    assert _verdicts(resumed) == _verdicts(reference)
    for b in reference.variants:
        a = resumed.variant(b.name)
        assert (a.metrics.accuracy, a.metrics.pass_k, a.metrics.valid_rate) == (
            b.metrics.accuracy, b.metrics.pass_k, b.metrics.valid_rate)  # fmt: skip


def test_ctrl_c_keeps_finished_trials_and_says_how_to_resume(small_dataset, few, store) -> None:
    def interrupt(record):
        raise KeyboardInterrupt

    with pytest.raises(EvalInterrupted) as info:
        evaluate(few, [_prompt(small_dataset)], dataset=small_dataset, store=store, on_trial=interrupt)
    run_id = info.value.run_id
    assert run_id and info.value.total == len(few)
    assert store.list_runs()[0].status == "cancelled"
    resumed = evaluate(few, [_prompt(small_dataset)], dataset=small_dataset, store=store, run_id=run_id)
    assert resumed.complete and len(set(_keys(store, run_id))) == len(few)


def test_an_interrupt_before_the_first_call_marks_the_run_cancelled(
    small_dataset, few, store, monkeypatch
) -> None:
    """Cancel (or Ctrl-C) while the run is being set up, after it is in the log: it says cancelled, not created."""
    import workbench.evaluation.evaluate as evaluate_module

    def interrupted_setup(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(evaluate_module, "Orchestrator", interrupted_setup)
    with pytest.raises(EvalInterrupted) as info:
        evaluate(few, [_prompt(small_dataset)], dataset=small_dataset, store=store)
    assert info.value.run_id and store.list_runs()[0].status == "cancelled"
    monkeypatch.undo()
    resumed = evaluate(
        few, [_prompt(small_dataset)], dataset=small_dataset, store=store, run_id=info.value.run_id
    )
    assert resumed.complete and len(set(_keys(store, info.value.run_id))) == len(few)


def test_sigkill_midway_then_resume(small_dataset_path, few, tmp_path) -> None:
    """A real kill: the process dies (SIGKILL) after its 4th recorded trial; the log survives it."""
    log = tmp_path / "runs.duckdb"
    script = textwrap.dedent(f"""
        import os, signal
        from workbench.dataset.source import open_dataset
        from workbench.evaluation.evaluate import evaluate
        from workbench.evaluation.questions import load_question_set
        from workbench.evaluation import trial_log
        trial_log.WRITE_BATCH = 8  # commits of at most 8: the kill leaves a part of the 24 trials to resume
        qs = load_question_set({str(REPO / "questions" / "core.yaml")!r})
        qs = qs.select(ids={few.ids!r})
        done = []
        def kill(record):
            done.append(record)
            if len(done) == 4:
                os.kill(os.getpid(), signal.SIGKILL)
        evaluate(qs, [{str(PROMPTS / "honeycomb.yaml")!r}], dataset=open_dataset({str(small_dataset_path)!r}),
                 trials=2, store={str(log)!r}, on_trial=kill)
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()[-2000:]
    with RunStore(log) as store:
        (summary,) = store.list_runs()
        assert summary.status == "running" and 4 <= summary.n_trials <= 4 + 7 < 2 * len(
            few
        )  # batches of <= 8
        evaluate(None, None, dataset=small_dataset_path, store=store, run_id=summary.run_id)
        keys = _keys(store, summary.run_id)
        assert len(keys) == len(set(keys)) == 2 * len(few)
        assert store.list_runs()[0].status == "finished"


# --------------------------------------------------------------------------- execution


def test_shared_dataset_runs_queries_on_one_read_only_connection(small_dataset, few, monkeypatch) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from workbench.evaluation.execution import Executions, SharedDataset
    from workbench.sql.execute import run_query

    opened = []
    real = small_dataset.connect

    def connect(*args, **kwargs):
        opened.append(1)
        return real(*args, **kwargs)

    expected = [run_query(small_dataset, q.gold).rows for q in few]
    monkeypatch.setattr(small_dataset, "connect", connect)
    with SharedDataset(small_dataset) as shared:
        with ThreadPoolExecutor(4) as pool:
            rows = list(pool.map(lambda q: run_query(shared, q.gold).rows, list(few) * 3))
        assert rows == expected * 3
        # queries run on the dataset's one engine connection (opened by the first run_query above) or
        # on the shared one: never a connection per query
        assert len(opened) <= 1
        cursor = shared.connect()
        for sql in ("CREATE TABLE events2 AS SELECT 1", "SET enable_external_access = true"):
            with pytest.raises(Exception):  # noqa: B017 - duckdb's own error types
                cursor.execute(sql)
        executions = Executions(shared)
        first, again = executions.run(few.questions[0].gold), executions.run(few.questions[0].gold)
        assert not first.shared and again.shared and again.result is first.result
        assert executions.executed == 1
