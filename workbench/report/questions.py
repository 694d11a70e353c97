"""The report's per-question sections: the question x variant grid, and each failure with its query and findings.

A *column* is one (run, variant) pair with ``index``, ``label``, ``variant`` (an
``eval_run.VariantRun``) and ``counts()`` (question id -> correct, trials); see ``report.py``.
Everything from a model or a file is HTML-escaped.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from html import escape
from typing import Any

__all__ = ["failures_html", "grid_html"]


def _latency(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f} ms"


def _anchor(column: Any, question_id: str) -> str:
    """A unique element id for one column's failures of one question."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", question_id)
    if safe != question_id:  # two ids may sanitise alike: tell them apart
        safe += "-" + hashlib.sha1(question_id.encode("utf-8")).hexdigest()[:8]
    return f"f{column.index}-{safe}"


def _cell_class(c: int, n: int) -> str:
    return "none" if n == 0 else "ok" if c == n else "bad" if c == 0 else "partial"


def grid_html(columns: Sequence[Any], questions: dict[str, dict[str, Any]]) -> str:
    counts = [c.counts() for c in columns]
    head = (
        "<tr><th>id</th><th>question</th>"
        + "".join(f'<th class="num">{escape(c.label)}</th>' for c in columns)
        + "</tr>"
    )
    rows = []
    for qid, q in questions.items():
        cells, all_correct = [], True
        for col, cnt in zip(columns, counts, strict=True):
            c, n = cnt.get(qid, (0, 0))
            all_correct = all_correct and n > 0 and c == n
            text = f"{c}/{n}" if n else "–"
            if n and c < n:
                text = f'<a href="#{_anchor(col, qid)}">{text}</a>'
            cells.append(
                f'<td class="cell {_cell_class(c, n)}" title="{escape(col.label)}: {c} of {n} correct">{text}</td>'
            )
        tags = ", ".join(q.get("tags") or ())
        tag_html = f' <span class="muted">[{escape(tags)}]</span>' if tags else ""
        rows.append(
            f'<tr data-all-correct="{int(all_correct)}"><td><code>{escape(qid)}</code></td>'
            f'<td class="q">{escape(q.get("question") or "")}{tag_html}</td>' + "".join(cells) + "</tr>"
        )
    toggle = '<p><label><input type="checkbox" id="only-failing"> only questions some variant got wrong</label></p>'
    legend = (
        '<p class="muted">Correct trials out of trials per question. '
        '<span class="ok">&nbsp;all&nbsp;</span> <span class="partial">&nbsp;some&nbsp;</span> '
        '<span class="bad">&nbsp;none&nbsp;</span>; a link opens the failures below.</p>'
    )
    return (
        toggle
        + legend
        + '\n<table class="grid">\n<thead>'
        + head
        + "</thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )


def _json(value: Any) -> str:
    return escape(json.dumps(value, ensure_ascii=False, default=str))


def _findings(findings: Sequence[Any] | None) -> str:
    if not findings:
        return '<p class="muted">no findings</p>'
    items = []
    for item in findings:
        f = (
            item
            if isinstance(item, dict)
            else item.to_dict()
            if hasattr(item, "to_dict")
            else {"message": str(item)}
        )
        sev = str(f.get("severity") or "info")
        where = f" at <code>{escape(str(f['path']))}</code>" if f.get("path") else ""
        fix = (
            f' <span class="muted">Suggestion: {escape(str(f["suggestion"]))}</span>'
            if f.get("suggestion")
            else ""
        )
        items.append(
            f'<div class="finding"><span class="sev-{escape(sev)}">{escape(sev)}</span> '
            f"<code>{escape(str(f.get('code') or ''))}</code>{where}: {escape(str(f.get('message') or ''))}{fix}</div>"
        )
    return "\n".join(items)


def _trial_html(t: dict[str, Any]) -> str:
    parts = [
        f'<div class="trial"><div class="kv"><b>trial</b><span>{int(t.get("trial") or 0)}</span>'
        f"<b>outcome</b><span>{escape(str(t.get('outcome') or ('wrong' if t.get('valid') else 'invalid')))}</span>"
        f"<b>valid</b><span>{'yes' if t.get('valid') else 'no'}</span>"
        f"<b>latency</b><span>{_latency(t.get('latency_ms'))}</span>"
    ]
    diff = t.get("diff")
    if isinstance(diff, dict):
        differing = [k for k, v in diff.items() if v and k != "details"]
        if differing:
            parts.append(f"<b>differs in</b><span>{escape(', '.join(differing))}</span>")
    parts.append("</div>")
    if t.get("spec") is not None:
        parts.append(f"<h3>model's query</h3><pre>{_json(t['spec'])}</pre>")
    else:
        raw = t.get("raw_output")
        text = (
            raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str) if raw else ""
        )
        parts.append('<h3>model\'s query</h3><p class="muted">none</p>')
        if text:
            parts.append(f"<pre>{escape(text[:4000])}</pre>")
    parts.append("<h3>findings</h3>" + _findings(t.get("findings")))
    if t.get("sql"):
        parts.append(f"<h3>SQL</h3><pre>{escape(str(t['sql']))}</pre>")
    if t.get("error"):
        parts.append(f"<h3>error</h3><pre>{escape(str(t['error']))}</pre>")
    parts.append("</div>")
    return "\n".join(parts)


def failures_html(columns: Sequence[Any], questions: dict[str, dict[str, Any]], max_failures: int) -> str:
    out = []
    for col in columns:
        failed: dict[str, list[dict[str, Any]]] = {}
        for t in sorted(col.variant.trials, key=lambda t: (str(t["question_id"]), int(t.get("trial") or 0))):
            if not t.get("correct"):
                failed.setdefault(str(t["question_id"]), []).append(t)
        out.append(f"<h3>{escape(col.label)}: {len(failed)} question(s) with failures</h3>")
        order = [q for q in questions if q in failed]
        counts = col.counts()
        for qid in order[:max_failures]:
            q = questions.get(qid, {})
            trials = failed[qid]
            n = counts.get(qid, (0, 0))[1]
            gold = q.get("gold")
            accept = q.get("accept") or []
            body = []
            if gold is not None:
                body.append(f"<h3>gold query</h3><pre>{_json(gold)}</pre>")
            if accept:
                body.append(f"<h3>also accepted</h3><pre>{_json(accept)}</pre>")
            body += [_trial_html(t) for t in trials]
            out.append(
                f'<details id="{_anchor(col, qid)}"><summary><code>{escape(qid)}</code> '
                f"{len(trials)} of {n} trial(s) wrong: {escape(q.get('question') or '')}</summary>\n"
                + "\n".join(body)
                + "\n</details>"
            )
        if len(order) > max_failures:
            out.append(f'<p class="muted">{len(order) - max_failures} more not shown.</p>')
    return "\n".join(out)
