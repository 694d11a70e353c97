"""The shipped question sets: well-formed, valid, covering the issue's list, true to DESIGN.md's
conventions, and disjoint from every shipped few-shot example set."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from workbench.core.findings import has_errors
from workbench.evaluation.check import near_duplicate
from workbench.evaluation.conversations import load_questions
from workbench.evaluation.questions import Question, QuestionSet, load_question_set
from workbench.spec.query import parse_spec

REPO = Path(__file__).resolve().parents[1]
QUESTION_FILES = sorted((REPO / "questions").glob("*.yaml"))
EXAMPLE_FILES = sorted((REPO / "prompts" / "examples").glob("*.yaml"))
CORE = REPO / "questions" / "core.yaml"

NOW = 1795176000
DAY = 86400
TODAY = (NOW - 12 * 3600, NOW - 12 * 3600 + DAY)  # 2026-11-20 00:00 .. 2026-11-21 00:00 UTC
YESTERDAY = (TODAY[0] - DAY, TODAY[0])
WHOLE_WINDOW = 14 * DAY


def _sets() -> list[QuestionSet]:
    return [load_questions(p) for p in QUESTION_FILES]


def _all_specs(q: Question) -> list[tuple[str, dict[str, Any]]]:
    return [("gold", q.gold), *((f"accept[{i}]", s) for i, s in enumerate(q.accept))]


def test_there_is_a_core_set_of_at_least_60_questions() -> None:
    core = load_question_set(CORE)
    assert core.name == "core"
    assert len(core) >= 60
    assert all(q.tags for q in core), "every core question is tagged"


@pytest.mark.parametrize("path", QUESTION_FILES, ids=lambda p: p.name)
def test_every_gold_parses_and_passes_structural_validation(path: Path) -> None:
    qs = load_questions(path)
    for q in qs:
        for _label, spec in _all_specs(q):
            parse_spec(spec)  # raises on a bad shape
    problems = {
        qid: [str(f) for f in findings if f.severity == "error"]
        for qid, findings in qs.validate_against().items()
        if has_errors(findings)
    }
    assert problems == {}


def test_core_covers_the_issues_list() -> None:
    golds = [q.gold for q in load_question_set(CORE)]
    calc_ops = {c["op"] for g in golds for c in g.get("calculations", [])}
    assert {"COUNT", "AVG", "SUM", "MAX", "MIN", "COUNT_DISTINCT"} <= calc_ops
    assert {"P50", "P90", "P95", "P99", "P999"} <= calc_ops
    filter_ops = {f["op"] for g in golds for f in g.get("filters", [])}
    every_op = {"=", "!=", ">", ">=", "<", "<=", "starts-with", "does-not-start-with", "contains",
                "does-not-contain", "exists", "does-not-exist", "in", "not-in"}  # fmt: skip
    assert every_op <= filter_ops, every_op - filter_ops
    assert sum(g.get("filter_combination") == "OR" for g in golds) >= 3
    assert sum(bool(g.get("breakdowns")) for g in golds) >= 30
    assert sum(len(g.get("breakdowns", [])) > 1 for g in golds) >= 2
    assert sum("limit" in g and bool(g.get("orders")) for g in golds) >= 6
    assert sum(bool(g.get("havings")) for g in golds) >= 3
    assert sum("granularity" in g for g in golds) >= 6
    assert sum("start_time" in g for g in golds) >= 12
    assert sum("time_range" in g and g["time_range"] != WHOLE_WINDOW for g in golds) >= 20
    assert sum(g.get("time_range") == WHOLE_WINDOW for g in golds) >= 10
    assert sum(bool(q.accept) for q in load_question_set(CORE)) >= 5


# --------------------------------------------------------------------------- conventions

_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}
_UNITS = {"m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": DAY, "day": DAY, "week": 7 * DAY}
_RELATIVE = re.compile(r"\b(?:last|past)\s+(\d+|two|three)?\s*(minute|min|hour|day|week|h|d|m)s?\b")
_ABSOLUTE = re.compile(r"\b(?:yesterday|today|nov \d+|since|between)\b")


def _expected_window(text: str) -> tuple[str, Any] | None:
    """What DESIGN.md's conventions say the question's time is, when the text states it plainly."""
    text = text.lower()
    if "yesterday" in text:
        return ("absolute", YESTERDAY)
    if "today" in text:
        return ("absolute", TODAY)
    if "right now" in text:
        return ("time_range", 7200)
    m = _RELATIVE.search(text)
    if m:
        count = m.group(1)
        n = int(count) if count and count.isdigit() else _NUMBER_WORDS.get(count or "", 1)
        return ("time_range", n * _UNITS[m.group(2)])
    if _ABSOLUTE.search(text) or "this week" in text:
        return None  # absolute windows are checked by reading them; "this week" is ambiguous
    return ("time_range", WHOLE_WINDOW)


@pytest.mark.parametrize("q", list(load_question_set(CORE)), ids=lambda q: q.id)
def test_core_gold_follows_the_question_conventions(q: Question) -> None:
    gold, text = q.gold, q.question.lower()
    expected = _expected_window(text)
    if expected is not None:
        kind, value = expected
        if kind == "absolute":
            assert (gold.get("start_time"), gold.get("end_time")) == value
            assert "time_range" not in gold
        else:
            assert gold.get("time_range") == value
            assert "start_time" not in gold and "end_time" not in gold
    if "slowest" in text:
        calc = gold["calculations"][0]
        assert (calc["op"], calc["column"]) == ("P99", "duration_ms")
        assert gold["orders"][0] == {"op": "P99", "column": "duration_ms", "order": "descending"}
    m = re.search(r"\btop (\d+)\b|\bthe (\d+) most\b|^(\d+) fastest", text)
    if m:
        assert gold.get("limit") == int(next(g for g in m.groups() if g)) and gold.get("orders")
    if re.search(r"\berror|\bfail|\bthrew|\berroring", text) and "no exception" not in text:
        errorish = {(f["column"], f["op"], str(f.get("value"))) for f in gold.get("filters", [])}
        assert (
            ("error", "=", "True") in errorish
            or ("http.response.status_code", ">=", "500") in errorish
            or ("exception.type" in {c for c, _, _ in errorish})
        )
    if "5xx" in text:
        assert {"column": "http.response.status_code", "op": ">=", "value": 500} in gold["filters"]
    if "4xx" in text:
        assert {"column": "http.response.status_code", "op": ">=", "value": 400} in gold["filters"]
        assert {"column": "http.response.status_code", "op": "<", "value": 500} in gold["filters"]
    if re.search(r"\bper (hour|minute)\b|\bhourly\b|\bdaily\b|\bevery \d+ minutes\b", text):
        assert "granularity" in gold
    if re.search(r"\busers\b", text) and re.search(r"\bhow many|unique|distinct\b", text):
        assert {"op": "COUNT_DISTINCT", "column": "user.id"} in gold["calculations"]
    if re.search(r"\btraces?\b", text) and "trace_id" not in str(gold.get("calculations")):
        assert {"column": "trace.parent_id", "op": "does-not-exist"} in gold.get("filters", [])


# --------------------------------------------------------------------------- no leak into few-shot examples


def _example_questions() -> list[tuple[str, str]]:
    out = []
    for path in EXAMPLE_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        items = data.get("examples", []) if isinstance(data, dict) else data
        out.extend(
            (path.name, item["question"]) for item in items if isinstance(item, dict) and "question" in item
        )
    return out


def test_no_question_appears_in_a_few_shot_example_set() -> None:
    examples = _example_questions()
    leaks = [
        f"{qs.name}:{q.id} {q.question!r} ~ {file}: {ex!r} (jaccard {j:.2f}, ratio {r:.2f})"
        for qs in _sets()
        for q in qs
        for file, ex in examples
        for near, j, r in [near_duplicate(q.question, ex)]
        if near
    ]
    assert leaks == []


# --------------------------------------------------------------------------- running the golds


@pytest.mark.slow
def test_every_core_spec_is_semantically_valid_and_runs(small_dataset: Any, small_schema: Any) -> None:
    from workbench.sql.execute import run_query

    qs = load_question_set(CORE)
    findings = qs.validate_against(small_schema)
    errors = {
        qid: [str(f) for f in fs if f.severity == "error"] for qid, fs in findings.items() if has_errors(fs)
    }
    assert errors == {}
    for q in qs:
        for label, spec in _all_specs(q):
            result = run_query(small_dataset, spec)
            assert result.columns, f"{q.id} {label}"
