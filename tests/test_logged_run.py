"""An eval read back from the log without holding its trials: ``EvalRun.from_log`` (slim rows for the
metrics, ``LoggedTrials`` read on demand), the streamed eval JSON, and the log's reads without the
``trials_latest`` view's window (same rows as the view)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from workbench.evaluation.logged import LoggedTrials, slim_trial
from workbench.evaluation.questions import Question, QuestionSet
from workbench.evaluation.run import EvalRun, VariantRun
from workbench.store.runs import RunStore

# recorded in this order, which is neither alphabetical nor the trials' order
QS = QuestionSet(
    name="mixed",
    questions=(
        Question("q3", "slow checkouts", {"calculations": [{"op": "COUNT"}]}, tags=("latency",)),
        Question("q1", "errors by service", {"calculations": [{"op": "COUNT"}]}, tags=("errors", "count")),
        Question("q2", "p99 latency", {"calculations": [{"op": "P99", "column": "duration_ms"}]}),
        Question("q4", "users today", {"calculations": [{"op": "COUNT_DISTINCT", "column": "user.id"}]}),
    ),
)
SPEC = {"calculations": [{"op": "COUNT"}], "orders": [{"op": "COUNT", "order": "descending"}], "limit": 5}
CRITIC = {"severity": "warning", "code": "critic_time", "message": "the question says 'today'", "path": "time_range",
          "suggestion": "time_range: 86400"}  # fmt: skip
OTHER = {"severity": "error", "code": "unknown_column", "message": "no column 'x'", "path": "breakdowns[0]"}
DIFF = {"calculations": False, "filters": True, "breakdowns": False, "time": True, "orders_limit": False,
        "havings": False}  # fmt: skip


def _trial(variant: str, q: str, t: int) -> dict:
    """A trial whose fields vary with its key: outcomes, findings, repairs, costs, results, extras."""
    i = (sum(map(ord, variant + q)) + 3 * t) % 7
    outcome = ("correct", "wrong", "invalid", "correct", "wrong", "correct", "no_result")[i]
    executed = outcome in ("correct", "wrong")
    extra = {"attempts": 1 + (i == 2), "matched": "gold", "http_attempts": [1] * (1 + i % 2), "retry_ms": 10.0 * i,
             "tokens_estimated": i == 4, "message": "x" * 50}  # fmt: skip
    if i in (1, 2):  # repaired: once for a warning alone, once for an error
        extra["attempt_records"] = [
            {"findings": [CRITIC if i == 1 else OTHER], "raw_output": "{...}"},
            {"findings": []},
        ]
    if q == "q4" and t == 0:
        extra["reference_errors"] = {"gold": "the gold query failed"}
    return {
        "variant": variant, "question_id": q, "trial": t, "raw_output": json.dumps(SPEC) + " " * i,
        "spec": SPEC if outcome != "invalid" else None, "findings": [CRITIC, OTHER][: i % 3],
        "sql": f"SELECT count(*) FROM t LIMIT {i}", "diff": DIFF if outcome == "wrong" else None,
        "result": {"columns": ["n"], "rows": [[i % 3]], "row_count": 1} if executed else None,
        "correct": outcome == "correct", "outcome": outcome, "valid": outcome != "invalid",
        "semantic_valid": executed, "repaired": i in (1, 2), "tokens_in": 1000 + i, "tokens_out": 20 + t,
        "cached_tokens": 100 * (i % 2), "latency_ms": 200.0 + 17 * i + t, "cost_usd": None if i == 6 else 0.001 * i,
        "cache_hit": i == 5, "error": None, "extra": extra,
    }  # fmt: skip


@pytest.fixture
def logged(tmp_path: Path) -> tuple[RunStore, str]:
    """Two variants x 4 questions x 3 trials, plus a question the run did not record, an errored
    trial retried (the retry supersedes it) and one still errored."""
    store = RunStore(tmp_path / "runs.duckdb")
    run_id = store.create_run(name="mixed", questions=QS, trials_per_question=3)
    for v in ("naive", "compact"):
        store.add_variant(run_id, v, hash=f"h-{v}", text=f"name: {v}", model="m",
                          recall={"recall": 0.9, "mean_question_recall": 0.8, "n_gold": 10, "n_missed": 1,
                                  "misses": {"x": 1}, "mean_tokens": 12.5})  # fmt: skip
    trials = [
        _trial(v, q, t)
        for v in ("naive", "compact")
        for q in ("q4", "q2", "zz", "q1", "q3")
        for t in (2, 0, 1)
    ]
    failed = {
        "outcome": "error",
        "error": "connection reset",
        "correct": False,
        "valid": False,
        "tokens_in": 0,
    }
    for t in trials:
        if (t["variant"], t["question_id"], t["trial"]) in (("naive", "q2", 1), ("compact", "q1", 0)):
            store.record_trial(run_id, **{**t, **failed, "cost_usd": None, "extra": {}})
            store.record_trial(
                run_id, **{**t, **failed, "cost_usd": None, "extra": {}}
            )  # a retry that failed
            if t["question_id"] == "q2":
                continue  # stays errored
        store.record_trial(run_id, **t)  # the retry supersedes the error (in trial_retries)
    store.record_trial(run_id, **_trial("naive", "aa", 1))  # another unrecorded question, from trial 1
    store.finish_run(run_id)
    store.close()
    return store, run_id


def _dump(run: EvalRun) -> str:
    out = io.StringIO()
    json.dump(run.to_dict(), out, indent=2, default=str)
    return out.getvalue()


def test_from_log_gives_the_same_json_as_the_full_run_without_loading_the_trials(logged) -> None:
    store, run_id = logged
    full = EvalRun.from_run(store.load_run(run_id))
    slim = EvalRun.from_log(store, run_id)
    streamed = io.StringIO()
    slim.write_json(streamed)
    assert streamed.getvalue() == _dump(full)  # metrics, by tag, comparison, results: byte for byte
    assert all(isinstance(v.trials, LoggedTrials) and not v.trials.loaded for v in slim.variants)
    assert slim.n_errors == full.n_errors == 1 and slim.n_trials == full.n_trials == 31
    assert all("raw_output" not in t and "sql" not in t for v in slim.variants for t in v.rows)
    data = json.loads(streamed.getvalue())
    naive = data["variants"][0]
    assert [r["id"] for r in naive["results"]] == ["q3", "q1", "q2", "q4", "zz", "aa"]  # recorded order first
    assert naive["metrics"]["confidence_auroc"] is not None and naive["metrics"]["warning_repairs"] > 0
    assert data["variants"][1]["comparison"]["baseline"] == "naive"


def test_from_log_keeps_the_json_identical_after_k_changes_and_when_trials_are_read(logged) -> None:
    store, run_id = logged
    full, slim = EvalRun.from_run(store.load_run(run_id)), EvalRun.from_log(store, run_id)
    full.set_k(2)
    slim.set_k(2)
    assert _dump(slim) == _dump(full)  # to_dict reads the trials from the log, question by question
    assert not any(v.trials.loaded for v in slim.variants)
    assert [list(v.trials) for v in slim.variants] == [v.trials for v in full.variants]
    assert all(v.trials.loaded for v in slim.variants)  # kept once read
    streamed = io.StringIO()
    slim.write_json(streamed)  # from the loaded trials now
    assert streamed.getvalue() == _dump(full)


def test_the_run_read_back_with_one_trial_per_question_keeps_no_result(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.duckdb")
    run_id = store.create_run(questions=QS, trials_per_question=1)
    store.add_variant(run_id, "naive")
    for q in QS.ids:
        store.record_trial(run_id, **_trial("naive", q, 0))
    slim = EvalRun.from_log(store, run_id)
    assert all("result" not in t and "spec" not in t for t in slim.variants[0].rows)
    assert _dump(slim) == _dump(EvalRun.from_run(store.load_run(run_id)))


def test_slim_trial_keeps_what_the_metrics_read() -> None:
    t = _trial("naive", "q1", 0)
    t["extra"]["attempt_records"] = [{"findings": [CRITIC, "not a finding"], "raw_output": "x" * 1000}]
    row = slim_trial(t, results=False)
    assert row["findings"] == [{"code": f["code"], "severity": f["severity"]} for f in t["findings"]]
    assert row["extra"]["attempt_records"] == [{"findings": [{"code": "critic_time", "severity": "warning"}]}]
    assert "message" not in row["extra"] and "result" not in row and "raw_output" not in row
    assert slim_trial(t, results=True).get("result") == (
        t["result"] if t["outcome"] in ("correct", "wrong") else None
    )


def test_trial_batches_read_the_views_rows_in_question_order(logged, monkeypatch) -> None:
    import workbench.store.reader as reader

    store, run_id = logged
    monkeypatch.setattr(reader, "TRIALS_BATCH", 4)  # several pages, questions split across them
    view = store.sql("SELECT * FROM trials_latest WHERE run_id = ? AND variant = 'naive' ORDER BY question_id, trial",
                     [run_id]).to_dict("records")  # fmt: skip
    by_key = [t for b in store.trial_batches(run_id, "naive", question_order=False) for t in b]
    assert [(t["question_id"], t["trial"], t["outcome"]) for t in by_key] == [
        (t["question_id"], t["trial"], t["outcome"]) for t in view
    ]
    assert by_key == store.load_run(run_id).trials_for("naive")
    ordered = [(t["question_id"], t["trial"]) for b in store.trial_batches(run_id, "naive") for t in b]
    full = VariantRun("naive", by_key).trials_by_question(
        [q["id"] for q in EvalRun.from_run(store.load_run(run_id)).questions]
    )
    assert ordered == [(q, t["trial"]) for q, ts in full.items() for t in ts]
    few = [t for b in store.trial_batches(run_id, "naive", columns=("correct",)) for t in b]
    assert set(few[0]) == {"question_id", "trial", "correct"}
    with pytest.raises(ValueError, match="no trial column 'nope'"):
        next(store.trial_batches(run_id, "naive", columns=("nope",)))


def test_summaries_and_finished_keys_match_the_view(logged) -> None:
    store, run_id = logged
    (summary,) = store.list_runs()
    n_correct, n_errors = store.sql(
        "SELECT count(*) FILTER (correct), count(*) FILTER (outcome = 'error') FROM trials_latest WHERE run_id = ?",
        [run_id],
    ).iloc[0]
    assert (summary.n_correct, summary.n_errors) == (n_correct, n_errors) == (summary.n_correct, 1)
    answered = store.sql(
        "SELECT variant, question_id, trial FROM trials_latest WHERE run_id = ? AND outcome IS DISTINCT FROM 'error'",
        [run_id],
    )
    assert store.finished_keys(run_id) == {(v, q, int(t)) for v, q, t in answered.itertuples(index=False)}
    assert ("naive", "q2", 1) not in store.finished_keys(run_id, "naive")
    assert ("compact", "q1", 0) in store.finished_keys(run_id, "compact")


def test_create_run_copies_many_questions_in_order(tmp_path: Path) -> None:
    many = QuestionSet(
        name="many", questions=tuple(Question(f"x{50 - i:02d}", f"question {i}", {}) for i in range(40))
    )
    store = RunStore(tmp_path / "runs.duckdb")
    run_id = store.create_run(questions=many, trials_per_question=1)
    questions = store.load_run(run_id).questions
    assert [(q["question_id"], q["position"]) for q in questions] == [(q.id, i) for i, q in enumerate(many)]


def test_reopen_keeps_the_log_open_for_writing(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.duckdb")
    store.reopen()  # nothing open: stays closed
    assert store._conn is None
    run_id = store.create_run(questions=QS)
    first = store._conn
    store.reopen()
    assert store._conn is not None and store._conn is not first
    store.record_trial(run_id, **_trial("naive", "q1", 0))
    assert store.finished_keys(run_id) == {("naive", "q1", 0)}
    store.close()
