"""The one set of number formatters, the one YAML writer and the per-question counts."""

from __future__ import annotations

import pytest
import yaml

from workbench.core import format as fmt
from workbench.core.yamlio import dump_yaml
from workbench.evaluation.metrics import QuestionCounts, counts_by_question


@pytest.mark.parametrize(
    ("usd", "text"),
    [
        (None, "n/a"),  # no price data: never $0
        (0, "$0"),
        (0.00045, "$0.000450"),
        (0.018, "$0.0180"),
        (0.5, "$0.5000"),
        (12.5, "$12.50"),
        (12345.678, "$12,345.68"),
    ],
)
def test_money(usd: float | None, text: str) -> None:
    assert fmt.money(usd) == text


def test_percent_interval_latency_and_counts() -> None:
    assert fmt.pct(0.5556) == "55.6%" and fmt.pct(None) == "–" and fmt.pct(None, missing="-") == "-"
    assert fmt.pct(1 / 3, digits=0) == "33%"
    assert fmt.ci((0.25, 0.8)) == "[25.0, 80.0]" and fmt.ci((0.25, 0.8), digits=0) == "[25, 80]"
    assert fmt.signed_ci((-0.017, 0.15)) == "[-1.7, +15.0]"
    assert fmt.ms(1234.5) == "1,234 ms" and fmt.ms(0.25) == "0.2 ms" and fmt.ms(15, unit=False) == "15"
    assert fmt.ms(None, missing="n/a") == "n/a"
    assert fmt.count(12345.6) == "12,346" and fmt.count(None) == "–"


def test_counts_by_question_is_one_named_shape() -> None:
    trials = [
        {"question_id": "q1", "correct": True},
        {"question_id": "q1", "correct": False},
        {"question_id": "q2", "correct": None},
    ]
    counts = counts_by_question(trials)
    assert counts == {"q1": QuestionCounts(trials=2, correct=1), "q2": QuestionCounts(trials=1, correct=0)}
    assert counts["q1"].correct == 1 and counts["q1"].trials == 2


def test_one_yaml_writer_with_flow_for_chosen_values() -> None:
    data = {"name": "set", "text": "two\nlines", "questions": [{"question": "q", "gold": {"a": [1, 2]}}]}
    block = dump_yaml(data)
    assert "text: |" in block and "gold:\n" in block
    assert yaml.safe_load(block) == data
    one_line = dump_yaml(data, flow=lambda v: isinstance(v, dict) and "question" not in v and "name" not in v)
    assert "gold: {a: [1, 2]}" in one_line
    assert yaml.safe_load(one_line) == data
