"""``RunView``: one evaluation run as the dashboard shows it, its metrics table, one trial's detail, and the
small formatters of its cells."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

from workbench.core import format as fmt
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

__all__ = ["RunView", "cell_color", "metrics_table_html", "pct", "trial_html", "versus"]


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


def metrics_table_html(view: RunView) -> str:
    """The dashboard's metrics table (``wb-metrics-table``): a row per variant, critic recall / false alarm included."""
    comparisons = view.run.comparisons()
    base = view.variants[0] if view.variants else ""
    head = (
        "<tr><th align=left>variant</th><th>accuracy [95% CI by question]</th><th>pass^k</th><th>valid</th>"
        "<th>semantic valid</th><th>column recall</th><th>critic recall</th><th>critic false alarm</th>"
        "<th>tokens in</th><th>cost / 1k q</th>"
        f"<th>latency p50 / p95</th><th>cache hits</th><th>vs {escape(base)}</th></tr>"
    )
    rows = []
    for vr in view.run.variants:
        m = vr.metrics
        if m is None:
            rows.append(
                f"<tr><td>{escape(vr.name)}</td><td colspan=12 style='color:#777'>no trials yet</td></tr>"
            )
            continue
        lo, hi = m.accuracy_ci_questions
        recall = pct(vr.recall.recall) if vr.recall is not None else "n/a"
        est = fmt.estimate_note(getattr(m, "tokens_estimated_share", 0.0))
        rows.append(
            f"<tr><td><b>{escape(vr.name)}</b></td><td align=center><b>{pct(m.accuracy)}</b> "
            f"<span style='color:#666'>[{pct(lo)}, {pct(hi)}]</span>"
            + (
                f" <span class='wb-errors' style='color:#a15c00'>({m.n_errors} errored)</span>"
                if m.n_errors
                else ""
            )
            + "</td>"
            f"<td align=center>{pct(m.pass_k)} <span style='color:#666'>(k={m.k})</span></td>"
            f"<td align=center>{pct(m.valid_rate)}</td><td align=center>{pct(m.semantic_valid_rate)}</td>"
            f"<td align=center>{recall}</td><td align=center class='wb-critic-recall'>{critic_pct(m.critic_recall)}</td>"
            f"<td align=center class='wb-critic-false-alarm'>{critic_pct(m.critic_false_alarm)}</td>"
            f"<td align=center>{fmt.count(m.tokens_in_mean, missing='n/a')}{est}</td>"
            f"<td align=center>{fmt_cost(m.cost_per_1k_questions)}{est}</td>"
            f"<td align=center>{fmt_ms(m.latency_ms_p50)} / {fmt_ms(m.latency_ms_p95)}</td>"
            f"<td align=center>{pct(m.cache_hit_rate)}</td><td align=center>{versus(comparisons.get(vr.name))}</td></tr>"
        )
    return (
        f"<div>run <b>{escape(str(view.run_id))}</b>: {len(view.questions)} questions, "
        f"{len(view.trials)} trials ({escape(view.run.status)})</div>"
        "<div style='overflow-x:auto;max-width:100%'>"
        "<table class='wb-metrics-table' style='font-size:12px;white-space:nowrap;border-collapse:collapse'>"
        f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def trial_html(t: dict[str, Any], now: int | None = None, *, gold: Any = None) -> str:
    """One logged trial in the dashboard's detail: outcome, the critic's warnings, the query in builder form
    with the clauses that differ from ``gold`` marked, the other findings and the result (open when wrong)."""
    ok = bool(t.get("correct"))
    badge = (
        f"<b style='color:{OK_COLOR if ok else ERROR_COLOR}'>{'correct' if ok else 'wrong'}</b>"
        f" <span style='color:#666'>({escape(str(t.get('outcome') or ''))})</span>"
    )
    error = f"<div style='color:{ERROR_COLOR}'>{escape(str(t['error']))}</div>" if t.get("error") else ""
    checks, critic = split_findings(t.get("findings"))
    return (
        f"<details {'open' if not ok else ''} class='wb-trial'><summary>trial {t['trial']}: {badge}</summary>"
        f"{error}{critic_html(critic)}{query_html(t.get('spec'), now, against=gold)}"
        f"{findings_html(checks, none='no validation findings' if critic else 'no findings')}"
        f"{result_table_html(t.get('result')) if t.get('result') else ''}</details>"
    )
