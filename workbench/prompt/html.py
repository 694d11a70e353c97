"""HTML previews for notebooks: ``Prompt._repr_html_`` and ``RenderedPrompt._repr_html_``."""

from __future__ import annotations

from html import escape
from typing import Any

# ``r`` is a ``rendered.RenderedPrompt`` and ``p`` a ``render.Prompt``; not imported here,
# because both import this module for their ``_repr_html_`` (no cycle).

_COLORS = {
    "instructions": "#4e79a7",
    "schema": "#f28e2b",
    "examples": "#59a14f",
    "question": "#e15759",
    "tools": "#b07aa1",
    "format": "#bab0ac",
}


def sections_bar(sections: dict[str, int], total: int) -> str:
    """One stacked bar plus a table: the share of each section in the prompt."""
    total = max(total, 1)
    bar = "".join(
        f'<div title="{escape(name)}: {n}" style="width:{100 * max(n, 0) / total:.2f}%;'
        f'background:{_COLORS.get(name, "#888")};height:14px"></div>'
        for name, n in sections.items()
    )
    rows = "".join(
        f"<tr><td><span style='color:{_COLORS.get(name, '#888')}'>&#9632;</span> {escape(name)}</td>"
        f"<td style='text-align:right'>{n:,}</td><td style='text-align:right'>{100 * n / total:.1f}%</td></tr>"
        for name, n in sections.items()
    )
    return (
        f'<div style="display:flex;width:100%;max-width:640px;border:1px solid #ddd">{bar}</div>'
        f"<table style='font-size:12px'>{rows}<tr><td><b>total</b></td>"
        f"<td style='text-align:right'><b>{sum(sections.values()):,}</b></td><td></td></tr></table>"
    )


def _pre(text: str) -> str:
    return f"<pre style='white-space:pre-wrap;max-height:320px;overflow:auto;font-size:11px'>{escape(text)}</pre>"


def rendered_html(r: Any) -> str:
    chosen = "".join(
        f"<li>#{s.index} <i>{escape(s.example.question)}</i> ({escape(s.reason)})</li>"
        for s in r.selected_examples
    )
    messages = "".join(
        f"<details><summary>{escape(m['role'])} ({len(m['content']):,} chars)</summary>{_pre(m['content'])}</details>"
        for m in r.messages
    )
    return (
        f"<div><b>{escape(r.variant)}</b> &middot; {escape(r.model)} &middot; {escape(r.encoding)} &middot; "
        f"{r.total_tokens:,} prompt tokens, stable prefix {r.stable_prefix_tokens:,}"
        f"{sections_bar(r.sections, r.total_tokens)}"
        f"{messages}"
        f"{f'<details><summary>examples</summary><ul>{chosen}</ul></details>' if chosen else ''}</div>"
    )


def prompt_html(p: Any) -> str:
    v = p.variant
    invalid = (
        f"<div style='color:#b00'>{len(p.invalid_examples)} invalid example(s) excluded</div>"
        if p.invalid_examples
        else ""
    )
    return (
        f"<div><b>{escape(v.name)}</b>: {escape(v.summary())}<br>"
        f"{len(p.schema):,} columns in the dataset; stable prefix {p.stable_prefix_tokens:,} tokens "
        f"({escape(p.encoding)}){invalid}"
        f"<details><summary>instructions</summary>{_pre(v.instructions)}</details></div>"
    )
