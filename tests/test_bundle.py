"""Experiment bundles: export runs to one file, open them elsewhere with the same metrics, import them."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from _run_records import QUESTIONS, record_run

from workbench.cli import main
from workbench.evaluation.metrics import QuestionCounts
from workbench.evaluation.run import EvalRun
from workbench.export.bundle import BUNDLE_VERSION, BundleError, export_bundle, import_bundle, load_bundle
from workbench.prompt.variant import variant_from_yaml
from workbench.store.runs import RunStore


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Path, str]:
    store = tmp_path / "origin" / "runs.duckdb"
    return store, record_run(store)


def _metrics(run) -> dict[str, dict]:
    return {v.name: v.metrics.to_dict() for v in EvalRun.from_run(run).variants}


def _elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Another machine: a fresh home, and the original log out of reach."""
    home = tmp_path / "elsewhere"
    home.mkdir()
    monkeypatch.setenv("WORKBENCH_HOME", str(home))
    monkeypatch.chdir(home)
    return home


def test_round_trip_keeps_every_record_and_metric(recorded, tmp_path: Path, monkeypatch) -> None:
    store, run_id = recorded
    original = RunStore(store).load_run(run_id)
    path = export_bundle([run_id], tmp_path / "share" / "exp.wbundle", store=store)
    _elsewhere(tmp_path, monkeypatch)
    (store.parent).rename(tmp_path / "gone")  # nothing may be read from the original log
    bundle = load_bundle(path)
    (run,) = bundle.runs
    assert run.run_id == run_id and run.summary == original.summary
    assert run.variants == original.variants and run.questions == original.questions
    assert run.trials == original.trials
    assert _metrics(run) == _metrics(original)
    # the variants and the question set travel as files a colleague can use
    assert {variant_from_yaml(text).name for text in bundle.variants.values()} == {"naive", "compact"}
    (qs,) = bundle.question_sets.values()
    assert qs.hash == QUESTIONS.hash and [q.id for q in qs] == ["q1", "q2", "q3"]


def test_open_prints_metrics_side_by_side_and_imports(recorded, tmp_path: Path, monkeypatch, capsys) -> None:
    store, run_id = recorded
    path = export_bundle([run_id], tmp_path / "exp.wbundle", store=store)
    want = _metrics(RunStore(store).load_run(run_id))
    home = _elsewhere(tmp_path, monkeypatch)

    assert main(["open", str(path)]) == 0
    text = capsys.readouterr().out
    assert run_id in text and "naive" in text and "compact" in text
    assert (
        f"{100 * want['compact']['accuracy']:.1f}%" in text
        and f"{100 * want['naive']['accuracy']:.1f}%" in text
    )
    assert not (home / "runs").exists()  # opening alone writes nothing

    assert main(["open", str(path), "--json"]) == 0
    (shown,) = json.loads(capsys.readouterr().out)["runs"]
    assert shown["run_id"] == run_id
    assert {v["name"]: v["metrics"] for v in shown["variants"]} == json.loads(json.dumps(want))

    assert main(["open", str(path), "--import"]) == 0
    assert "imported as" in capsys.readouterr().out
    (summary,) = RunStore().list_runs()
    assert summary.settings["imported_from"]["run_id"] == run_id
    assert _metrics(RunStore().load_run(summary.run_id)) == want
    assert main(["open", str(path), "--import"]) == 0  # twice: nothing new
    assert "already in the log" in capsys.readouterr().out
    assert len(RunStore().list_runs()) == 1


def test_several_runs_in_one_bundle(recorded, tmp_path: Path) -> None:
    store, first = recorded
    second = record_run(store, name="compact only", variants=("compact",))
    path = tmp_path / "two.wbundle"
    unique = next(second[:i] for i in range(1, len(second) + 1) if not first.startswith(second[:i]))
    assert main(["export", "--run", first, "--run", unique, "--out", str(path), "--store", str(store)]) == 0
    bundle = load_bundle(path)
    assert bundle.run_ids == [first, second]
    assert len(bundle.question_sets) == 1  # shared question set stored once
    assert len(bundle.variants) == 2  # the same compact variant in both runs: stored once
    assert bundle.run(unique).summary.name == "compact only"
    imported = import_bundle(path, tmp_path / "other.duckdb")
    assert [i.imported for i in imported] == [True, True]
    back_home = import_bundle(path, store)  # the log they came from has them already
    assert [(i.run_id, i.imported) for i in back_home] == [(first, False), (second, False)]


def test_widgets_read_bundled_runs(recorded, tmp_path: Path) -> None:
    from workbench.widgets.dashboard import RunView

    store, run_id = recorded
    (run,) = load_bundle(export_bundle([run_id], tmp_path / "b.wbundle", store=store)).runs
    view = RunView.from_log(run)  # what Dashboard.show does with a runs.Run
    assert view.counts()[("q3", "compact")] == QuestionCounts(trials=3, correct=2)
    assert view.metrics["naive"].accuracy == pytest.approx(5 / 9)


def test_bundle_of_a_real_eval(small_dataset, tmp_path: Path, monkeypatch) -> None:
    from workbench.evaluation.evaluate import evaluate
    from workbench.evaluation.questions import load_question_set

    questions = load_question_set(Path(__file__).resolve().parents[1] / "questions" / "core.yaml")
    store = tmp_path / "runs.duckdb"
    result = evaluate(questions.select(ids=["q001", "q002", "q004"]), ["naive", "compact"], dataset=small_dataset,
                      trials=2, store=store, cache=None)  # fmt: skip
    want = _metrics(RunStore(store).load_run(result.run_id))
    path = export_bundle([result.run_id], tmp_path / "eval.wbundle", store=store)
    _elsewhere(tmp_path, monkeypatch)
    (run,) = load_bundle(path).runs
    assert _metrics(run) == want
    assert {v.name: v.metrics.accuracy for v in result.variants} == {
        k: m["accuracy"] for k, m in want.items()
    }


# --------------------------------------------------------------------------- refusals


def _rewrite(path: Path, target: Path, change) -> Path:
    with zipfile.ZipFile(path) as src:
        members = {n: src.read(n) for n in src.namelist()}
    change(members)
    with zipfile.ZipFile(target, "w") as dst:
        for name, data in members.items():
            dst.writestr(name, data)
    return target


def test_bad_bundles_are_refused(recorded, tmp_path: Path) -> None:
    store, run_id = recorded
    path = export_bundle([run_id], tmp_path / "exp.wbundle", store=store)

    def edit_trial(m):
        name = f"runs/{run_id}.json"
        m[name] = m[name].replace(b'"correct": false', b'"correct": true')

    def newer(m):
        manifest = json.loads(m["bundle.json"])
        manifest["format_version"] = BUNDLE_VERSION + 1
        m["bundle.json"] = json.dumps(manifest).encode()

    with pytest.raises(BundleError, match="bundle was edited or corrupted"):
        load_bundle(_rewrite(path, tmp_path / "edited.wbundle", edit_trial))
    with pytest.raises(BundleError, match=f"format version {BUNDLE_VERSION + 1}, newer than"):
        load_bundle(_rewrite(path, tmp_path / "newer.wbundle", newer))
    with pytest.raises(BundleError, match=r"no bundle\.json"):
        load_bundle(_rewrite(path, tmp_path / "bare.wbundle", lambda m: m.pop("bundle.json")))
    (tmp_path / "text.wbundle").write_text("hello", encoding="utf-8")
    with pytest.raises(BundleError, match="not a zip file"):
        load_bundle(tmp_path / "text.wbundle")


def test_export_needs_runs_from_a_log(tmp_path: Path, capsys) -> None:
    assert (
        main(
            [
                "export",
                "--run",
                "r1",
                "--out",
                str(tmp_path / "x.wbundle"),
                "--store",
                str(tmp_path / "no.duckdb"),
            ]
        )
        == 2
    )
    assert "no experiment log" in capsys.readouterr().err
