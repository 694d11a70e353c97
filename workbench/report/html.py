"""Static HTML reports of eval runs: one self-contained file to attach to a pull request or open offline.

``render_report(runs)`` takes runs from the experiment log or a bundle (``store.runs.Run``)
and returns one HTML page: the runs and their variants, metrics side by side with their
intervals, paired comparisons, charts (cost or tokens vs accuracy with the accuracy
interval, latency p50/p95) drawn as inline SVG, a question x variant grid of correct
trials, and every failure with the gold query, the model's query, its findings and SQL.

The page comes from Jinja2 templates (``templates/report.html.j2`` and its parts) with
autoescaping: every value from a model, the log or a bundle is text, never markup. Style
and script are inline and the Content-Security-Policy allows only those two blocks, by
hash, and fetches nothing, so the report looks the same offline and a crafted bundle
cannot run script in it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench.core import format as fmt
from workbench.core.templates import render
from workbench.evaluation.metrics import QuestionCounts, counts_by_question
from workbench.report.assets import CSS, JS, content_security_policy
from workbench.report.questions import failures, grid
from workbench.report.svg import Bar, Point, bars, scatter

__all__ = ["render_report", "write_report"]

#: failing questions shown per variant (the grid still counts every trial)
MAX_FAILURES = 200


@dataclass(frozen=True)
class _Column:
    """One (run, variant) pair: a column of the metrics table and the grid."""

    index: int
    label: str
    run: Any  # store.runs.Run
    variant: Any  # evaluation.run.VariantRun

    @property
    def metrics(self) -> Any:
        return self.variant.metrics

    def counts(self) -> dict[str, QuestionCounts]:
        return counts_by_question(self.variant.trials)


def write_report(runs: Sequence[Any], out: str | Path, **options: Any) -> Path:
    """Write ``render_report(runs)`` to ``out`` (UTF-8)."""
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_report(runs, **options), encoding="utf-8")
    return target


def render_report(
    runs: Sequence[Any],
    *,
    title: str | None = None,
    max_failures: int = MAX_FAILURES,
    generated_at: datetime | None = None,
) -> str:
    """One self-contained HTML page for ``runs`` (``store.runs.Run`` objects, from the log or a bundle).

    ``generated_at`` (default now) is the time in the footer.
    """
    from workbench.evaluation.run import EvalRun
    from workbench.export.artifact import workbench_version

    if not runs:
        raise ValueError("no runs to report")
    evals = [EvalRun.from_run(r) for r in runs]
    columns = _columns(runs, evals)
    questions = _questions(runs)
    if title is None:
        title = f"Run {runs[0].run_id}" if len(runs) == 1 else f"Comparison of {len(runs)} runs"
    return render(
        "workbench.report",
        "report.html.j2",
        title=title,
        csp=content_security_policy(CSS, JS),
        css=CSS,
        js=JS,
        n_variants=len(columns),
        n_questions=len(questions),
        runs=[_run_row(r) for r in runs],
        metrics=_metrics(columns),
        comparisons=_comparisons(evals),
        charts=_charts(columns),
        grid=grid(columns, questions),
        failures=failures(columns, questions, max_failures),
        variants=_variants(columns),
        conversations=_conversations(runs),
        version=workbench_version(),
        generated=(generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
    )


# --------------------------------------------------------------------------- pieces


def _conversations(runs: Sequence[Any]) -> list[dict[str, Any]]:
    """Chain metrics of the conversation runs (``eval --conversations``): a header and rows per run."""
    from workbench.evaluation.chains import chain_eval_from_run, chain_rows

    out = []
    for run in runs:
        result = chain_eval_from_run(run)
        if result is not None:
            rows = chain_rows(result)
            out.append({"run_id": run.run_id, "header": rows[0], "rows": rows[1:]})
    return out


def _columns(runs: Sequence[Any], evals: Sequence[Any]) -> list[_Column]:
    out = []
    for run, ev in zip(runs, evals, strict=True):
        for v in ev.variants:
            label = v.name if len(runs) == 1 else f"{v.name} ({run.run_id})"
            out.append(_Column(len(out), label, run, v))
    return out


def _questions(runs: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """Question id -> its record (text, gold, accept, tags), in the runs' order."""
    out: dict[str, dict[str, Any]] = {}
    for run in runs:
        for q in run.questions:
            out.setdefault(str(q["question_id"]), q)
        for t in run.trials:  # trials of questions the run did not record (never in practice)
            out.setdefault(
                str(t["question_id"]), {"question_id": t["question_id"], "question": "", "gold": None}
            )
    return out


def _run_row(run: Any) -> dict[str, Any]:
    s = run.summary
    imported = (s.settings or {}).get("imported_from")
    created = s.created_at
    return {
        "id": s.run_id,
        "imported_from": str(imported.get("run_id")) if isinstance(imported, dict) else None,
        "name": s.name or "",
        "created": f"{created:%Y-%m-%d %H:%M} UTC" if isinstance(created, datetime) else str(created),
        "status": s.status,
        "question_set": f"{s.question_set_name or fmt.DASH} "
        f"({s.n_questions if s.n_questions is not None else '?'} questions)",
        "trials_per_question": s.trials_per_question,
        "n_trials": s.n_trials,
        "dataset": s.dataset_identity or fmt.DASH,
        "variants": ", ".join(map(str, s.variants)),
    }


#: a metrics-table cell: the value and, for accuracies, its interval
_Cell = tuple[str, str | None]


def _metric_rows(k_label: str) -> list[tuple[str, Callable[[Any], _Cell]]]:
    def one(text: str) -> _Cell:
        return text, None

    return [
        ("accuracy [95% CI, by question]", lambda m: (fmt.pct(m.accuracy), fmt.ci(m.accuracy_ci_questions))),
        ("accuracy [95% Wilson, by trial]", lambda m: (fmt.pct(m.accuracy), fmt.ci(m.accuracy_ci))),
        ("answered / errored trials", lambda m: one(f"{m.n_answered} / {m.n_errors}")),
        ("pass@1", lambda m: one(fmt.pct(m.pass_at_1))),
        (k_label, lambda m: one(fmt.pct(m.pass_k))),
        ("valid rate", lambda m: one(fmt.pct(m.valid_rate))),
        ("semantic valid rate", lambda m: one(fmt.pct(m.semantic_valid_rate))),
        ("repair rate", lambda m: one(fmt.pct(m.repair_rate))),
        ("critic recall (wrong trials warned)", lambda m: one(fmt.pct(m.critic_recall, missing="-"))),
        (
            "critic false alarm (correct trials warned)",
            lambda m: one(fmt.pct(m.critic_false_alarm, missing="-")),
        ),
        ("outcomes", lambda m: one(", ".join(f"{o} {n}" for o, n in sorted(m.outcomes.items())) or fmt.DASH)),
        ("tokens in (mean)", lambda m: one(fmt.count(m.tokens_in_mean) + _est(m))),
        ("tokens out (mean)", lambda m: one(fmt.count(m.tokens_out_mean) + _est(m))),
        ("cost (total)", lambda m: one(fmt.money(m.cost_usd) + _est(m))),
        ("cost / 1k questions", lambda m: one(fmt.money(m.cost_per_1k_questions) + _est(m))),
        ("latency p50 (calls that reached the model)", lambda m: one(fmt.ms(m.latency_ms_p50))),
        ("latency p95", lambda m: one(fmt.ms(m.latency_ms_p95))),
        ("latency p99", lambda m: one(fmt.ms(m.latency_ms_p99))),
        ("cache hits", lambda m: one(f"{m.cache_hits}/{m.n_trials}")),
        ("trials", lambda m: one(f"{m.n_trials} ({m.n_questions} questions)")),
    ]


def _est(m: Any) -> str:
    """Marks token counts and costs built from estimated counts."""
    return fmt.estimate_note(getattr(m, "tokens_estimated_share", 0.0))


def _metrics(columns: Sequence[_Column]) -> dict[str, Any] | None:
    shown = [c for c in columns if c.metrics is not None]
    if not shown:
        return None
    ks = sorted({c.metrics.k for c in shown})
    k_label = f"pass^{ks[0]}" if len(ks) == 1 else "pass^k (k per column)"
    rows = [(label, [fn(c.metrics) for c in shown]) for label, fn in _metric_rows(k_label)]
    recall = [
        (fmt.pct(c.variant.recall.recall) if c.variant.recall is not None else fmt.DASH, None) for c in shown
    ]
    rows.append(("column recall (gold columns kept)", recall))
    return {"labels": [c.label for c in shown], "rows": rows}


def _comparisons(evals: Sequence[Any]) -> list[str]:
    from workbench.evaluation.metrics import paired_comparison
    from workbench.evaluation.text import comparison_line, pair_variants

    lines = []
    for ev in evals:
        base = ev.variants[0].name if ev.variants else ""
        prefix = f"run {ev.run_id}: " if len(evals) > 1 else ""
        for name, c in ev.comparisons().items():
            lines.append(prefix + comparison_line(base, name, c))
    first = evals[0]
    for other in evals[1:]:
        for va, vb in pair_variants(first, other):
            try:
                c = paired_comparison(va.trials, vb.trials)
            except ValueError:
                continue
            lines.append(comparison_line(f"{va.name} ({first.run_id})", f"{vb.name} ({other.run_id})", c))
    return lines


def _charts(columns: Sequence[_Column]) -> dict[str, Any] | None:
    shown = [c for c in columns if c.metrics is not None]
    if not shown:
        return None
    # by cost only when every cost is known: an unknown price must not be drawn at $0
    known = all(c.metrics.cost_usd is not None for c in shown)
    priced = known and any(c.metrics.cost_usd > 0 for c in shown)
    points = [
        Point(
            c.label,
            (c.metrics.cost_per_1k_questions if priced else c.metrics.tokens_in_mean) or 0.0,
            c.metrics.accuracy,
            *c.metrics.accuracy_ci_questions,
        )
        for c in shown
    ]
    x_label = (
        "cost per 1,000 questions (USD)"
        if priced
        else "mean input tokens per question " + ("(the model is free)" if known else "(a price is unknown)")
    )
    latency = [Bar(c.label, (c.metrics.latency_ms_p50, c.metrics.latency_ms_p95)) for c in shown]
    return {
        "scatter": scatter(points, x_label=x_label, y_label="accuracy (95% CI)", title="cost vs accuracy"),
        "scatter_caption": f"{x_label.capitalize()} vs accuracy.",
        "latency": bars(latency, series=("p50", "p95"), unit=" ms", title="latency"),
    }


def _variants(columns: Sequence[_Column]) -> list[dict[str, Any]]:
    out = []
    for col in columns:
        record = next((v for v in col.run.variants if v.get("variant") == col.variant.name), {})
        params = record.get("params") or {}
        out.append(
            {
                "label": col.label,
                "model": str(record.get("model") or fmt.DASH),
                "hash": str(record.get("variant_hash") or fmt.DASH)[:12],
                "params": json.dumps(params, default=str) if params else "",
                "text": str(record.get("variant_text") or ""),
            }
        )
    return out
