"""``RunView``: one evaluation run as the dashboard shows it, its metrics table, one trial's detail, and the
small formatters of its cells."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets
from markupsafe import Markup

from workbench.core import format as fmt
from workbench.core.templates import render
from workbench.evaluation.metrics import QuestionCounts, VariantMetrics, counts_by_question
from workbench.evaluation.run import EvalRun
from workbench.widgets._common import (
    ERROR_COLOR,
    OK_COLOR,
    critic_html,
    findings_html,
    fmt_cost,
    fmt_ms,
    result_table_html,
    split_findings,
)
from workbench.widgets._query_view import query_html

__all__ = ["MetricsTable", "RunView", "cell_color", "metrics_table_html", "pct", "trial_html", "versus"]


@dataclass
class RunView:
    """What the dashboard shows of a run: ``eval_run.EvalRun`` (variants, trials, metrics) plus the golds."""

    run: EvalRun
    golds: dict[str, Any] = field(default_factory=dict)  # question id -> gold spec

    @classmethod
    def from_log(cls, run: Any) -> RunView:
        """From a ``runs.Run`` loaded from the experiment log."""
        return cls(EvalRun.from_run(run), {str(q["question_id"]): q.get("gold") for q in run.questions})

    @property
    def run_id(self) -> str | None:
        return self.run.run_id

    @property
    def variants(self) -> list[str]:
        return self.run.variant_names

    @property
    def questions(self) -> list[dict[str, Any]]:
        return self.run.questions

    @property
    def trials(self) -> list[dict[str, Any]]:
        return [t for v in self.run.variants for t in v.trials]

    @property
    def metrics(self) -> dict[str, VariantMetrics]:
        return {v.name: v.metrics for v in self.run.variants if v.metrics is not None}

    def counts(self) -> dict[tuple[str, str], QuestionCounts]:
        """``(question_id, variant) -> QuestionCounts(trials, correct)``."""
        return {
            (qid, v.name): counts
            for v in self.run.variants
            for qid, counts in counts_by_question(v.trials).items()
        }

    def cell_trials(self, question_id: str, variant: str) -> list[dict[str, Any]]:
        return self.run.variant(variant).trials_by_question().get(question_id, [])


def pct(x: float | None) -> str:
    return fmt.pct(x, missing="n/a")


def versus(c: Any) -> str:
    """A paired comparison as ``+12.5 pts [-3.0, +28.0], 3 wins / 1 loss``."""
    if c is None:
        return "<span style='color:#999'>baseline</span>"
    lo, hi = c.ci
    color = OK_COLOR if lo > 0 else ERROR_COLOR if hi < 0 else "#555"
    return (
        f"<span style='color:{color}'>{100 * c.difference:+.1f} pts</span> "
        f"<span style='color:#666'>{fmt.signed_ci(c.ci)}, {c.wins} wins / {c.losses} losses, "
        f"p={c.p_value:.2g}</span>"
    )


def cell_color(c: int, n: int) -> str:
    if n == 0:
        return "#eeeeee"
    return "#7fc97f" if c == n else "#f28e8e" if c == 0 else "#fdc86e"


def critic_pct(x: float | None) -> str:
    """A critic rate: ``-`` when there was no trial to measure it on."""
    return fmt.pct(x, missing="-")


METRIC_HEADER = (
    "accuracy [95% CI by question]", "pass^k", "valid", "semantic valid", "column recall", "critic recall",
    "critic false alarm", "tokens in", "cost / 1k q", "latency p50 / p95", "cache hits",
)  # fmt: skip


def _metric_cells(vr: Any) -> list[dict[str, Any]]:
    """A variant's cells under ``METRIC_HEADER``: text, an optional muted note, css class, errored trials."""
    m = vr.metrics
    lo, hi = m.accuracy_ci_questions
    est = fmt.estimate_note(getattr(m, "tokens_estimated_share", 0.0))

    def cell(text: str, note: str = "", css: str = "", **more: Any) -> dict[str, Any]:
        return {"text": text, "note": note, "css": css, "strong": False, "errors": 0} | more

    return [
        cell(pct(m.accuracy), f"[{pct(lo)}, {pct(hi)}]", strong=True, errors=m.n_errors),
        cell(pct(m.pass_k), f"(k={m.k})"),
        cell(pct(m.valid_rate)),
        cell(pct(m.semantic_valid_rate)),
        cell(pct(vr.recall.recall) if vr.recall is not None else "n/a"),
        cell(critic_pct(m.critic_recall), css="wb-critic-recall"),
        cell(critic_pct(m.critic_false_alarm), css="wb-critic-false-alarm"),
        cell(f"{fmt.count(m.tokens_in_mean, missing='n/a')}{est}"),
        cell(f"{fmt_cost(m.cost_per_1k_questions)}{est}"),
        cell(f"{fmt_ms(m.latency_ms_p50)} / {fmt_ms(m.latency_ms_p95)}"),
        cell(pct(m.cache_hit_rate)),
    ]


def metrics_table_html(view: RunView) -> str:
    """The dashboard's metrics table (``wb-metrics-table``): a row per variant, critic recall / false alarm included."""
    comparisons = view.run.comparisons()
    rows = [
        {"name": vr.name, "cells": None}
        if vr.metrics is None
        else {"name": vr.name, "cells": _metric_cells(vr), "versus": Markup(versus(comparisons.get(vr.name)))}
        for vr in view.run.variants
    ]
    html = render(
        "workbench.widgets", "metrics_table.html.j2", run_id=str(view.run_id), n_questions=len(view.questions),
        n_trials=len(view.trials), status=view.run.status, header=METRIC_HEADER,
        base=view.variants[0] if view.variants else "", rows=rows,
    )  # fmt: skip
    return html.rstrip("\n")


def trial_html(t: dict[str, Any], now: int | None = None, *, gold: Any = None) -> str:
    """One logged trial in the dashboard's detail: outcome, the critic's warnings, the query in builder form
    with the clauses that differ from ``gold`` marked, the other findings and the result (open when wrong)."""
    checks, critic = split_findings(t.get("findings"))
    html = render(
        "workbench.widgets", "trial.html.j2", ok=bool(t.get("correct")), trial=t["trial"],
        outcome=str(t.get("outcome") or ""), error=str(t["error"]) if t.get("error") else "",
        ok_color=OK_COLOR, error_color=ERROR_COLOR, critic=Markup(critic_html(critic)),
        query=Markup(query_html(t.get("spec"), now, against=gold)),
        findings=Markup(findings_html(checks, none="no validation findings" if critic else "no findings")),
        result=Markup(result_table_html(t.get("result")) if t.get("result") else ""),
    )  # fmt: skip
    return html.rstrip("\n")


class MetricsTable(widgets.HTML):
    """The dashboard's metrics table (``wb-metrics``): ``metrics_table_html`` of the run shown."""

    def __init__(self) -> None:
        super().__init__()
        self.add_class("wb-metrics")

    def show(self, view: RunView) -> None:
        self.value = metrics_table_html(view)
