"""The critic's measures over an eval's trials: recall, false alarms, and self-consistency's AUROC."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from workbench.critic import auroc, is_critic_finding
from workbench.critic.consistency import support
from workbench.spec.matching import spec_is_ordered

__all__ = ["confidence_auroc", "critic_rate", "warning_repairs"]


def critic_rate(trials: Iterable[dict[str, Any]], outcome: str) -> float | None:
    """The share of ``outcome`` trials (``wrong`` or ``correct``) whose findings hold a critic warning."""
    chosen = [t for t in trials if t.get("outcome") == outcome]
    if not chosen:
        return None
    flagged = sum(
        any(
            isinstance(f, dict) and is_critic_finding(str(f.get("code", ""))) for f in t.get("findings") or ()
        )
        for t in chosen
    )
    return flagged / len(chosen)


def confidence_auroc(trials: Iterable[dict[str, Any]]) -> float | None:
    """AUROC of each executed trial's confidence (the share of its question's executed trials whose
    results agree with its own) for predicting that it is correct; ``None`` with one trial per question, one class only, or
    every confidence equal (identical trials, as at temperature 0: no ranking to measure)."""
    by_question: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in trials:  # executed trials only: an invalid answer is known to be wrong without any score
        if t.get("outcome") in ("correct", "wrong"):
            by_question[str(t.get("question_id"))].append(t)
    scores: list[float] = []
    labels: list[bool] = []
    for group in by_question.values():
        if len(group) < 2:
            continue
        results = [t.get("result") for t in group]
        ordered = any(spec_is_ordered(t["spec"]) for t in group if t.get("spec"))
        scores += support(results, ordered)
        labels += [bool(t.get("correct")) for t in group]
    return auroc(scores, labels) if len(set(scores)) > 1 else None


def _first_attempt_findings(trial: dict[str, Any]) -> list[dict[str, Any]] | None:
    extra = trial.get("extra")
    if isinstance(extra, str):
        try:
            extra = json.loads(extra)
        except ValueError:
            return None
    records = extra.get("attempt_records") if isinstance(extra, dict) else None
    if not records or not isinstance(records[0], dict):
        return None
    return [f for f in records[0].get("findings") or () if isinstance(f, dict)]


def warning_repairs(trials: Iterable[dict[str, Any]]) -> tuple[int, float | None]:
    """Repairs made for the critic's warnings alone (``repair_on: warnings``: the first answer was valid),
    and the share of them that ended correct; measured apart from repairs of invalid answers."""
    done = []
    for t in trials:
        if not t.get("repaired") or t.get("outcome") == "error":
            continue
        first = _first_attempt_findings(t)
        if first is not None and not any(f.get("severity") == "error" for f in first):
            done.append(t.get("outcome") == "correct")
    return len(done), (sum(done) / len(done) if done else None)
