from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from workbench.core.errors import ConfigError, WorkbenchError
from workbench.core.findings import error
from workbench.evaluation.questions import Question, QuestionSet
from workbench.spec.matching import results_match
from workbench.store.migrations import MIGRATIONS
from workbench.store.runs import RESULT_ROW_CAP, RunStore, cap_result

QS = QuestionSet(
    name="mini",
    questions=(
        Question("q1", "errors by service", {"calculations": [{"op": "COUNT"}]}, tags=("errors",)),
        Question(
            "q2", "p99 latency", {"calculations": [{"op": "P99", "column": "duration_ms"}]}, accept=[{}]
        ),
    ),
    path=Path("questions/mini.yaml"),
)


@pytest.fixture
def store(tmp_path: Path):
    with RunStore(tmp_path / "runs" / "runs.duckdb") as s:
        yield s


def new_run(store: RunStore, **kwargs) -> str:
    run_id = store.create_run(
        name="baseline", questions=QS, trials_per_question=2, dataset_identity="gen-42", **kwargs
    )
    store.add_variant(run_id, "v1", hash="h1", text="name: v1\n", model="offline", params={"temperature": 0})
    return run_id


def test_default_path_is_the_homes_runs_folder(_isolated_home: Path) -> None:
    store = RunStore()
    assert store.path == _isolated_home / "runs" / "runs.duckdb"
    assert store.list_runs() == []
    assert store.path.exists()


def test_create_record_and_load(store: RunStore) -> None:
    run_id = new_run(store, settings={"concurrency": 4})
    assert re.fullmatch(r"r\d{8}-\d{4}-[0-9a-f]{4}", run_id)
    spec = {"calculations": [{"op": "COUNT"}]}
    assert store.record_trial(
        run_id,
        {"variant": "v1", "question_id": "q1", "trial": 0},
        request_hash="abc",
        raw_output={"tool_calls": [{"arguments": "{}"}]},
        spec=spec,
        findings=[error("unknown_column", "no column x", "filters[0].column")],
        sql="SELECT count(*) FROM events",
        result={"columns": ["COUNT"], "rows": [[12]]},
        diff={"calculations": False},
        correct=True,
        outcome="correct",
        valid=True,
        semantic_valid=True,
        repaired=False,
        tokens_in=120,
        tokens_out=30,
        cached_tokens=64,
        latency_ms=12.5,
        cost_usd=0.0001,
        cache_hit=False,
        started_at=datetime(2026, 11, 24, 8, 0, tzinfo=UTC),
        finished_at=1795176000.25,
        extra={"matched": "gold"},
    )
    run = store.load_run(run_id)
    assert run.run_id == run_id
    assert run.summary.status == "running"
    assert run.summary.question_set_name == "mini" and run.summary.question_set_hash == QS.hash
    assert run.summary.question_set_path == str(Path("questions/mini.yaml"))
    assert run.summary.settings == {"concurrency": 4}
    assert run.variant_names == ["v1"]
    assert run.variants[0]["params"] == {"temperature": 0} and run.variants[0]["variant_text"] == "name: v1\n"
    assert [q["question_id"] for q in run.questions] == ["q1", "q2"]
    assert run.questions[1]["accept"] == [{}]
    assert run.tags == {"q1": ("errors",), "q2": ()}
    (t,) = run.trials
    assert t["spec"] == spec
    assert t["findings"][0]["code"] == "unknown_column"
    assert t["result"] == {"columns": ["COUNT"], "rows": [[12]], "row_count": 1, "truncated": False}
    assert t["raw_output"] == {"tool_calls": [{"arguments": "{}"}]}
    assert t["extra"] == {"matched": "gold"}
    assert t["correct"] is True and t["tokens_in"] == 120 and t["latency_ms"] == 12.5
    assert t["started_at"] == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert t["finished_at"] == datetime(2026, 11, 20, 12, 0, 0, 250000, tzinfo=UTC)
    assert run.trials_for("v1") == [t]
    with pytest.raises(ConfigError, match="no variant 'v2'"):
        run.trials_for("v2")
    frame = run.trials_frame()
    assert list(frame["question_id"]) == ["q1"]


def test_duplicate_trials_are_ignored_never_overwritten(store: RunStore) -> None:
    run_id = new_run(store)
    key = {"variant": "v1", "question_id": "q1", "trial": 0}
    assert store.record_trial(run_id, key, correct=True, sql="first") is True
    assert store.record_trial(run_id, key, correct=False, sql="second") is False
    (t,) = store.load_run(run_id).trials
    assert (t["correct"], t["sql"]) == (True, "first")
    assert store.finished_keys(run_id) == {("v1", "q1", 0)}


def test_an_error_is_retried_until_answered_then_the_answer_stands(store: RunStore) -> None:
    run_id = new_run(store)
    key = {"variant": "v1", "question_id": "q1", "trial": 0}
    other = {"variant": "v1", "question_id": "q2", "trial": 0}
    assert store.record_trial(run_id, key, outcome="error", error="timeout")
    assert store.record_trial(run_id, key, outcome="error", error="timeout again")  # a retry of the error
    assert (
        store.record_trials(
            run_id, [{**key, "outcome": "correct", "correct": True}, {**other, "outcome": "wrong"}]
        )
        == 2
    )
    assert store.record_trial(run_id, key, outcome="wrong", sql="late") is False  # answered: it stands
    assert store.record_trial(run_id, other, outcome="correct") is False
    latest = {(t["question_id"], t["outcome"]) for t in store.load_run(run_id).trials}
    assert latest == {("q1", "correct"), ("q2", "wrong")}


def test_record_trials_writes_a_batch_all_or_nothing(store: RunStore) -> None:
    run_id = new_run(store)
    store.record_trial(run_id, variant="v1", question_id="q1", trial=0, sql="kept")
    batch = [
        {"variant": "v1", "question_id": q, "trial": t, "correct": t == 0}
        for q in ("q1", "q2")
        for t in (0, 1)
    ]
    assert store.record_trials(run_id, batch) == 3  # q1/0 existed and is not overwritten
    assert store.finished_keys(run_id) == {("v1", q, t) for q in ("q1", "q2") for t in (0, 1)}
    with pytest.raises(ValueError, match="missing 'trial'"):
        store.record_trials(
            run_id,
            [{"variant": "v1", "question_id": "q3", "trial": 0}, {"variant": "v1", "question_id": "q4"}],
        )
    assert ("v1", "q3", 0) not in store.finished_keys(run_id)  # a bad trial writes none of its batch
    assert [
        t["sql"] for t in store.load_run(run_id).trials if t["question_id"] == "q1" and t["trial"] == 0
    ] == ["kept"]


def test_record_trial_rejects_bad_input(store: RunStore) -> None:
    run_id = new_run(store)
    with pytest.raises(ValueError, match="missing 'trial'"):
        store.record_trial(run_id, variant="v1", question_id="q1")
    with pytest.raises(ValueError, match="unknown trial field 'corect'"):
        store.record_trial(run_id, variant="v1", question_id="q1", trial=0, corect=True)
    with pytest.raises(ConfigError, match="no run 'r-nope'"):
        store.record_trial("r-nope", variant="v1", question_id="q1", trial=0)


def test_results_are_capped(store: RunStore) -> None:
    run_id = new_run(store)
    rows = [(i, f"s{i}") for i in range(RESULT_ROW_CAP + 50)]
    result = SimpleNamespace(columns=["n", "s"], rows=rows)  # QueryResult-like
    store.record_trial(run_id, variant="v1", question_id="q1", trial=0, result=result)
    (t,) = store.load_run(run_id).trials
    assert len(t["result"]["rows"]) == RESULT_ROW_CAP
    assert t["result"]["row_count"] == RESULT_ROW_CAP + 50 and t["result"]["truncated"] is True
    assert cap_result(None) is None
    # the series is kept too, and a result truncated by the executor stays marked truncated
    series = SimpleNamespace(columns=["time", "n"], rows=[(datetime(2026, 11, 20, 10), 4)])
    timed = SimpleNamespace(columns=["n"], rows=[(4,)], series=series, truncated=True)
    store.record_trial(run_id, variant="v1", question_id="q1", trial=1, result=timed)
    stored = store.load_run(run_id).trials[1]["result"]
    assert stored["truncated"] is True
    assert stored["series"]["rows"] == [["2026-11-20T10:00:00", 4]]
    assert results_match(stored, timed)  # a logged result can be matched again later


def test_status_events_list_and_latest(store: RunStore) -> None:
    first = new_run(store)
    store.finish_run(first)
    second = store.create_run(name="other", trials_per_question=1)
    store.add_variant(second, "v1", hash="h2")
    store.add_variant(second, "v2", hash="h3")
    store.record_trial(second, variant="v2", question_id="q1", trial=0, correct=True)
    store.finish_run(second, "failed", "model unreachable")
    runs = store.list_runs()
    assert [r.run_id for r in runs] == [second, first]
    assert [r.status for r in runs] == ["failed", "finished"]
    assert runs[0].variants == ("v1", "v2")
    assert runs[0].n_trials == 1 and runs[0].accuracy == 1.0 and runs[0].expected_trials is None
    assert runs[1].expected_trials == 4 and not runs[1].complete and runs[1].accuracy is None
    assert store.latest_run_for_variant("v1").run_id == second
    assert store.latest_run_for_variant("v1", "h1").run_id == first
    assert store.latest_run_for_variant("v1", "zz") is None
    assert store.latest_run_for_variant("nope") is None
    assert store.resume_run(first) == set()
    assert store.list_runs()[1].status == "running"
    with pytest.raises(ValueError, match="status"):
        store.finish_run(first, "done")
    assert runs[0].to_dict()["variants"] == ["v1", "v2"]


def test_add_variant_again(store: RunStore) -> None:
    run_id = new_run(store)
    store.add_variant(run_id, "v1", hash="h1")  # resuming: a no-op
    with pytest.raises(ConfigError, match="recorded variant 'v1' with hash h1, now it is h9"):
        store.add_variant(run_id, "v1", hash="h9")
    with pytest.raises(ConfigError, match="no run"):
        store.add_variant("r-missing", "v1")


def test_resolve_run_id(store: RunStore) -> None:
    a, b = new_run(store), new_run(store)
    assert store.resolve_run_id(a) == a
    unique = next(a[:n] for n in range(1, len(a) + 1) if not b.startswith(a[:n]))
    assert store.load_run(unique).run_id == a  # a unique prefix is enough
    with pytest.raises(ConfigError, match="ambiguous"):
        store.resolve_run_id("r")
    with pytest.raises(ConfigError, match="no run 'x'"):
        store.load_run("x")


def test_migrations_are_recorded_once(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    with RunStore(path) as s:
        new_run(s)
    with RunStore(path) as s:
        names = list(s.sql("SELECT name FROM migrations ORDER BY name")["name"])
        assert names == [name for name, _ in MIGRATIONS]
        assert len(s.list_runs()) == 1


def test_two_stores_on_one_file_in_turn(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    first = RunStore(path)
    run_id = new_run(first)
    first.record_trial(run_id, variant="v1", question_id="q1", trial=0, correct=True)
    first.close()
    second = RunStore(path)
    second.record_trial(run_id, variant="v1", question_id="q1", trial=1, correct=False)
    assert second.finished_keys(run_id) == {("v1", "q1", 0), ("v1", "q1", 1)}
    second.close()
    # a store that only reads does not keep the file open
    reader = RunStore(path)
    assert len(reader.list_runs()) == 1
    assert reader._conn is None


def test_concurrent_threads_record_every_trial(store: RunStore) -> None:
    run_id = new_run(store)

    def work(worker: int) -> None:
        for i in range(25):
            store.record_trial(run_id, variant="v1", question_id=f"q{worker}", trial=i, correct=i % 2 == 0)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.finished_keys(run_id)) == 100


def test_another_process_holding_the_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    RunStore(path).list_runs()  # create it
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys, time; c = duckdb.connect({str(path)!r}); print('ok', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        with pytest.raises(WorkbenchError, match="in use by another process"):
            RunStore(path).list_runs()
    finally:
        holder.kill()
        holder.wait()


CHILD = textwrap.dedent(
    """
    import sys, time
    from workbench.store.runs import RunStore

    store = RunStore(sys.argv[1])
    run_id = sys.argv[2]
    for q in range(10):
        for trial in range(5):
            store.record_trial(run_id, variant="v1", question_id=f"q{q:02d}", trial=trial,
                               correct=trial % 2 == 0, spec={"calculations": [{"op": "COUNT"}]})
            print(f"{q} {trial}", flush=True)
            time.sleep(0.01)
    print("done", flush=True)
    time.sleep(60)
    """
)


def test_a_killed_run_keeps_its_trials_and_resumes_without_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    planned = {("v1", f"q{q:02d}", t) for q in range(10) for t in range(5)}
    with RunStore(path) as store:
        earlier = store.create_run(name="earlier", trials_per_question=1)
        store.add_variant(earlier, "v0")
        for q in range(3):
            store.record_trial(earlier, variant="v0", question_id=f"q{q}", trial=0, correct=True)
        store.finish_run(earlier)
        run_id = store.create_run(name="killed", trials_per_question=5)
        store.add_variant(run_id, "v1", hash="h")

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), run_id], stdout=subprocess.PIPE, text=True, env=env
    )
    reported = 0
    try:
        for _line in child.stdout:
            reported += 1
            if reported == 20:
                child.send_signal(signal.SIGKILL)  # no cleanup, no close: as if the machine died
                break
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL

    with RunStore(path) as store:
        done = store.finished_keys(run_id)
        assert len(done) >= 20  # every trial reported before the kill was committed
        assert done < planned
        earlier_run = store.load_run(earlier)
        assert earlier_run.summary.status == "finished" and len(earlier_run.trials) == 3
        assert store.list_runs()[0].status == "running"  # the killed run never finished

        # resume: only the missing trials are run
        skip = store.resume_run(run_id)
        assert skip == done
        for variant, q, t in sorted(planned - skip):
            assert store.record_trial(run_id, variant=variant, question_id=q, trial=t, correct=True)
        # recording a finished key again changes nothing
        assert not store.record_trial(run_id, variant="v1", question_id="q00", trial=0, correct=False)
        store.finish_run(run_id)

        counts = store.sql(
            "SELECT count(*) AS n, count(DISTINCT (variant, question_id, trial)) AS keys FROM trials WHERE run_id = ?",
            [run_id],
        )
        assert int(counts["n"][0]) == int(counts["keys"][0]) == 50
        assert store.finished_keys(run_id) == planned
        summary = store.list_runs()[0]
        assert summary.status == "finished" and summary.n_trials == 50


def test_json_fields_decode_together_like_one_by_one() -> None:
    import json

    from workbench.store import records

    values = ({"a": [1, 2.5, None, float("inf")]}, None, "x", [], {"a": {"b": True}, "é": "ü"}, 3, 1e16)
    texts = [records.dumps(v) for v in values]
    assert records.loads_many(texts) == [records.loads(t) for t in texts]
    assert records.loads_many(['{"a":  1}', "null"]) == [{"a": 1}, None]  # not dumps's text: one by one
    # texts that are not one JSON value each never shift their neighbours: decoded one by one, they fail
    with pytest.raises(json.JSONDecodeError):
        records.loads_many(["1,2", "[3", "4]"])


def test_a_run_loads_in_batches(monkeypatch: pytest.MonkeyPatch, store: RunStore) -> None:
    from workbench.store import records

    run_id = new_run(store)
    for i in range(7):
        store.record_trial(run_id, {"variant": "v1", "question_id": f"q{i}", "trial": 0, "correct": i % 2 == 0,
                                    "findings": [{"rule": "r", "n": i}], "spec": {"calculations": [{"op": "COUNT"}]}})  # fmt: skip
    whole = store.load_run(run_id).trials
    monkeypatch.setattr(records, "TRIALS_BATCH", 3)
    assert store.load_run(run_id).trials == whole
    assert [t["findings"] for t in whole] == [[{"rule": "r", "n": i}] for i in range(7)]
