"""Snapshot tests: the rendered report of a small fixed run and one notebook preview, against golden files.

A change to a template, a formatter or the chart geometry shows as a diff of
``tests/golden/*.html``. When the change is intended, rewrite the files and review the
diff before committing:

    UPDATE_GOLDEN=1 PYTHONPATH=$PWD python3 -m pytest -q tests/test_golden.py

The input is built here (no experiment log, no clock): fixed run ids and timestamps, a
fixed variant text, and the footer's generation time passed in. The workbench version in
the footer is the one volatile value and is normalised.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _run_records import BAD_FINDING, BAD_SPEC, CORRECT, QUESTIONS
from test_render import prompt

from workbench.report.html import render_report
from workbench.store.runs import Run, RunSummary

GOLDEN = Path(__file__).parent / "golden"
AT = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
#: a critic warning on the wrong trials of one variant: its critic recall is 100%, the other's 0%
CRITIC_FINDING = {
    "severity": "warning", "code": "critic_time", "path": "time_range",
    "message": "the question asks for today, the query covers the default window (last 2 hours)",
    "suggestion": "start_time: 1795132800, end_time: 1795219200",
}  # fmt: skip
VARIANT_TEXT = "name: {name}\nmodel: offline\noutput_mode: tool_call\ninstructions: |\n  Turn the question into a query.\n"


def _trial(run_id: str, v: str, qi: int, qid: str, trial: int, correct: bool, gold: dict) -> dict:
    failed_to_answer = not correct and trial == 2  # one answer that was no query at all
    return {
        "run_id": run_id, "variant": v, "question_id": qid, "trial": trial,
        "raw_output": "I cannot answer that." if failed_to_answer else None,
        "spec": None if failed_to_answer else gold if correct else BAD_SPEC,
        "findings": [] if correct else [BAD_FINDING, *([CRITIC_FINDING] if v == "compact" else [])],
        "sql": None if failed_to_answer else f'SELECT COUNT(*) FROM "events" -- {v} {qid} {trial}',
        "result": {"columns": ["COUNT"], "rows": [[qi + trial]], "row_count": 1, "truncated": False},
        "diff": None if correct else {"filters": True, "calculations": False, "details": ["x"]},
        "correct": correct, "outcome": "correct" if correct else "invalid" if failed_to_answer else "wrong",
        "valid": not failed_to_answer, "semantic_valid": correct, "repaired": trial == 1,
        "tokens_in": 1000 + 100 * qi + (5000 if v == "naive" else 0), "tokens_out": 40 + trial,
        "cached_tokens": None, "latency_ms": 100.0 + 10 * qi + trial + (50 if v == "naive" else 0),
        "cost_usd": 0.001 * (qi + 1) * (3 if v == "naive" else 1), "cache_hit": trial == 0 and qi == 0,
        "error": "model gave no tool call" if failed_to_answer else None,
        "started_at": AT, "finished_at": AT, "recorded_at": AT,
    }  # fmt: skip


def fixed_run(run_id: str = "r20261124-0800-gold", variants: tuple[str, ...] = ("naive", "compact")) -> Run:
    """The run of ``_run_records`` (3 questions x 3 trials per variant), built in memory with fixed values."""
    trials = [
        _trial(run_id, v, qi, q.id, trial, correct, q.gold)
        for v in variants
        for qi, q in enumerate(QUESTIONS)
        for trial, correct in enumerate(CORRECT[(v, q.id)])
    ]
    summary = RunSummary(
        run_id=run_id, name="golden run", created_at=AT, status="finished", updated_at=AT,
        question_set_name="mini", question_set_hash="a99386eab2838f4c", question_set_path=None,
        n_questions=len(QUESTIONS), dataset_identity="test-dataset", dataset_path=None, trials_per_question=3,
        variants=variants, n_trials=len(trials), n_correct=sum(t["correct"] for t in trials), settings={},
    )  # fmt: skip
    records = [
        {"run_id": run_id, "variant": v, "variant_hash": f"{i}" * 16, "variant_text": VARIANT_TEXT.format(name=v),
         "model": "offline", "params": {"temperature": 0.0}, "added_at": AT}
        for i, v in enumerate(variants)
    ]  # fmt: skip
    questions = [
        {"run_id": run_id, "question_id": q.id, "position": i, "question": q.question, "gold": q.gold,
         "accept": list(q.accept), "tags": list(q.tags)}
        for i, q in enumerate(QUESTIONS)
    ]  # fmt: skip
    return Run(summary=summary, variants=records, questions=questions, trials=trials)


def _normalise(page: str) -> str:
    return re.sub(r"Query Workbench \S+ on", "Query Workbench VERSION on", page)


def check_golden(name: str, actual: str) -> None:
    """Compare with ``tests/golden/<name>``; ``UPDATE_GOLDEN=1`` rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"no golden file {path}: run with UPDATE_GOLDEN=1 and review it", pytrace=False)
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{name} differs from its golden file (UPDATE_GOLDEN=1 rewrites it after review)"
    )


def test_report_of_one_run_matches_its_golden_file() -> None:
    page = render_report([fixed_run()], generated_at=AT)
    check_golden("report_one_run.html", _normalise(page))


def test_report_comparing_two_runs_matches_its_golden_file() -> None:
    runs = [fixed_run(), fixed_run("r20261125-0800-gold", ("compact",))]
    page = render_report(runs, title="before & after", generated_at=AT)
    check_golden("report_two_runs.html", _normalise(page))


def test_rendered_prompt_preview_matches_its_golden_file() -> None:
    rendered = prompt(examples={"selection": "nearest", "k": 2}).render("errors <by> service")
    check_golden("rendered_prompt.html", rendered._repr_html_())


def test_prompt_preview_matches_its_golden_file() -> None:
    check_golden("prompt.html", prompt()._repr_html_())
