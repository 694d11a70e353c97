from __future__ import annotations

from typing import Any

import pytest

from workbench.evaluation.metrics import (
    by_tag,
    cluster_bootstrap_interval,
    counts_by_question,
    paired_comparison,
    pass_at_k,
    pass_hat_k,
    percentile,
    sign_test,
    summarize,
    wilson_interval,
)


def table(spec: dict[str, list[bool]], **extra: Any) -> list[dict[str, Any]]:
    """Trials from ``{question_id: [correct, ...]}``."""
    return [
        {"question_id": q, "trial": i, "correct": c, **extra}
        for q, marks in spec.items()
        for i, c in enumerate(marks)
    ]


# q1 3/3, q2 1/3, q3 0/3
THREE = table({"q1": [True, True, True], "q2": [False, True, False], "q3": [False, False, False]})


def test_counts_by_question() -> None:
    assert counts_by_question(THREE) == {"q1": (3, 3), "q2": (3, 1), "q3": (3, 0)}
    assert counts_by_question([{"question_id": "q", "correct": None}]) == {"q": (1, 0)}


@pytest.mark.parametrize(
    ("k", "hat", "at"),
    [
        # pass^k: q1 C(3,k)/C(3,k) = 1, q2 C(1,k)/C(3,k), q3 0
        (1, (1 + 1 / 3 + 0) / 3, (1 + 1 / 3 + 0) / 3),
        (2, (1 + 0 + 0) / 3, (1 + (1 - 1 / 3) + 0) / 3),  # pass@2 q2: 1 - C(2,2)/C(3,2)
        (3, 1 / 3, 2 / 3),  # pass@3 q2: 1 - C(2,3)/C(3,3) = 1
    ],
)
def test_pass_k_hand_computed(k: int, hat: float, at: float) -> None:
    counts = counts_by_question(THREE)
    assert pass_hat_k(counts, k) == pytest.approx(hat)
    assert pass_at_k(counts, k) == pytest.approx(at)


def test_pass_hat_k_unbiased_estimator() -> None:
    # c = 3 of n = 5: C(3,2)/C(5,2) = 3/10, C(3,3)/C(5,3) = 1/10, C(3,4) = 0
    counts = {"q": (5, 3)}
    assert pass_hat_k(counts, 2) == pytest.approx(0.3)
    assert pass_hat_k(counts, 3) == pytest.approx(0.1)
    assert pass_hat_k(counts, 4) == 0
    # mixed trial counts per question are fine as long as every n >= k
    assert pass_hat_k({"a": (2, 2), "b": (4, 2)}, 2) == pytest.approx((1 + 1 / 6) / 2)


def test_pass_k_edge_cases() -> None:
    zero = counts_by_question(table({"q1": [False] * 4, "q2": [False] * 4}))
    assert pass_hat_k(zero, 1) == 0
    assert pass_hat_k(zero, 4) == 0
    assert pass_at_k(zero, 4) == 0
    with pytest.raises(ValueError, match=r"k=4 is larger than the 3 trial\(s\) of question 'q1'"):
        pass_hat_k(counts_by_question(THREE), 4)
    with pytest.raises(ValueError, match="k=4"):
        pass_at_k(counts_by_question(THREE), 4)
    with pytest.raises(ValueError, match="k must be >= 1"):
        pass_hat_k(counts_by_question(THREE), 0)
    with pytest.raises(ValueError, match="no trials"):
        pass_hat_k({}, 1)


def test_wilson_interval_known_values() -> None:
    lo, hi = wilson_interval(4, 9)
    assert (lo, hi) == (pytest.approx(0.1888, abs=1e-4), pytest.approx(0.7333, abs=1e-4))
    lo, hi = wilson_interval(1, 10)
    assert (lo, hi) == (pytest.approx(0.0179, abs=1e-4), pytest.approx(0.4042, abs=1e-4))
    assert wilson_interval(0, 10)[0] == 0
    assert wilson_interval(10, 10)[1] == 1
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(4, 9, confidence=0.99)[0] < 0.1888
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 2, confidence=95)


def test_percentile() -> None:
    values = [10, 20, 30, 40, 50]
    assert percentile(values, 50) == 30
    assert percentile(values, 95) == pytest.approx(48)  # 40 + 0.8 * 10
    assert percentile(values, 99) == pytest.approx(49.6)
    assert percentile([], 50) is None


def test_summarize_hand_computed() -> None:
    trials = [
        # q1: 3 trials, all correct, one a cache hit
        {"question_id": "q1", "correct": True, "valid": True, "semantic_valid": True, "tokens_in": 100,
         "tokens_out": 10, "latency_ms": 10, "cost_usd": 0.01, "cache_hit": True, "outcome": "correct"},
        {"question_id": "q1", "correct": True, "valid": True, "semantic_valid": True, "tokens_in": 100,
         "tokens_out": 20, "latency_ms": 20, "cost_usd": 0.01, "outcome": "correct"},
        {"question_id": "q1", "correct": True, "valid": True, "semantic_valid": True, "tokens_in": 100,
         "tokens_out": 30, "latency_ms": 30, "cost_usd": 0.01, "outcome": "correct", "repaired": True},
        # q2: one correct; one rejected after a failed repair; one model error (no tokens, no latency)
        {"question_id": "q2", "correct": True, "valid": True, "semantic_valid": True, "tokens_in": 200,
         "tokens_out": 40, "latency_ms": 40, "cost_usd": 0.02, "outcome": "correct", "cached_tokens": 64},
        {"question_id": "q2", "correct": False, "valid": True, "semantic_valid": False, "tokens_in": 200,
         "tokens_out": 50, "latency_ms": 50, "cost_usd": 0.02, "outcome": "rejected", "repaired": True},
        {"question_id": "q2", "correct": False, "valid": False, "semantic_valid": False, "tokens_in": None,
         "tokens_out": None, "latency_ms": None, "cost_usd": None, "outcome": "error", "error": "timeout"},
    ]  # fmt: skip
    m = summarize(trials)
    # the error is not an answer: every rate is over the 5 answered trials, the error counted apart
    assert (m.n_questions, m.n_trials, m.k) == (2, 6, 3)
    assert (m.n_answered, m.n_errors) == (5, 1)
    assert m.accuracy == pytest.approx(4 / 5)
    assert m.pass_at_1 == pytest.approx((1 + 1 / 2) / 2)
    assert m.pass_k == pytest.approx(1.0) and m.pass_k_questions == 1  # q2 has 2 answered trials < k
    assert m.pass_at_k == pytest.approx(1.0)
    assert m.valid_rate == pytest.approx(5 / 5)
    assert m.semantic_valid_rate == pytest.approx(4 / 5)
    assert m.repair_rate == pytest.approx(2 / 5)
    assert m.repair_success_rate == pytest.approx(0.5)
    assert m.tokens_in_mean == pytest.approx(140) and m.tokens_in_total == 700
    assert m.tokens_out_mean == pytest.approx(30) and m.tokens_out_total == 150
    assert m.cached_tokens_total == 64
    assert m.cost_usd == pytest.approx(0.07)
    assert m.cost_per_question == pytest.approx(0.07 / 6)
    assert m.cost_per_1k_questions == pytest.approx(0.07 / 6 * 1000)
    # latency: only the 4 answered calls that reached the model; the cache hit's lookup apart
    assert m.n_timed == 4
    assert m.latency_ms_mean == pytest.approx(35)
    assert m.latency_ms_p50 == pytest.approx(35)
    assert m.latency_ms_p95 == pytest.approx(48.5)
    assert m.latency_ms_p99 == pytest.approx(49.7)
    assert m.cache_hit_latency_ms_p50 == pytest.approx(10)
    assert (m.cache_hits, m.cache_hit_rate) == (1, pytest.approx(1 / 6))
    assert m.outcomes == {"correct": 4, "rejected": 1, "error": 1}
    lo, hi = m.accuracy_ci
    assert lo < m.accuracy < hi
    # the JSON keys DESIGN.md's eval output needs are all there
    d = m.to_dict()
    for key in ("accuracy", "pass_k", "k", "valid_rate", "n_questions", "tokens_in_mean", "tokens_out_mean",
                "cost_usd", "latency_ms_p50", "latency_ms_p95"):  # fmt: skip
        assert key in d
    assert isinstance(d["accuracy_ci"], list)


def test_summarize_options_and_edges() -> None:
    assert summarize(THREE, k=2).pass_k == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="k=5"):
        summarize(THREE, k=5)
    with pytest.raises(ValueError, match="no trials"):
        summarize([])
    bare = summarize(table({"q": [False]}))
    assert bare.accuracy == 0 and bare.pass_k == 0
    assert bare.repair_success_rate is None
    assert bare.latency_ms_p50 is None and bare.tokens_in_mean is None
    assert bare.cost_usd == 0 and bare.cost_per_1k_questions == 0
    # k defaults to the smallest number of trials of any question
    assert summarize(table({"a": [True, True, True], "b": [True, False]})).k == 2


def test_summarize_accepts_a_dataframe() -> None:
    import pandas as pd

    frame = pd.DataFrame(THREE)
    frame["latency_ms"] = [1.0, None, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]
    m = summarize(frame)
    assert m.accuracy == pytest.approx(4 / 9)
    assert m.latency_ms_mean == pytest.approx(43 / 8)


def test_by_tag() -> None:
    tags = {"q1": ("latency",), "q2": ("latency", "errors"), "q3": ()}
    out = by_tag(THREE, tags)
    assert list(out) == ["errors", "latency"]
    assert out["latency"].accuracy == pytest.approx(4 / 6)
    assert out["latency"].n_questions == 2
    assert out["errors"].accuracy == pytest.approx(1 / 3)
    assert out["errors"].pass_k == 0


def test_question_bootstrap_is_wider_when_trials_are_correlated() -> None:
    # 10 questions x 5 trials, each question all right or all wrong: 25 / 50 correct.
    trials = table({f"q{i}": [i < 5] * 5 for i in range(10)})
    m = summarize(trials)
    assert m.accuracy == 0.5
    wilson = m.accuracy_ci[1] - m.accuracy_ci[0]
    cluster = m.accuracy_ci_questions[1] - m.accuracy_ci_questions[0]
    assert cluster > 1.5 * wilson
    # reproducible, and degenerate when every question scores the same
    assert summarize(trials).accuracy_ci_questions == m.accuracy_ci_questions
    same = counts_by_question(table({"a": [True, False], "b": [False, True]}))
    assert cluster_bootstrap_interval(same) == (0.5, 0.5)


def test_sign_test_exact_values() -> None:
    assert sign_test(0, 0) == 1.0
    assert sign_test(8, 0) == pytest.approx(2 / 256)
    assert sign_test(2, 1) == 1.0  # (C(3,0) + C(3,1)) / 8 * 2 = 1
    assert sign_test(9, 1) == pytest.approx(2 * (1 + 10) / 1024)
    assert sign_test(3, 7) == sign_test(7, 3)


def test_paired_comparison_hand_computed() -> None:
    baseline = table({"q1": [True, True], "q2": [False, False], "q3": [True, False], "q4": [False, True]})
    candidate = table({"q1": [True, True], "q2": [True, True], "q3": [True, True], "q4": [False, False]})
    c = paired_comparison(baseline, candidate)
    # per question: 0, +1, +0.5, -0.5
    assert c.n_questions == 4
    assert c.baseline_accuracy == pytest.approx(0.5)
    assert c.candidate_accuracy == pytest.approx(0.75)
    assert c.difference == pytest.approx(0.25)
    assert (c.wins, c.losses, c.ties) == (2, 1, 1)
    assert c.p_value == 1.0
    # sign flips of (1, .5, -.5): |sum| >= 1 in 6 of 8
    assert c.p_value_permutation == pytest.approx(0.75)
    assert c.ci[0] <= c.difference <= c.ci[1]
    assert c.per_question == {"q1": 0.0, "q2": 1.0, "q3": 0.5, "q4": -0.5}
    assert c.to_dict()["ci"] == list(c.ci)


def test_paired_comparison_mcnemar_on_single_trials() -> None:
    base = table({f"q{i}": [i < 2] for i in range(10)})  # right on q0, q1
    cand = table({f"q{i}": [True] for i in range(10)})  # right everywhere
    c = paired_comparison(base, cand)
    assert (c.wins, c.losses, c.ties) == (8, 0, 2)
    assert c.p_value == pytest.approx(2 / 2**8)  # exact McNemar: 8 discordant pairs, all one way
    assert c.p_value_permutation == pytest.approx(2 / 2**8)
    assert c.ci[0] > 0


def test_paired_comparison_edges() -> None:
    a = table({"q1": [True], "q2": [False]})
    b = table({"q2": [False], "q3": [True]})
    c = paired_comparison(a, b)
    assert (c.n_questions, c.only_baseline, c.only_candidate) == (1, 1, 1)
    assert (c.difference, c.p_value, c.p_value_permutation, c.ci) == (0.0, 1.0, 1.0, (0.0, 0.0))
    with pytest.raises(ValueError, match="no question in common"):
        paired_comparison(table({"x": [True]}), table({"y": [True]}))
    # more than 16 differing questions: the permutation test samples, reproducibly
    many_a = table({f"q{i}": [False, False] for i in range(30)})
    many_b = table({f"q{i}": [i % 3 != 0, True] for i in range(30)})
    p1 = paired_comparison(many_a, many_b).p_value_permutation
    assert p1 == paired_comparison(many_a, many_b).p_value_permutation
    assert p1 < 0.001


@pytest.mark.parametrize("n_questions", [1, 7, 600, 2500])
def test_question_bootstrap_in_blocks_equals_the_whole_table(
    n_questions: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from workbench.evaluation import intervals

    rng = np.random.default_rng(3)
    counts = {f"q{i}": (3, int(rng.integers(0, 4))) for i in range(n_questions)}
    n = np.array([t for t, _ in counts.values()], dtype=float)
    c = np.array([k for _, k in counts.values()], dtype=float)
    idx = np.random.default_rng(0).integers(0, n_questions, size=(2000, n_questions))  # the whole table
    acc = c[idx].sum(axis=1) / n[idx].sum(axis=1)
    whole = tuple(float(x) for x in np.quantile(acc, [0.025, 0.975]))
    monkeypatch.setattr(intervals, "_BOOT_CHUNK", 3 * n_questions + 1)  # many blocks, the last one short
    assert intervals.cluster_bootstrap_interval(counts) == whole
    monkeypatch.setattr(intervals, "_BOOT_CHUNK", 1_000_000)
    assert intervals.cluster_bootstrap_interval(counts) == whole


@pytest.mark.parametrize("n_questions", [40, 601])
def test_paired_comparison_in_blocks_equals_the_whole_tables(
    n_questions: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from workbench.evaluation import intervals

    rng = np.random.default_rng(5)
    a = [{"question_id": f"q{i}", "correct": bool(rng.integers(0, 2))} for i in range(n_questions)]
    b = [{"question_id": f"q{i}", "correct": bool(rng.integers(0, 2))} for i in range(n_questions)]
    diffs = np.array([float(y["correct"]) - float(x["correct"]) for x, y in zip(a, b, strict=True)])
    idx = np.random.default_rng(0).integers(0, n_questions, size=(2000, n_questions))  # the whole tables
    ci = tuple(float(x) for x in np.quantile(diffs[idx].mean(axis=1), [0.025, 0.975]))
    d = diffs[diffs != 0]
    signs = np.random.default_rng(0).choice([-1, 1], size=(20000, d.size))
    p = float(np.mean(np.abs((signs * d).mean(axis=1)) >= abs(d.mean()) - 1e-12))
    monkeypatch.setattr(intervals, "_BOOT_CHUNK", 7 * n_questions + 3)  # many blocks, the last one short
    c = paired_comparison(a, b)
    assert (c.ci, c.p_value_permutation) == (ci, p)
