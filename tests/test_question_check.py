"""Checking a question set: failing and empty golds, leaks into example sets, near-duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.evaluation.check import check_question_set, load_offline_cases, near_duplicate
from workbench.evaluation.questions import QuestionSet
from workbench.prompt.examples import Example, ExampleSet

REPO = Path(__file__).resolve().parents[1]
COUNT = {"calculations": [{"op": "COUNT"}], "time_range": 1209600}


def test_near_duplicates() -> None:
    assert near_duplicate(
        "Slow endpoints for Android users, yesterday?", "slow endpoints for android users yesterday"
    )[0]
    assert near_duplicate(
        "which services threw the most errors in the last 6 hours",
        "which services threw the most errors in the last 5 hours",
    )[0]
    assert not near_duplicate(
        "p95 checkout latency by payment provider", "how many distinct users hit a 5xx"
    )[0]


def _set() -> QuestionSet:
    return QuestionSet.from_dict({"name": "t", "questions": [
        {"id": "ok", "question": "errors per service", "gold": {**COUNT, "breakdowns": ["service.name"],
                                                                "filters": [{"column": "error", "op": "=", "value": True}]}},
        {"id": "leak", "question": "How many spans per service?", "gold": {**COUNT, "breakdowns": ["service.name"]}},
        {"id": "empty", "question": "spans slower than a day", "gold": {**COUNT, "filters": [
            {"column": "duration_ms", "op": ">", "value": 86_400_000}]}},
        {"id": "unknown", "question": "count by browser", "gold": {**COUNT, "breakdowns": ["browser"]}},
        {"id": "twin", "question": "Errors per service?", "gold": COUNT,
         "accept": [{**COUNT, "breakdowns": ["service.name"]}]},
    ]})  # fmt: skip


def test_findings_per_question(small_dataset) -> None:
    examples = ExampleSet(name="mine", examples=(Example("how many spans per service", COUNT),))
    report = check_question_set(_set(), small_dataset, [examples])
    codes = {q.id: [f.code for f in q.findings] for q in report.questions}
    assert codes["ok"] == []
    assert codes["leak"] == ["example_leak"]
    assert codes["empty"] == ["empty_gold"]  # COUNT 0: any query that matches nothing would "pass"
    assert "unknown_column" in codes["unknown"]
    assert codes["twin"] == ["near_duplicate"]  # of "ok"
    by_id = {q.id: q for q in report.questions}
    assert by_id["ok"].gold_rows and by_id["unknown"].gold_rows is None  # an invalid gold is not run
    assert report.errors == 2 and report.warnings == 2
    assert report.dataset == small_dataset.identity and report.example_sets == ("mine",)


def test_the_shipped_set_passes(small_dataset) -> None:
    from workbench.evaluation.questions import load_question_set
    from workbench.prompt.examples import available_example_sets, load_example_set

    qs = load_question_set(REPO / "questions" / "core.yaml")
    report = check_question_set(qs, small_dataset, [load_example_set(n) for n in available_example_sets()])
    # every gold validates and runs, and no question leaks into an example set (empty golds are
    # warnings that depend on the data: this small test dataset has few events in narrow windows)
    assert report.errors == 0, [(q.id, [str(f) for f in q.findings]) for q in report.questions if not q.ok]


def test_cli_exit_codes_and_json(
    tmp_path, capsys, small_dataset_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    args = ["questions", "check", "--data", str(small_dataset_path)]
    assert main([*args, "core", "--no-run"]) == 0
    assert "core: 78 questions, 0 error(s)" in capsys.readouterr().out
    path = tmp_path / "mine.yaml"
    path.write_text(_set().to_yaml())
    assert main([*args, str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] >= 1 and {q["id"] for q in data["questions"] if q["findings"]} >= {
        "unknown",
        "empty",
    }
    assert main([*args, str(tmp_path / "nope.yaml")]) == 2
    assert "question set not found" in capsys.readouterr().err


def test_a_question_the_offline_model_was_tested_on_is_an_error() -> None:
    from workbench.evaluation.questions import load_question_set

    shipped = load_question_set(REPO / "questions" / "core.yaml")
    cases = load_offline_cases()
    assert len(cases) >= 30
    report = check_question_set(shipped, None, [], run=False, model_cases=cases)
    assert not [f for q in report.questions for f in q.findings if f.code == "offline_case_leak"]
    first = next(iter(shipped))
    leaked = check_question_set(shipped, None, [], run=False, model_cases=[*cases, first.question.upper()])
    codes = {q.id: [f.code for f in q.findings] for q in leaked.questions}
    assert "offline_case_leak" in codes[first.id]
    assert sum("offline_case_leak" in c for c in codes.values()) == 1
