"""Metrics over trial tables: accuracy, pass^k, validity, cost, latency, and their uncertainty.

A *trial table* is a sequence of mappings (or a pandas DataFrame), one per
trial, with the experiment log's column names: ``question_id`` and
``correct`` are required; ``valid``, ``semantic_valid``, ``repaired``,
``tokens_in``, ``tokens_out``, ``cached_tokens``, ``latency_ms``,
``cost_usd``, ``cache_hit``, ``outcome`` are used when present (missing or
None values are left out of means and percentiles; a missing ``correct``
counts as wrong). Every function is pure.

Definitions (``n`` trials of a question, ``c`` of them correct):

- answered trials: every trial but those whose outcome is ``error`` (the model call
  failed in transport: dropped connection, timeout, a 5xx or 429 that outlived the
  retries). Those are not answers: they are counted apart (``n_errors``), a resume
  retries them, and every rate below is over answered trials.
- accuracy: correct trials / answered trials. pass@1: the mean over questions of
  ``c / n`` (the same number when every question has the same ``n``).
- pass^k (tau-bench): the mean over questions of ``C(c, k) / C(n, k)``, the
  chance that ``k`` trials drawn without replacement are *all* correct: a
  consistency measure that falls as ``k`` grows. pass@k (Chen et al.): the
  mean of ``1 - C(n - c, k) / C(n, k)``, the chance that at least one is.
  ``k > n`` for any question is an error; ``k`` defaults to the smallest ``n``. When errors
  left a question fewer than ``k`` answered trials, it is left out of pass^k
  (``pass_k_questions`` says how many questions it covers).
- latency: percentiles over answered calls that reached the model; cache hits are
  reported apart (``cache_hit_latency_ms_p50``): a lookup is not a model's latency.
- cost per question: the mean cost of one trial (one question asked once); per 1,000 questions is
  that times 1,000. ``None`` when a trial's price is unknown (``accounting.total_cost``).

Uncertainty. Trials of one question are correlated (the same question is
easy or hard every time), so treating 60 x 5 trials as 300 independent
coin flips understates the error. ``summarize`` gives both:

- ``accuracy_ci``: Wilson's score interval on the trial proportion. Well
  behaved near 0 and 1, but it assumes independent trials: read it as a
  lower bound on the uncertainty.
- ``accuracy_ci_questions``: a cluster (by question) bootstrap, resampling
  whole questions with replacement and recomputing pooled accuracy. It
  honours the correlation and is the interval to quote; percentile method,
  fixed seed, so the same table gives the same interval.

``paired.paired_comparison`` compares two variants on the same questions (re-exported here).

numpy only; no scipy.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from workbench.evaluation.accounting import estimated_share, retry_total_ms, total_cost
from workbench.evaluation.counts import Counts, QuestionCounts, Trial, counts_by_question, flag, records
from workbench.evaluation.critic_metrics import confidence_auroc, critic_rate, warning_repairs
from workbench.evaluation.intervals import cluster_bootstrap_interval, percentile, wilson_interval
from workbench.evaluation.paired import PairedComparison, paired_comparison, sign_test

__all__ = [
    "PairedComparison",
    "QuestionCounts",
    "VariantMetrics",
    "by_tag",
    "cluster_bootstrap_interval",
    "counts_by_question",
    "paired_comparison",
    "pass_at_k",
    "pass_hat_k",
    "percentile",
    "sign_test",
    "summarize",
    "wilson_interval",
]


def _numbers(trials: Sequence[Trial], key: str) -> list[float]:
    """The non-missing values of one column as floats."""
    out = []
    for t in trials:
        try:
            v = float(t.get(key))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if not math.isnan(v):
            out.append(v)
    return out


# --------------------------------------------------------------------------- pass^k, pass@k


def _check_k(counts: Counts, k: int) -> None:
    if not counts:
        raise ValueError("no trials: pass^k needs at least one question")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    short = [(q, n) for q, (n, _) in counts.items() if n < k]
    if short:
        q, n = short[0]
        raise ValueError(
            f"k={k} is larger than the {n} trial(s) of question {q!r}: run at least {k} trials "
            f"per question or use k <= {min(n for n, _ in counts.values())}"
        )


def pass_hat_k(counts: Counts, k: int) -> float:
    """tau-bench's pass^k: mean over questions of ``C(c, k) / C(n, k)``. ``k > n`` raises ``ValueError``."""
    _check_k(counts, k)
    return sum(math.comb(c, k) / math.comb(n, k) for n, c in counts.values()) / len(counts)


def pass_at_k(counts: Counts, k: int) -> float:
    """pass@k (Chen et al. 2021): mean over questions of ``1 - C(n - c, k) / C(n, k)``."""
    _check_k(counts, k)
    return sum(1 - math.comb(n - c, k) / math.comb(n, k) for n, c in counts.values()) / len(counts)


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class VariantMetrics:
    """Every metric of one variant over a trial table. ``to_dict`` gives JSON-ready values."""

    n_questions: int
    n_trials: int
    k: int
    accuracy: float
    accuracy_ci: tuple[float, float]
    accuracy_ci_questions: tuple[float, float]
    pass_at_1: float
    pass_k: float
    pass_at_k: float
    valid_rate: float
    semantic_valid_rate: float
    repair_rate: float
    repair_success_rate: float | None
    tokens_in_mean: float | None
    tokens_in_total: int
    tokens_out_mean: float | None
    tokens_out_total: int
    cached_tokens_total: int
    cost_usd: float | None
    cost_per_question: float | None
    cost_per_1k_questions: float | None
    latency_ms_mean: float | None
    latency_ms_p50: float | None
    latency_ms_p95: float | None
    latency_ms_p99: float | None
    cache_hits: int
    cache_hit_rate: float
    outcomes: dict[str, int] = field(default_factory=dict)
    confidence: float = 0.95
    #: executed-but-wrong trials with a critic warning, over all of them (None: no wrong trial)
    critic_recall: float | None = None
    #: correct trials with a critic warning, over all correct trials (None: no correct trial)
    critic_false_alarm: float | None = None
    #: how well the agreement of a question's trials predicts a trial's correctness (k > 1)
    confidence_auroc: float | None = None
    #: repairs made for critic warnings alone (``repair_on: warnings``), and the share that ended correct
    warning_repairs: int = 0
    warning_repair_success: float | None = None
    #: share of trials whose token counts are estimates (the server reported no usage)
    tokens_estimated_share: float = 0.0
    #: time lost to failed HTTP attempts and backoff, over all trials (latency counts only the answers)
    retry_ms_total: float = 0.0
    #: trials that got an answer, and those whose call failed in transport (outcome ``error``)
    n_answered: int = 0
    n_errors: int = 0
    #: questions pass^k covers (those with at least k answered trials)
    pass_k_questions: int = 0
    #: answered calls timed (not cache hits), and the median lookup time of cache hits
    n_timed: int = 0
    cache_hit_latency_ms_p50: float | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["accuracy_ci"] = list(self.accuracy_ci)
        out["accuracy_ci_questions"] = list(self.accuracy_ci_questions)
        return out


def summarize(
    trials: Iterable[Trial] | Any,
    *,
    k: int | None = None,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> VariantMetrics:
    """All metrics of one variant's trials (see the module docstring for definitions).

    Args:
        trials: the trial table (one variant).
        k: for pass^k and pass@k; default the smallest number of trials of any question.
        confidence: level of both accuracy intervals.
        n_boot, seed: the question-bootstrap's size and seed.
    """
    rows = records(trials)
    if not rows:
        raise ValueError("no trials to summarize")
    every = rows
    rows = [t for t in every if t.get("outcome") != "error"] or every  # all errored: n_errors says so
    n_errors = sum(t.get("outcome") == "error" for t in every)
    counts = counts_by_question(rows)
    k = min(n for n, _ in counts_by_question(every).values()) if k is None else k
    pk_counts = {q: c for q, c in counts.items() if c.trials >= k} if n_errors else counts
    if not pk_counts:
        pk_counts, k = counts, min(n for n, _ in counts.values())
    n_trials = len(rows)
    n_correct = sum(c for _, c in counts.values())
    tokens_in, tokens_out = _numbers(rows, "tokens_in"), _numbers(rows, "tokens_out")
    latency = _numbers(
        [t for t in rows if not flag(t.get("cache_hit")) and t.get("outcome") != "error"], "latency_ms"
    )
    hits_ms = _numbers([t for t in every if flag(t.get("cache_hit"))], "latency_ms")
    cost = total_cost(every)
    repaired = [t for t in rows if flag(t.get("repaired"))]
    cache_hits = sum(flag(t.get("cache_hit")) for t in every)
    outcomes = Counter(str(t["outcome"]) for t in every if t.get("outcome"))
    return VariantMetrics(
        n_questions=len(counts),
        n_trials=len(every),
        k=k,
        accuracy=n_correct / n_trials,
        accuracy_ci=wilson_interval(n_correct, n_trials, confidence),
        accuracy_ci_questions=cluster_bootstrap_interval(counts, confidence, n_boot, seed),
        pass_at_1=sum(c / n for n, c in counts.values()) / len(counts),
        pass_k=pass_hat_k(pk_counts, k),
        pass_at_k=pass_at_k(pk_counts, k),
        valid_rate=sum(flag(t.get("valid")) for t in rows) / n_trials,
        semantic_valid_rate=sum(flag(t.get("semantic_valid")) for t in rows) / n_trials,
        repair_rate=len(repaired) / n_trials,
        repair_success_rate=(
            sum(flag(t.get("semantic_valid")) for t in repaired) / len(repaired) if repaired else None
        ),
        tokens_in_mean=float(np.mean(tokens_in)) if tokens_in else None,
        tokens_in_total=int(sum(_numbers(every, "tokens_in"))),
        tokens_out_mean=float(np.mean(tokens_out)) if tokens_out else None,
        tokens_out_total=int(sum(_numbers(every, "tokens_out"))),
        cached_tokens_total=int(sum(_numbers(every, "cached_tokens"))),
        cost_usd=cost,
        cost_per_question=None if cost is None else cost / len(every),
        cost_per_1k_questions=None if cost is None else cost / len(every) * 1000,
        **_latency(latency),
        cache_hits=cache_hits,
        cache_hit_rate=cache_hits / len(every),
        outcomes=dict(outcomes),
        confidence=confidence,
        critic_recall=critic_rate(rows, "wrong"),
        critic_false_alarm=critic_rate(rows, "correct"),
        confidence_auroc=confidence_auroc(rows),
        **dict(zip(("warning_repairs", "warning_repair_success"), warning_repairs(rows), strict=True)),
        tokens_estimated_share=estimated_share(rows),
        retry_ms_total=retry_total_ms(rows),
        n_answered=len(every) - n_errors,
        n_errors=n_errors,
        pass_k_questions=len(pk_counts),
        n_timed=len(latency),
        cache_hit_latency_ms_p50=percentile(hits_ms, 50),
    )


def _latency(values: list[float]) -> dict[str, float | None]:
    return {
        "latency_ms_mean": float(np.mean(values)) if values else None,
        **{f"latency_ms_p{q}": percentile(values, q) for q in (50, 95, 99)},
    }


def by_tag(
    trials: Iterable[Trial] | Any, tags: Mapping[str, Iterable[str]], **options: Any
) -> dict[str, VariantMetrics]:
    """``summarize`` per tag: tag -> metrics over the trials of questions with that tag (sorted by tag).

    ``tags`` maps question id -> tags (``QuestionSet.tags``). ``k`` defaults per tag as in
    ``summarize``; pass the same ``k`` to compare tags on one scale.
    """
    rows = records(trials)
    grouped: dict[str, list[Trial]] = defaultdict(list)
    for t in rows:
        for tag in tags.get(str(t["question_id"]), ()):
            grouped[tag].append(t)
    return {tag: summarize(grouped[tag], **options) for tag in sorted(grouped)}
