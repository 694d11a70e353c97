"""Static HTML reports of eval runs: one self-contained file to attach to a pull request or open offline.

``render_report(runs)`` takes runs from the experiment log or a bundle (``runs.Run``) and
returns one HTML page: the runs and their variants, metrics side by side with their
intervals, paired comparisons, charts (cost or tokens vs accuracy with the accuracy
interval, latency p50/p95) drawn as inline SVG, a question x variant grid of correct
trials, and every failure with the gold query, the model's query, its findings and SQL.

Everything is inline (style, a few lines of script, SVG) and a Content-Security-Policy
forbids fetching anything, so the report looks the same offline. Every value that came
from a model or a file is HTML-escaped: model output is untrusted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from workbench.report.assets import CSP, CSS, JS
from workbench.report.questions import failures_html, grid_html
from workbench.report.svg import Bar, Point, bars, scatter

__all__ = ["render_report", "write_report"]

#: failing questions shown per variant (the grid still counts every trial)
MAX_FAILURES = 200


@dataclass(frozen=True)
class _Column:
    """One (run, variant) pair: a column of the metrics table and the grid."""

    index: int
    label: str
    run: Any  # runs.Run
    variant: Any  # eval_run.VariantRun

    @property
    def metrics(self) -> Any:
        return self.variant.metrics

    def counts(self) -> dict[str, tuple[int, int]]:
        out: dict[str, list[int]] = {}
        for t in self.variant.trials:
            nc = out.setdefault(str(t["question_id"]), [0, 0])
            nc[0] += bool(t.get("correct"))
            nc[1] += 1
        return {q: (c, n) for q, (c, n) in out.items()}


def write_report(runs: Sequence[Any], out: str | Path, **options: Any) -> Path:
    """Write ``render_report(runs)`` to ``out`` (UTF-8)."""
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_report(runs, **options), encoding="utf-8")
    return target


def render_report(runs: Sequence[Any], *, title: str | None = None, max_failures: int = MAX_FAILURES) -> str:
    """One self-contained HTML page for ``runs`` (``runs.Run`` objects, e.g. ``RunStore.load_run`` or a bundle's)."""
    from workbench.evaluation.run import EvalRun

    if not runs:
        raise ValueError("no runs to report")
    evals = [EvalRun.from_run(r) for r in runs]
    columns = _columns(runs, evals)
    questions = _questions(runs)
    if title is None:
        title = f"Run {runs[0].run_id}" if len(runs) == 1 else f"Comparison of {len(runs)} runs"
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="muted">Query Workbench eval report: {len(columns)} variant(s), {len(questions)} question(s).</p>',
        _runs_table(runs),
        "<h2>Metrics</h2>",
        _metrics_table(columns),
        _comparisons(evals),
        "<h2>Charts</h2>",
        _charts(columns),
        "<h2>Questions</h2>",
        grid_html(columns, questions),
        "<h2>Failures</h2>",
        failures_html(columns, questions, max_failures),
        "<h2>Variants</h2>",
        _variants(columns),
        _footer(),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + f"\n<script>{JS}</script>\n</body>\n</html>\n"
    )


# --------------------------------------------------------------------------- pieces


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


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _ms(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f} ms"


def _num(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f}"


def _money(x: float | None) -> str:
    if x is None:
        return "–"
    return "$0" if x == 0 else f"${x:.4f}" if x < 1 else f"${x:,.2f}"


def _ci(pair: Sequence[float]) -> str:
    return f' <span class="ci">[{100 * pair[0]:.1f}, {100 * pair[1]:.1f}]</span>'


def _runs_table(runs: Sequence[Any]) -> str:
    rows = []
    for run in runs:
        s = run.summary
        qs = f"{s.question_set_name or '–'} ({s.n_questions if s.n_questions is not None else '?'} questions)"
        imported = (s.settings or {}).get("imported_from")
        origin = (
            f'<br><span class="muted">imported from {escape(str(imported.get("run_id")))}</span>'
            if imported
            else ""
        )
        rows.append(
            "<tr>"
            f"<td><code>{escape(s.run_id)}</code>{origin}</td><td>{escape(s.name or '')}</td>"
            f"<td>{s.created_at:%Y-%m-%d %H:%M} UTC</td><td>{escape(s.status)}</td><td>{escape(qs)}</td>"
            f'<td class="num">{s.trials_per_question}</td><td class="num">{s.n_trials}</td>'
            f"<td>{escape(s.dataset_identity or '–')}</td><td>{escape(', '.join(s.variants))}</td>"
            "</tr>"
        )
    head = (
        "<tr><th>run</th><th>name</th><th>created</th><th>status</th><th>question set</th>"
        '<th class="num">trials / question</th><th class="num">trials</th><th>dataset</th><th>variants</th></tr>'
    )
    return f"<table>\n<thead>{head}</thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>"


_MetricRow = tuple[str, Callable[[Any], str]]


def _metric_rows(k_label: str) -> list[_MetricRow]:
    return [
        ("accuracy [95% CI, by question]", lambda m: _pct(m.accuracy) + _ci(m.accuracy_ci_questions)),
        ("accuracy [95% Wilson, by trial]", lambda m: _pct(m.accuracy) + _ci(m.accuracy_ci)),
        ("pass@1", lambda m: _pct(m.pass_at_1)),
        (k_label, lambda m: _pct(m.pass_k)),
        ("valid rate", lambda m: _pct(m.valid_rate)),
        ("semantic valid rate", lambda m: _pct(m.semantic_valid_rate)),
        ("repair rate", lambda m: _pct(m.repair_rate)),
        ("outcomes", lambda m: escape(", ".join(f"{o} {n}" for o, n in sorted(m.outcomes.items()))) or "–"),
        ("tokens in (mean)", lambda m: _num(m.tokens_in_mean)),
        ("tokens out (mean)", lambda m: _num(m.tokens_out_mean)),
        ("cost (total)", lambda m: _money(m.cost_usd)),
        ("cost / 1k questions", lambda m: _money(m.cost_per_1k_questions)),
        ("latency p50", lambda m: _ms(m.latency_ms_p50)),
        ("latency p95", lambda m: _ms(m.latency_ms_p95)),
        ("latency p99", lambda m: _ms(m.latency_ms_p99)),
        ("cache hits", lambda m: f"{m.cache_hits}/{m.n_trials}"),
        ("trials", lambda m: f"{m.n_trials} ({m.n_questions} questions)"),
    ]


def _metrics_table(columns: Sequence[_Column]) -> str:
    shown = [c for c in columns if c.metrics is not None]
    if not shown:
        return '<p class="muted">No finished trials.</p>'
    ks = sorted({c.metrics.k for c in shown})
    k_label = f"pass^{ks[0]}" if len(ks) == 1 else "pass^k (k per column)"
    head = "<tr><th></th>" + "".join(f'<th class="num">{escape(c.label)}</th>' for c in shown) + "</tr>"
    rows = [
        f"<tr><td>{escape(label)}</td>"
        + "".join(f'<td class="num">{fn(c.metrics)}</td>' for c in shown)
        + "</tr>"
        for label, fn in _metric_rows(k_label)
    ]
    return (
        '<table class="metrics">\n<thead>'
        + head
        + "</thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )


def _comparisons(evals: Sequence[Any]) -> str:
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
    if not lines:
        return ""
    items = "\n".join(f"<li>{escape(line)}</li>" for line in lines)
    return (
        '<h3>Paired comparisons</h3>\n<p class="muted">Per-question accuracy difference against the baseline, '
        f"with a paired bootstrap 95% interval and the exact sign test.</p>\n<ul>\n{items}\n</ul>"
    )


def _charts(columns: Sequence[_Column]) -> str:
    shown = [c for c in columns if c.metrics is not None]
    if not shown:
        return ""
    priced = any((c.metrics.cost_usd or 0) > 0 for c in shown)
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
        "cost per 1,000 questions (USD)" if priced else "mean input tokens per question (the model is free)"
    )
    first = scatter(points, x_label=x_label, y_label="accuracy (95% CI)", title="cost vs accuracy")
    latency = bars(
        [Bar(c.label, (c.metrics.latency_ms_p50, c.metrics.latency_ms_p95)) for c in shown],
        series=("p50", "p95"),
        unit=" ms",
        title="latency",
    )
    return f'<div class="charts">\n<figure>{first}<figcaption>{escape(x_label.capitalize())} vs accuracy.</figcaption></figure>\n<figure>{latency}<figcaption>Latency per trial (all attempts), p50 and p95.</figcaption></figure>\n</div>'


def _variants(columns: Sequence[_Column]) -> str:
    out = []
    for col in columns:
        record = next((v for v in col.run.variants if v.get("variant") == col.variant.name), {})
        params = record.get("params") or {}
        meta = (
            f"model <code>{escape(str(record.get('model') or '–'))}</code>, hash "
            f"<code>{escape(str(record.get('variant_hash') or '–')[:12])}</code>"
            + (f", {escape(json.dumps(params, default=str))}" if params else "")
        )
        text = record.get("variant_text")
        yaml_html = f"<pre>{escape(text)}</pre>" if text else '<p class="muted">no variant text recorded</p>'
        out.append(f"<details><summary>{escape(col.label)}: {meta}</summary>\n{yaml_html}\n</details>")
    return "\n".join(out)


def _footer() -> str:
    from workbench.export.artifact import workbench_version

    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"<footer>Generated by Query Workbench {escape(workbench_version())} on {now}. "
        "Self-contained: opens offline, fetches nothing.</footer>"
    )
