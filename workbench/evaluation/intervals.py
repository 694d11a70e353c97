"""Intervals for metrics: Wilson's score interval, the question (cluster) bootstrap, percentiles.

See ``metrics`` for which interval to quote. numpy only; every function is pure.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from statistics import NormalDist
from typing import Any

import numpy as np

__all__ = ["cluster_bootstrap_interval", "percentile", "row_blocks", "wilson_interval", "z_score"]

#: question id -> (trials, correct)
Counts = Mapping[str, Any]


def z_score(confidence: float) -> float:
    """The two-sided normal quantile for ``confidence``; ``ValueError`` outside (0, 1)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; ``(0, 1)`` when ``n`` is 0."""
    if n == 0:
        return (0.0, 1.0)
    z = z_score(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return (lo, hi)


#: random numbers drawn at once by the resampling loops (``row_blocks``; about 1 MB of them, and
#: as much again for each temporary array of the same shape): their memory stays flat however many
#: questions there are (2,000 x 2,000 resampled indexes at once took 96 MB with their temporaries,
#: 1,000,000 at a time 24 MB)
_BOOT_CHUNK = 125_000


def row_blocks(n_rows: int, n_cols: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of blocks of rows of an ``(n_rows, n_cols)`` table of random draws, about
    ``_BOOT_CHUNK`` numbers each: drawn block by block from one generator, in order, they are the
    same numbers as the whole table drawn at once (tested)."""
    rows = max(1, _BOOT_CHUNK // max(1, n_cols))
    for start in range(0, n_rows, rows):
        yield start, min(n_rows, start + rows)


def cluster_bootstrap_interval(
    counts: Counts, confidence: float = 0.95, n_boot: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of pooled accuracy, resampling questions (clusters) with replacement.

    The resamples are drawn a block of rows at a time from one generator (``row_blocks``): the same
    numbers, in the same order, as drawing the whole ``(n_boot, questions)`` table at once.
    """
    if not counts:
        return (0.0, 1.0)
    z_score(confidence)
    n = np.array([nc[0] for nc in counts.values()], dtype=float)
    c = np.array([nc[1] for nc in counts.values()], dtype=float)
    rng = np.random.default_rng(seed)
    acc = np.empty(n_boot)
    for start, stop in row_blocks(n_boot, len(n)):
        idx = rng.integers(0, len(n), size=(stop - start, len(n)))
        acc[start:stop] = c[idx].sum(axis=1) / n[idx].sum(axis=1)
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(acc, [alpha, 1 - alpha])
    return (float(lo), float(hi))


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100, linear interpolation); None for no values."""
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    return float(np.percentile(arr, q)) if arr.size else None
