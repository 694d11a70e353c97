"""Two variants on the same questions: a paired bootstrap interval, the sign test, a permutation test.

``paired_comparison`` gives the mean per-question accuracy difference with a paired bootstrap
interval, wins / losses / ties per question, the exact two-sided sign test over the questions
that differ (with one trial per question this is exactly McNemar's exact test on pass@1), and
a sign-flip permutation test that also uses the size of each difference. numpy only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from workbench.evaluation.counts import Trial, counts_by_question, records
from workbench.evaluation.intervals import row_blocks, z_score

__all__ = ["PairedComparison", "paired_comparison", "sign_test"]


# --------------------------------------------------------------------------- paired comparison


def sign_test(wins: int, losses: int) -> float:
    """Exact two-sided sign test (binomial, p = 1/2) of ``wins`` against ``losses``; ties are left out."""
    m = wins + losses
    if m == 0:
        return 1.0
    tail = sum(math.comb(m, i) for i in range(min(wins, losses) + 1)) / 2**m
    return min(1.0, 2 * tail)


def _sign_flip_p(diffs: np.ndarray, n_perm: int, seed: int) -> float:
    """Two-sided paired permutation test of mean(diffs) = 0 by random sign flips (exact for <= 16)."""
    d = diffs[diffs != 0]
    if d.size == 0:
        return 1.0
    observed = abs(d.mean())
    if d.size <= 16:
        signs = 1 - 2 * ((np.arange(2**d.size)[:, None] >> np.arange(d.size)) & 1)
        means = np.abs((signs * d).mean(axis=1))
    else:  # a block of permutations at a time: the same signs as drawing all at once
        rng, means = np.random.default_rng(seed), np.empty(n_perm)
        for start, stop in row_blocks(n_perm, d.size):
            signs = rng.choice([-1, 1], size=(stop - start, d.size))
            means[start:stop] = np.abs((signs * d).mean(axis=1))
    return float(np.mean(means >= observed - 1e-12))


@dataclass(frozen=True)
class PairedComparison:
    """Candidate vs baseline on the questions both answered. ``difference`` = candidate - baseline."""

    n_questions: int
    baseline_accuracy: float
    candidate_accuracy: float
    difference: float
    ci: tuple[float, float]
    p_value: float
    p_value_permutation: float
    wins: int
    losses: int
    ties: int
    only_baseline: int = 0
    only_candidate: int = 0
    confidence: float = 0.95
    per_question: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ci"] = list(self.ci)
        return out


def paired_comparison(
    baseline: Iterable[Trial] | Any,
    candidate: Iterable[Trial] | Any,
    *,
    confidence: float = 0.95,
    n_boot: int = 2000,
    n_perm: int = 20000,
    seed: int = 0,
) -> PairedComparison:
    """Compare two variants question by question (see the module docstring).

    Per question, accuracy is ``c / n`` of that variant's trials; a *win* is a question where the
    candidate's accuracy is higher. ``p_value`` is the exact sign test over wins and losses
    (McNemar's exact test when each variant ran one trial per question); ``p_value_permutation``
    also weighs how much each question changed; errored trials (transport failures) are left out.
    Questions only one side answered are counted in
    ``only_baseline``/``only_candidate`` and left out.
    """
    base, cand = (counts_by_question(t for t in records(side) if t.get("outcome") != "error")
                  for side in (baseline, candidate))  # fmt: skip
    common = [q for q in base if q in cand]
    if not common:
        raise ValueError("the two trial tables have no question in common")
    z_score(confidence)
    a = np.array([base[q].correct / base[q].trials for q in common])
    b = np.array([cand[q].correct / cand[q].trials for q in common])
    diffs = b - a
    rng, boots = np.random.default_rng(seed), np.empty(n_boot)
    for start, stop in row_blocks(n_boot, len(common)):  # the same draws as the whole table at once
        boots[start:stop] = diffs[rng.integers(0, len(common), size=(stop - start, len(common)))].mean(axis=1)
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(boots, [alpha, 1 - alpha])
    wins, losses = int((diffs > 0).sum()), int((diffs < 0).sum())
    return PairedComparison(
        n_questions=len(common),
        baseline_accuracy=float(a.mean()),
        candidate_accuracy=float(b.mean()),
        difference=float(diffs.mean()),
        ci=(float(lo), float(hi)),
        p_value=sign_test(wins, losses),
        p_value_permutation=_sign_flip_p(diffs, n_perm, seed),
        wins=wins,
        losses=losses,
        ties=len(common) - wins - losses,
        only_baseline=len(set(base) - set(cand)),
        only_candidate=len(set(cand) - set(base)),
        confidence=confidence,
        per_question={q: float(d) for q, d in zip(common, diffs, strict=True)},
    )
