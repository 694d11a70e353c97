"""The report's per-question sections as data: the question x variant grid, and each failure with its query and findings.

A *column* is one (run, variant) pair with ``index``, ``label``, ``variant`` (an
``evaluation.run.VariantRun``) and ``counts()`` (question id -> ``QuestionCounts``); see
``html.py``. The functions here return plain records for the templates
(``templates/_grid.html.j2``, ``templates/_failures.html.j2``), which escape every value.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from workbench.core import format as fmt
from workbench.critic import is_critic_finding
from workbench.evaluation.metrics import QuestionCounts
from workbench.spec.view import query_view
from workbench.sql.pretty import pretty_sql

__all__ = ["failures", "grid"]

#: the model's raw answer shown when it was no query: the first characters
MAX_RAW_CHARS = 4000


def _anchor(column: Any, question_id: str) -> str:
    """A unique element id for one column's failures of one question."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", question_id)
    if safe != question_id:  # two ids may sanitise alike: tell them apart
        safe += "-" + hashlib.sha1(question_id.encode("utf-8")).hexdigest()[:8]
    return f"f{column.index}-{safe}"


def _cell_class(c: QuestionCounts) -> str:
    return (
        "none" if c.trials == 0 else "ok" if c.correct == c.trials else "bad" if c.correct == 0 else "partial"
    )


def grid(columns: Sequence[Any], questions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The grid: a row per question, a cell per column with correct/trials and a link to the failures."""
    counts = [c.counts() for c in columns]
    rows = []
    for qid, q in questions.items():
        cells, all_correct = [], True
        for col, cnt in zip(columns, counts, strict=True):
            c = cnt.get(qid, QuestionCounts(0, 0))
            all_correct = all_correct and c.trials > 0 and c.correct == c.trials
            cells.append(
                {
                    "css": _cell_class(c),
                    "title": f"{col.label}: {c.correct} of {c.trials} correct",
                    "text": f"{c.correct}/{c.trials}" if c.trials else fmt.DASH,
                    "href": f"#{_anchor(col, qid)}" if c.correct < c.trials else None,
                }
            )
        rows.append(
            {
                "id": qid,
                "question": str(q.get("question") or ""),
                "tags": ", ".join(map(str, q.get("tags") or ())),
                "all_correct": int(all_correct),
                "cells": cells,
            }
        )
    return {"labels": [c.label for c in columns], "rows": rows}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _finding(item: Any) -> dict[str, str]:
    f = item if isinstance(item, dict) else item.to_dict() if hasattr(item, "to_dict") else {"message": item}
    return {"critic": "critic" if is_critic_finding(str(f.get("code") or "")) else ""} | {
        key: str(f.get(key) or default)
        for key, default in (
            ("severity", "info"),
            ("code", ""),
            ("path", ""),
            ("message", ""),
            ("suggestion", ""),
        )
    }


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _trial(t: dict[str, Any], gold: Any) -> dict[str, Any]:
    diff = t.get("diff")
    differing = [k for k, v in diff.items() if v and k != "details"] if isinstance(diff, dict) else []
    raw = t.get("raw_output")
    raw_text = raw if isinstance(raw, str) else _json(raw) if raw else ""
    return {
        "trial": str(t.get("trial") if t.get("trial") is not None else 0),
        "outcome": str(t.get("outcome") or ("wrong" if t.get("valid") else "invalid")),
        "valid": "yes" if t.get("valid") else "no",
        "latency": fmt.ms(_number(t.get("latency_ms"))),
        "differs": ", ".join(map(str, differing)),
        # the model's query as the widgets show it: the builder form, its clauses that differ from the gold
        "spec": None if t.get("spec") is None else query_view(t["spec"], against=gold),
        "raw": raw_text[:MAX_RAW_CHARS],
        "findings": [_finding(f) for f in t.get("findings") or ()],
        "sql": pretty_sql(str(t["sql"])) if t.get("sql") else "",
        "error": str(t.get("error") or ""),
    }


def _trial_order(t: dict[str, Any]) -> tuple[str, float]:
    return str(t["question_id"]), _number(t.get("trial")) or 0.0


def failures(
    columns: Sequence[Any], questions: dict[str, dict[str, Any]], max_failures: int
) -> list[dict[str, Any]]:
    """Per column, its failing questions (up to ``max_failures``) with gold, model query, findings and SQL."""
    out = []
    for col in columns:
        failed: dict[str, list[dict[str, Any]]] = {}
        for t in sorted(col.variant.trials, key=_trial_order):
            if not t.get("correct"):
                failed.setdefault(str(t["question_id"]), []).append(t)
        order = [q for q in questions if q in failed]
        counts = col.counts()
        items = []
        for qid in order[:max_failures]:
            q = questions.get(qid, {})
            items.append(
                {
                    "anchor": _anchor(col, qid),
                    "id": qid,
                    "wrong": len(failed[qid]),
                    "trials": counts.get(qid, QuestionCounts(0, 0)).trials,
                    "question": str(q.get("question") or ""),
                    "gold": None if q.get("gold") is None else query_view(q["gold"]),
                    "accept": _json(q["accept"]) if q.get("accept") else None,
                    "attempts": [_trial(t, q.get("gold")) for t in failed[qid]],
                }
            )
        out.append(
            {"label": col.label, "n_failed": len(failed), "questions": items, "more": len(order) - len(items)}
        )
    return out
