"""Plain-text reports of evals: the side-by-side metrics table, comparisons, run lists, run vs run.

Pure functions from :class:`~workbench.evaluation.run.EvalRun` (and ``runs.RunSummary``) to
text, shared by ``workbench eval``, ``workbench runs`` and ``workbench compare``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from workbench.core import format as fmt
from workbench.core.errors import ConfigError
from workbench.evaluation.metrics import (
    PairedComparison,
    QuestionCounts,
    VariantMetrics,
    counts_by_question,
    paired_comparison,
)
from workbench.evaluation.run import EvalRun, VariantRun
from workbench.spec.matching import DIFF_PARTS, OUTCOMES

__all__ = [
    "VariantMatch", "compare_runs", "comparison_line", "match_variants", "metrics_table", "pair_variants",
    "run_header", "runs_table",
]  # fmt: skip


def _pct(x: float | None) -> str:
    return fmt.pct(x, missing="-")


Row = tuple[str, Callable[[VariantRun, VariantMetrics], str]]


def _outcomes(m: VariantMetrics) -> str:
    return " ".join(f"{o[:3]} {m.outcomes[o]}" for o in reversed(OUTCOMES) if m.outcomes.get(o))


def _wrong_parts(v: VariantRun, _: VariantMetrics) -> str:
    """Which spec parts differ from the gold, over the trials that executed but were wrong."""
    parts: Counter[str] = Counter()
    for t in v.rows:
        if t.get("outcome") == "wrong" and t.get("diff"):
            parts.update(p for p in DIFF_PARTS if t["diff"].get(p))
    return " ".join(f"{p} {n}" for p, n in parts.most_common(3)) or "-"


def _note(m: VariantMetrics) -> str:
    return fmt.estimate_note(getattr(m, "tokens_estimated_share", 0.0))


def _tokens(value: float | None, m: VariantMetrics) -> str:
    return fmt.count(value, missing="-") + ("" if value is None else _note(m))


def _retries(m: VariantMetrics) -> str:
    lost = getattr(m, "retry_ms_total", 0.0)
    return f" (+{lost / 1000:.1f} s lost to retries)" if lost >= 100 else ""


def _cache_hits(v: VariantRun, m: VariantMetrics) -> str:
    lookup = (
        "" if m.cache_hit_latency_ms_p50 is None else f", lookup p50 {fmt.ms(m.cache_hit_latency_ms_p50)}"
    )
    return f"{m.cache_hits}/{m.n_trials}{lookup}"


def _opt_pct(value: float | None) -> str:
    return "-" if value is None else _pct(value)


def _rows(k: int) -> list[Row]:
    return [
        ("accuracy [95% CI]", lambda v, m: f"{_pct(m.accuracy)} {fmt.ci(m.accuracy_ci_questions, digits=0)}"),
        ("answered / errored", lambda v, m: f"{m.n_answered} / {m.n_errors}"),
        ("pass@1", lambda v, m: _pct(m.pass_at_1)),
        (f"pass^{k}", lambda v, m: _pct(m.pass_k)),
        ("valid rate", lambda v, m: _pct(m.valid_rate)),
        ("semantic valid", lambda v, m: _pct(m.semantic_valid_rate)),
        (
            "repair success",
            lambda v, m: "-" if m.repair_success_rate is None else _pct(m.repair_success_rate),
        ),
        (
            "repairs on warnings",
            lambda v, m: (
                "-"
                if not m.warning_repairs
                else f"{m.warning_repairs} ({_pct(m.warning_repair_success)} correct)"
            ),
        ),
        ("outcomes", lambda v, m: _outcomes(m)),
        (
            "critic recall / false alarm",
            lambda v, m: f"{_opt_pct(m.critic_recall)} / {_opt_pct(m.critic_false_alarm)}",
        ),
        (
            "agreement AUROC",
            lambda v, m: "-" if m.confidence_auroc is None else f"{m.confidence_auroc:.2f}",
        ),
        ("wrong parts", _wrong_parts),
        ("tokens in (mean)", lambda v, m: _tokens(m.tokens_in_mean, m)),
        ("tokens out (mean)", lambda v, m: _tokens(m.tokens_out_mean, m)),
        ("cost / 1k questions", lambda v, m: fmt.money(m.cost_per_1k_questions) + _note(m)),
        (
            "latency p50 / p95",
            lambda v, m: (
                f"{fmt.ms(m.latency_ms_p50, unit=False, missing='-')} / "
                f"{fmt.ms(m.latency_ms_p95, unit=False, missing='-')} ms ({m.n_timed} calls){_retries(m)}"
            ),
        ),
        ("cache hits", _cache_hits),
        ("column recall", lambda v, m: "-" if v.recall is None else _pct(v.recall.recall)),
        ("trials", lambda v, m: f"{m.n_trials} ({m.n_questions} questions)"),
    ]


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def metrics_table(variants: Sequence[VariantRun], k: int | None = None) -> str:
    """Metrics (rows) side by side for each variant (columns)."""
    shown = [v for v in variants if v.metrics is not None]
    if not shown:
        return "(no finished trials)"
    k = k or min(v.metrics.k for v in shown)  # type: ignore[union-attr]
    rows = [[label, *(fn(v, v.metrics) for v in shown)] for label, fn in _rows(k)]  # type: ignore[arg-type]
    return _table(["", *(v.name for v in shown)], rows)


def comparison_line(baseline: str, candidate: str, c: PairedComparison) -> str:
    """``naive -> compact: +6.7 points [-1.7, +15.0], 5 wins / 1 loss / 54 ties, sign test p=0.22``"""
    return (
        f"{candidate} vs {baseline}: {100 * c.difference:+.1f} points "
        f"{fmt.signed_ci(c.ci)} on {c.n_questions} questions, "
        f"{c.wins} better / {c.losses} worse / {c.ties} same, sign test p={c.p_value:.3g}"
    )


def run_header(run: EvalRun) -> str:
    qs = run.question_set.get("name") or "questions"
    head = (
        f"run {run.run_id or '(not recorded)'}: {len(run.variants)} variant(s) x {len(run.questions)} questions "
        f"({qs}) x {run.trials_per_question} trial(s) = {run.n_trials}/{run.expected_trials} trials"
    )
    wall = run.timings.get("wall_s")
    if wall:
        head += f", {wall:.1f} s"
    if run.status not in ("finished", "running"):
        head += f" [{run.status}]"
    return head


def runs_table(summaries: Sequence[Any]) -> str:
    """``workbench runs``: one line per run, newest first."""
    if not summaries:
        return "(no runs yet: start one with `workbench eval`)"
    rows = []
    for s in summaries:
        expected = s.expected_trials
        rows.append([
            s.run_id, f"{s.created_at:%Y-%m-%d %H:%M}", s.status, s.question_set_name or "-",
            ", ".join(s.variants), f"{s.n_trials}/{expected if expected is not None else '?'}",
            _pct(s.accuracy), str(getattr(s, "n_errors", 0)),
        ])  # fmt: skip
    header = ["run", "created (UTC)", "status", "questions", "variants", "trials", "accuracy", "errors"]
    return _table(header, rows)


# --------------------------------------------------------------------------- run vs run


@dataclass(frozen=True)
class VariantMatch:
    """Which variants of two runs are compared: ``pairs``, the ``warnings`` (a name whose content
    differs), and what was left out (``only_a``, ``only_b``: variant names)."""

    pairs: list[tuple[VariantRun, VariantRun]]
    warnings: list[str]
    only_a: list[str]
    only_b: list[str]


def match_variants(a: EvalRun, b: EvalRun, pairs: Sequence[str] = ()) -> VariantMatch:
    """Pair the variants of two runs by content hash (a variant without a recorded hash, by name).

    ``pairs`` (``"A:B"``: a variant of run ``a``, one of run ``b``) are the user's choice and
    replace the automatic matching. A variant whose name is in both runs but whose content
    differs is not compared automatically: a warning says so and how to compare it anyway.
    """
    if pairs:
        chosen = []
        for spec in pairs:
            left, sep, right = spec.partition(":")
            if not sep or not left or not right:
                raise ConfigError(
                    f"--pair {spec!r} is not A:B", "name a variant of each run, e.g. --pair naive:compact"
                )
            chosen.append((a.variant(left), b.variant(right)))
        used_a, used_b = {x.name for x, _ in chosen}, {y.name for _, y in chosen}
        return VariantMatch(chosen, [], [v.name for v in a.variants if v.name not in used_a],
                            [v.name for v in b.variants if v.name not in used_b])  # fmt: skip
    matched: list[tuple[VariantRun, VariantRun]] = []
    warnings, taken = [], set()
    for va in a.variants:
        vb = next((v for v in b.variants if id(v) not in taken and va.hash and v.hash == va.hash), None)
        if vb is None:
            same = next((v for v in b.variants if id(v) not in taken and v.name == va.name), None)
            if same is not None and (not va.hash or not same.hash):
                vb = same  # no content hash recorded: the name is all there is
            elif same is not None:
                warnings.append(
                    f"warning: variant {va.name!r} has other content in run B ({(va.hash or '')[:12]} vs "
                    f"{(same.hash or '')[:12]}): not compared; compare it anyway with --pair {va.name}:{same.name}"
                )
        if vb is not None:
            taken.add(id(vb))
            matched.append((va, vb))
    used_a = {id(x) for x, _ in matched}
    return VariantMatch(matched, warnings, [v.name for v in a.variants if id(v) not in used_a],
                        [v.name for v in b.variants if id(v) not in taken])  # fmt: skip


def pair_variants(a: EvalRun, b: EvalRun) -> list[tuple[VariantRun, VariantRun]]:
    """Variants to compare: the same content (``match_variants``)."""
    return match_variants(a, b).pairs


def compare_runs(a: EvalRun, b: EvalRun, pairs: Sequence[str] = ()) -> tuple[str, dict[str, Any]]:
    """Side-by-side metrics and per-question wins/losses of run ``b`` against run ``a``: (text, JSON).

    Variants are paired by content (``match_variants``; ``pairs`` picks them by hand).
    """
    lines = [f"A = {run_header(a)}", f"B = {run_header(b)}"]
    if a.question_set.get("hash") != b.question_set.get("hash"):
        lines.append("note: the runs used different question sets; compared on the questions they share")
    da, db = a.dataset.get("identity"), b.dataset.get("identity")
    if da and db and da != db:
        lines.append(
            f"note: the runs used different datasets ({da} vs {db}): the same question may have another "
            "right answer, so a difference can come from the data, not the prompt"
        )
    match = match_variants(a, b, pairs)
    lines += match.warnings
    for label, names in (("A", match.only_a), ("B", match.only_b)):
        if names:
            lines.append(f"not compared (run {label} only): {', '.join(names)}")
    if not match.pairs:
        lines.append("no variant of A has the same content as one of B: pick pairs with --pair A:B")
    pairs_json = [_compare_pair(a, b, va, vb, lines) for va, vb in match.pairs]
    data = {"a": a.run_id, "b": b.run_id, "pairs": pairs_json, "warnings": match.warnings,
            "not_compared": {"a": match.only_a, "b": match.only_b}}  # fmt: skip
    return "\n".join(lines), data


def _compare_pair(a: EvalRun, b: EvalRun, va: VariantRun, vb: VariantRun, lines: list[str]) -> dict[str, Any]:
    left = VariantRun(f"A: {va.name}", va.trials, recall=va.recall, k=va.k, metric_rows=va.metric_rows)
    right = VariantRun(f"B: {vb.name}", vb.trials, recall=vb.recall, k=vb.k, metric_rows=vb.metric_rows)
    lines += ["", metrics_table([left, right])]
    entry: dict[str, Any] = {
        "a": {"run_id": a.run_id, "variant": va.name, "hash": va.hash, "metrics": _m(va)},
        "b": {"run_id": b.run_id, "variant": vb.name, "hash": vb.hash, "metrics": _m(vb)},
        "same_content": bool(va.hash and va.hash == vb.hash),
    }
    try:
        c = paired_comparison(va.rows, vb.rows)
    except ValueError:
        lines.append("no question in common")
        return entry
    na, nb = counts_by_question(va.rows), counts_by_question(vb.rows)
    wins = [q for q, d in c.per_question.items() if d > 0]
    losses = [q for q, d in c.per_question.items() if d < 0]
    lines.append(comparison_line(f"A: {va.name}", f"B: {vb.name}", c))
    for label, ids in (("B right, A wrong", wins), ("A right, B wrong", losses)):
        shown = ", ".join(f"{q} ({_frac(na[q])} -> {_frac(nb[q])})" for q in ids)
        lines.append(f"{label} ({len(ids)}): {shown or '-'}")
    entry.update(comparison=c.to_dict(), wins=wins, losses=losses)
    return entry


def _frac(counts: QuestionCounts) -> str:
    return f"{counts.correct}/{counts.trials}"


def _m(v: VariantRun) -> dict[str, Any] | None:
    return None if v.metrics is None else v.metrics.to_dict()
