"""Self-consistency: agreement of several answers' executed results as a confidence, and its AUROC.

Results compare with ``workbench.spec.matching.results_match`` (pure Python, no duckdb), so
two answers agree exactly when the eval would call one right given the other as gold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workbench.spec.matching import results_match

__all__ = ["agreement", "auroc", "support"]


def agreement(results: Sequence[Any], ordered: bool = False) -> float:
    """Share of results equal to the modal result, in [0, 1]; ``None`` entries (failed answers) never agree.

    Example:
        >>> agreement([{"columns": ["c"], "rows": [[1]]}] * 2 + [{"columns": ["c"], "rows": [[2]]}])
        0.6666666666666666
    """
    items = list(results)
    if not items:
        return 0.0
    best = 0
    for _i, a in enumerate(items):
        if a is None:
            continue
        same = sum(1 for b in items if b is not None and _same(a, b, ordered))
        best = max(best, same)
    return best / len(items)


def support(results: Sequence[Any], ordered: bool = False) -> list[float]:
    """For each result, the share of all results equal to it (its confidence); ``None`` gets 0."""
    items = list(results)
    return [
        0.0 if a is None else sum(1 for b in items if b is not None and _same(a, b, ordered)) / len(items)
        for a in items
    ]


def _same(a: Any, b: Any, ordered: bool) -> bool:
    try:
        return bool(results_match(a, b, ordered=ordered))
    except Exception:
        return False


def auroc(scores: Sequence[float], labels: Sequence[bool | int]) -> float | None:
    """Area under the ROC curve (rank-based, ties count half); None without both classes."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))
