from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.errors import ConfigError
from workbench.evaluation.questions import (
    Question,
    QuestionSet,
    ensure_question_set,
    load_question_set,
    save_question_set,
)

GOOD = """\
# a comment
name: tiny
questions:
  - id: q1
    question: errors by service in the last hour
    gold: {calculations: [{op: COUNT}], filters: [{column: error, op: "=", value: true}], breakdowns: [service.name], time_range: 3600}
    tags: [errors, count]
  - id: q2
    question: "p99 latency for android"
    gold:
      calculations: [{op: P99, column: duration_ms}]
      filters: [{column: app.platform, op: "=", value: android}]
    accept:
      - {calculations: [{op: P99, column: duration_ms}], filters: [{column: app.platform, op: in, value: [android]}]}
    tags: latency
"""


def write(tmp_path: Path, text: str, name: str = "set.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_a_question_set(tmp_path: Path) -> None:
    qs = load_question_set(write(tmp_path, GOOD))
    assert qs.name == "tiny"
    assert len(qs) == 2 and qs.ids == ["q1", "q2"]
    q1, q2 = qs
    assert isinstance(q1, Question)
    assert q1.gold["time_range"] == 3600
    assert q1.accept == [] and q1.tags == ("errors", "count")
    assert q2.tags == ("latency",)  # a single tag may be written as a string
    assert q2.specs == [q2.gold, *q2.accept]
    assert q1.gold_columns == {"error", "service.name"}
    assert q2.gold_columns == {"duration_ms", "app.platform"}
    assert qs["q2"] is q2
    assert qs.tags == {"q1": ("errors", "count"), "q2": ("latency",)}
    with pytest.raises(KeyError):
        qs["nope"]


def test_name_defaults_to_the_file_name(tmp_path: Path) -> None:
    qs = load_question_set(write(tmp_path, GOOD.replace("name: tiny\n", ""), "smoke.yaml"))
    assert qs.name == "smoke"


def test_hash_follows_content_not_formatting(tmp_path: Path) -> None:
    a = load_question_set(write(tmp_path, GOOD, "a.yaml"))
    b = load_question_set(
        write(
            tmp_path,
            "# another comment\n" + GOOD.replace('"p99', "p99").replace('android"', "android"),
            "b.yaml",
        )
    )
    c = load_question_set(write(tmp_path, GOOD.replace("3600", "7200"), "c.yaml"))
    assert len(a.hash) == 16
    assert a.hash == b.hash
    assert a.hash != c.hash


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    qs = load_question_set(write(tmp_path, GOOD))
    out = save_question_set(qs, tmp_path / "out" / "copy.yaml")
    again = load_question_set(out)
    assert again.to_dict() == qs.to_dict()
    assert again.hash == qs.hash
    text = out.read_text()
    assert "gold: {calculations: [{op: COUNT}]" in text  # specs stay one line each
    assert "- id: q1" in text


def test_select_and_ensure(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    qs = ensure_question_set(path)
    assert ensure_question_set(qs) is qs
    assert qs.select(tags=["latency"]).ids == ["q2"]
    assert qs.select(ids=["q2", "q1"]).ids == ["q1", "q2"]
    assert qs.select(ids=["q1"], tags=["latency"]).ids == []
    with pytest.raises(ConfigError, match="no question 'q9'"):
        qs.select(ids=["q9"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("questions: []\n", "'questions' must be a non-empty list"),
        ("- just a list\n", "expected a mapping with a 'questions' list"),
        ("questoins: []\n", "questoins: unknown key (did you mean 'questions'?)"),
        ("questions:\n  - id: q1\n    question: hi\n", "question 'q1': missing key 'gold'"),
        ("questions:\n  - question: hi\n    gold: {}\n", "questions[0]: missing key 'id'"),
        ("questions:\n  - id: q1\n    gold: {}\n", "question 'q1': missing key 'question'"),
        (
            "questions:\n  - id: q1\n    question: hi\n    gold: [1]\n",
            "question 'q1': key 'gold' must be a query spec object",
        ),
        (
            "questions:\n  - id: q1\n    question: hi\n    gold: COUNT\n",
            "key 'gold' must be a query spec object, got str",
        ),
        (
            "questions:\n  - id: q1\n    question: hi\n    gold: {calculations: [{column: x}]}\n",
            "question 'q1': key 'gold': calculations.0.op",
        ),
        (
            "questions:\n  - id: q1\n    question: hi\n    gold: {}\n    accept: {}\n",
            "question 'q1': key 'accept' must be a list",
        ),
        (
            "questions:\n  - id: q1\n    question: hi\n    gold: {}\n    accept: [7]\n",
            "question 'q1': key 'accept[0]' must be a query spec object",
        ),
        (
            "questions:\n  - id: q1\n    question: hi\n    gold: {}\n    golds: {}\n",
            "question 'q1': golds: unknown key (did you mean 'gold'?)",
        ),
        (
            "questions:\n  - id: q1\n    question: hi\n    gold: {}\n    tags: [1]\n",
            "key 'tags' must be a list of strings",
        ),
        ("questions:\n  - id: [q1]\n    question: hi\n    gold: {}\n", "key 'id' must be a string"),
        (
            "questions:\n  - {id: q1, question: a, gold: {}}\n  - {id: q1, question: b, gold: {}}\n",
            "duplicate question id 'q1'",
        ),
        ("questions: [\n", "YAML syntax error at line"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_question_set(path)
    msg = str(info.value)
    assert message in msg
    assert "\n" not in msg
    assert "set.yaml" in msg  # the file is named


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="question set not found"):
        load_question_set(tmp_path / "nope.yaml")


def test_integer_ids_are_read_as_strings(tmp_path: Path) -> None:
    qs = load_question_set(write(tmp_path, "questions:\n  - {id: 7, question: a, gold: {}}\n"))
    assert qs.ids == ["7"]


def test_duplicate_ids_are_rejected_when_built_in_code() -> None:
    q = Question(id="a", question="x", gold={})
    with pytest.raises(ConfigError, match="duplicate question id 'a'"):
        QuestionSet(name="s", questions=(q, q))


def test_validate_against_reports_findings_per_question(tmp_path: Path) -> None:
    text = GOOD + (
        "  - id: q3\n    question: bad one\n"
        "    gold: {calculations: [{op: AVG}], time_range: 3600}\n"
        "    accept: [{orders: [{op: P99, column: duration_ms}]}]\n"
    )
    findings = load_question_set(write(tmp_path, text)).validate_against()
    assert findings["q1"] == [] and findings["q2"] == []
    paths = [f.path for f in findings["q3"] if f.severity == "error"]
    assert any(p.startswith("gold") for p in paths)
    assert any(p.startswith("accept[0]") for p in paths)
