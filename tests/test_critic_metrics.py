"""The critic's eval measures: recall on wrong trials, false alarms on correct ones, confidence AUROC."""

from __future__ import annotations

import pytest

from workbench.evaluation.critic_metrics import confidence_auroc, critic_rate
from workbench.evaluation.metrics import summarize

WARN = {"code": "critic_time", "severity": "warning"}
OTHER = {"code": "high_cardinality_breakdown", "severity": "warning"}


def _trial(qid: str, n: int, outcome: str, value: int, findings=()) -> dict:
    return {
        "question_id": qid,
        "trial": n,
        "outcome": outcome,
        "correct": outcome == "correct",
        "valid": True,
        "semantic_valid": True,
        "spec": {"calculations": [{"op": "COUNT"}]},
        "result": {"columns": ["COUNT"], "rows": [[value]]},
        "findings": list(findings),
    }


def test_recall_and_false_alarm_count_only_critic_findings() -> None:
    trials = [
        _trial("a", 0, "wrong", 1, [WARN]),
        _trial("b", 0, "wrong", 1, [OTHER]),
        _trial("c", 0, "correct", 1, [WARN]),
        _trial("d", 0, "correct", 1),
        _trial("e", 0, "correct", 1, [{"code": "question_value_unused"}]),
        _trial("f", 0, "rejected", 1, [WARN]),
    ]
    assert critic_rate(trials, "wrong") == pytest.approx(1 / 2)
    assert critic_rate(trials, "correct") == pytest.approx(2 / 3)
    assert critic_rate([_trial("a", 0, "correct", 1)], "wrong") is None
    metrics = summarize(trials)
    assert (metrics.critic_recall, metrics.critic_false_alarm) == (pytest.approx(0.5), pytest.approx(2 / 3))
    assert metrics.to_dict()["critic_recall"] == pytest.approx(0.5)


def test_agreement_among_trials_ranks_correct_ones_higher() -> None:
    # question a: two trials agree (correct), one disagrees (wrong); question b: the reverse shape
    trials = [
        _trial("a", 0, "correct", 5),
        _trial("a", 1, "correct", 5),
        _trial("a", 2, "wrong", 7),
        _trial("b", 0, "wrong", 1),
        _trial("b", 1, "wrong", 1),
        _trial("b", 2, "correct", 2),
    ]
    # confidences: a -> 2/3, 2/3, 1/3 ; b -> 2/3, 2/3, 1/3 ; correct ones: 2/3, 2/3, 1/3 vs wrong: 1/3, 2/3, 2/3
    assert confidence_auroc(trials) == pytest.approx(0.5)
    agreeing_is_right = [
        *trials[:3],
        _trial("b", 0, "correct", 1),
        _trial("b", 1, "correct", 1),
        _trial("b", 2, "wrong", 2),
    ]
    assert confidence_auroc(agreeing_is_right) == pytest.approx(1.0)
    assert confidence_auroc([_trial("a", 0, "correct", 1), _trial("b", 0, "wrong", 1)]) is None
    identical = [_trial("a", n, "correct", 1) for n in range(3)] + [
        _trial("b", n, "wrong", 2) for n in range(3)
    ]
    assert confidence_auroc(identical) is None  # temperature 0: every trial agrees, nothing to rank


def test_repairs_for_warnings_are_measured_apart_from_repairs_of_invalid_answers() -> None:
    from workbench.evaluation.critic_metrics import warning_repairs

    def repaired(qid: str, outcome: str, first_severity: str) -> dict:
        first = {"findings": [{"code": "x", "severity": first_severity}]}
        return {**_trial(qid, 0, outcome, 1), "repaired": True, "extra": {"attempt_records": [first, {}]}}

    trials = [
        repaired("a", "correct", "warning"),  # the critic's warning sent back: fixed
        repaired("b", "wrong", "warning"),  # sent back, still wrong
        repaired("c", "correct", "error"),  # an invalid answer repaired: the other measure
        _trial("d", 0, "correct", 1),
    ]
    assert warning_repairs(trials) == (2, pytest.approx(0.5))
    metrics = summarize(trials)
    assert (metrics.warning_repairs, metrics.warning_repair_success) == (2, pytest.approx(0.5))
    assert warning_repairs(trials[2:]) == (0, None)
