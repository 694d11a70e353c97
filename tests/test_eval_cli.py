"""``workbench eval``, ``workbench runs`` and ``workbench compare``: output, JSON, exit codes, Ctrl-C."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.evaluation.run import DESIGN_METRICS, DESIGN_TRIAL, EvalRun
from workbench.store.runs import RunStore

REPO = Path(__file__).resolve().parents[1]
QUESTIONS = str(REPO / "questions" / "core.yaml")
HONEYCOMB = str(REPO / "prompts" / "honeycomb.yaml")
COMPACT = str(REPO / "prompts" / "compact.yaml")


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def _eval(capsys, data: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["eval", "--questions", QUESTIONS, "--data", str(data), "--no-cache", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def _run_ids(capsys) -> list[str]:
    assert main(["runs", "--json"]) == 0
    return [r["run_id"] for r in json.loads(capsys.readouterr().out)]


def test_eval_prints_the_table_and_writes_the_design_json(capsys, small_dataset_path, tmp_path) -> None:
    out_file = tmp_path / "out" / "eval.json"
    code, out, err = _eval(capsys, small_dataset_path, "--prompt", HONEYCOMB, "--prompt", COMPACT,
                           "--trials", "2", "--limit", "4", "--json", str(out_file))  # fmt: skip
    assert code == 0, err
    for label in ("accuracy [95% CI]", "pass@1", "pass^2", "valid rate", "tokens in (mean)",
                  "cost / 1k questions", "latency p50 / p95", "cache hits"):  # fmt: skip
        assert label in out
    assert "honeycomb" in out.splitlines()[2] and "compact" in out.splitlines()[2]
    assert "compact vs honeycomb:" in out and "sign test p=" in out
    data = json.loads(out_file.read_text())
    assert [v["name"] for v in data["variants"]] == ["honeycomb", "compact"]
    for v in data["variants"]:
        assert set(DESIGN_METRICS) <= set(v["metrics"]) and v["metrics"]["n_questions"] == 4
        assert len(v["results"]) == 4
        assert all(set(DESIGN_TRIAL) <= set(t) for r in v["results"] for t in r["trials"])
    # the file was streamed from the log: byte for byte the JSON of the whole run held in memory
    (run_id,) = _run_ids(capsys)
    full = EvalRun.from_run(RunStore().load_run(run_id))
    full.timings = data["timings"]
    assert out_file.read_text() == json.dumps(full.to_dict(), indent=2, default=str) + "\n"


def test_eval_json_to_stdout(capsys, small_dataset_path) -> None:
    code, out, _ = _eval(capsys, small_dataset_path, "--prompt", HONEYCOMB, "--limit", "2", "--json", "-")
    assert code == 0
    data = json.loads(out)
    assert data["variants"][0]["metrics"]["k"] == 1 and len(data["variants"][0]["results"]) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--questions", "nope.yaml", "--prompt", HONEYCOMB], "not found"),
        (["--questions", QUESTIONS, "--prompt", "prompts/nope.yaml"], "prompt variant not found"),
        (["--questions", QUESTIONS, "--prompt", HONEYCOMB, "--trials", "0"], "--trials must be at least 1"),
        (
            ["--questions", QUESTIONS, "--prompt", HONEYCOMB, "--trials", "2", "--k", "3"],
            "larger than --trials",
        ),
        (["--questions", QUESTIONS, "--prompt", HONEYCOMB, "--concurrency", "0"], "--concurrency"),
        (["--questions", QUESTIONS, "--prompt", HONEYCOMB, "--limit", "0"], "--limit"),
        (["--questions", QUESTIONS], "no prompt variant"),
        (["--prompt", HONEYCOMB], "no question set"),
        (["--questions", "BAD", "--prompt", HONEYCOMB], "missing key 'gold'"),
        (["--resume", "r-nope", "--prompt", HONEYCOMB], "no run"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, tmp_path, small_dataset_path, args, message) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("questions:\n  - id: q1\n    question: hi\n")  # no gold
    args = [str(bad) if a == "BAD" else a for a in args]
    code = main(["eval", "--data", str(small_dataset_path), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("workbench: error: ") and err.count("\n") == 1 and message in err
    assert "Traceback" not in err


def test_runs_list_show_and_compare(capsys, small_dataset_path) -> None:
    assert main(["runs"]) == 0
    assert "no runs yet" in capsys.readouterr().out
    assert _eval(capsys, small_dataset_path, "--prompt", HONEYCOMB, "--limit", "5", "--name", "base")[0] == 0
    assert _eval(capsys, small_dataset_path, "--prompt", HONEYCOMB, "--limit", "5",
                 "--model", "offline", "--trials", "2")[0] == 0  # fmt: skip
    newest, oldest = _run_ids(capsys)

    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    assert newest in out and oldest in out and "finished" in out and "5/5" in out and "10/10" in out

    assert main(["runs", "show", newest]) == 0
    out = capsys.readouterr().out
    assert newest in out and "pass^2" in out and "honeycomb" in out

    assert main(["runs", "show", newest, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["run_id"] == newest and set(DESIGN_METRICS) <= set(data["variants"][0]["metrics"])

    assert main(["compare", oldest, newest]) == 0
    out = capsys.readouterr().out
    assert "A: honeycomb" in out and "B: honeycomb" in out and "B right, A wrong" in out

    assert main(["compare", oldest, newest, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (pair,) = data["pairs"]
    assert (data["a"], data["b"]) == (oldest, newest)
    assert {"wins", "losses", "comparison"} <= set(pair)
    assert pair["comparison"]["n_questions"] == 5

    assert main(["compare", oldest, "r-nope"]) == 2
    assert "no run 'r-nope'" in capsys.readouterr().err


def test_compare_lists_per_question_wins_and_losses(capsys, small_dataset_path) -> None:
    assert _eval(capsys, small_dataset_path, "--prompt", COMPACT, "--limit", "30")[0] == 0
    (base,) = _run_ids(capsys)
    # the same variant with two columns many questions need compressed away
    text = (REPO / "prompts" / "compact.yaml").read_text()
    text = text.replace("  window_days: 7\n", "  window_days: 7\n  excluded: [http.route, app.platform]\n")
    assert "excluded:" in text
    other = Path(os.environ["WORKBENCH_HOME"]) / "compact.yaml"
    other.write_text(text)
    assert _eval(capsys, small_dataset_path, "--prompt", str(other), "--limit", "30")[0] == 0
    cand = next(r for r in _run_ids(capsys) if r != base)
    # same name, other content: not compared by default, and said so
    assert main(["compare", base, cand]) == 0
    out = capsys.readouterr().out
    assert "warning: variant 'compact' has other content in run B" in out and "--pair compact:compact" in out
    assert "not compared (run A only): compact" in out and "B right, A wrong" not in out
    assert main(["compare", base, cand, "--json", "--pair", "compact:compact"]) == 0
    data = json.loads(capsys.readouterr().out)
    (pair,) = data["pairs"]
    assert pair["same_content"] is False and data["not_compared"] == {"a": [], "b": []}
    assert pair["losses"], "the variant without http.route and app.platform loses some questions"
    assert main(["compare", base, cand, "--pair", "compact:compact"]) == 0
    out = capsys.readouterr().out
    assert f"A right, B wrong ({len(pair['losses'])}): {pair['losses'][0]} (1/1 -> 0/1)" in out


def test_ctrl_c_prints_the_run_and_how_to_resume(small_dataset_path, tmp_path) -> None:
    """SIGINT arrives after the 3rd recorded trial: exit 130, the run id, the resume command; resume works."""
    script = textwrap.dedent("""
        import os, signal, sys
        import workbench.evaluation.evaluate as ev
        real = ev.evaluate
        def evaluate(*args, **kwargs):
            done = []
            def interrupt(record):
                done.append(record)
                if len(done) == 3:
                    os.kill(os.getpid(), signal.SIGINT)
            return real(*args, on_trial=interrupt, **kwargs)
        ev.evaluate = evaluate
        from workbench.cli import main
        sys.exit(main(sys.argv[1:]))
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = ["eval", "--questions", QUESTIONS, "--limit", "20", "--prompt", HONEYCOMB, "--trials", "3",
            "--data", str(small_dataset_path), "--no-cache"]  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", script, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 130, proc.stderr[-2000:]
    (line,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("workbench: interrupted")]
    run_id = line.split(" of run ")[1].split(" ")[0]
    assert f"workbench eval --resume {run_id}" in line
    with RunStore() as store:
        (summary,) = store.list_runs()
        assert summary.run_id == run_id and summary.status == "cancelled"
        # trials are written in batches: the last batch before the interrupt may finish the run
        assert 3 <= summary.n_trials <= summary.expected_trials
    resumed = subprocess.run([sys.executable, "-m", "workbench", "eval", "--resume", run_id, "--no-cache"],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"{summary.expected_trials}/{summary.expected_trials} trials" in resumed.stdout


def test_compare_says_when_runs_are_not_on_the_same_data_or_questions(capsys, small_dataset_path) -> None:
    from dataclasses import replace

    from workbench.evaluation.run import EvalRun
    from workbench.evaluation.text import compare_runs

    assert _eval(capsys, small_dataset_path, "--prompt", COMPACT, "--limit", "3")[0] == 0
    (run_id,) = _run_ids(capsys)
    with RunStore() as store:
        a = EvalRun.from_run(store.load_run(run_id))
    text, _ = compare_runs(a, a)
    assert "note:" not in text
    other = replace(
        a, dataset={**a.dataset, "identity": "0123456789ab"}, question_set={**a.question_set, "hash": "x"}
    )
    text, _ = compare_runs(a, other)
    assert "different datasets" in text and "0123456789ab" in text and "different question sets" in text
