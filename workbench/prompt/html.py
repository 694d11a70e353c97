"""HTML previews for notebooks: ``Prompt._repr_html_`` and ``RenderedPrompt._repr_html_``.

Written by autoescaped Jinja2 templates (``templates/*.html.j2``): the question, the
examples and the messages are text, never markup.
"""

from __future__ import annotations

from typing import Any

from workbench.core import format as fmt
from workbench.core.templates import render

# ``r`` is a ``rendered.RenderedPrompt`` and ``p`` a ``render.Prompt``; not imported here,
# because both import this module for their ``_repr_html_`` (no cycle).

__all__ = ["prompt_html", "rendered_html", "sections_bar"]

_COLORS = {
    "instructions": "#4e79a7",
    "schema": "#f28e2b",
    "examples": "#59a14f",
    "question": "#e15759",
    "tools": "#b07aa1",
    "format": "#bab0ac",
}


def _sections(sections: dict[str, int], total: int) -> dict[str, Any]:
    total = max(total, 1)
    rows = [
        {
            "name": name,
            "tokens": f"{n:,}",
            "width": f"{100 * max(n, 0) / total:.2f}",
            "share": fmt.pct(n / total),
            "color": _COLORS.get(name, "#888"),
        }
        for name, n in sections.items()
    ]
    return {"sections": rows, "total": f"{sum(sections.values()):,}"}


def sections_bar(sections: dict[str, int], total: int) -> str:
    """One stacked bar plus a table: the share of each section in the prompt."""
    return render("workbench.prompt", "sections.html.j2", **_sections(sections, total))


def rendered_html(r: Any) -> str:
    return render(
        "workbench.prompt",
        "rendered.html.j2",
        variant=r.variant,
        model=r.model,
        encoding=r.encoding,
        total_tokens=f"{r.total_tokens:,}",
        stable_prefix=f"{r.stable_prefix_tokens:,}",
        messages=[
            {"role": m["role"], "chars": f"{len(m['content']):,}", "content": m["content"]}
            for m in r.messages
        ],
        examples=[
            {"index": s.index, "question": s.example.question, "reason": s.reason}
            for s in r.selected_examples
        ],
        **_sections(r.sections, r.total_tokens),
    )


def prompt_html(p: Any) -> str:
    v = p.variant
    return render(
        "workbench.prompt",
        "prompt.html.j2",
        name=v.name,
        summary=v.summary(),
        columns=f"{len(p.schema):,}",
        stable_prefix=f"{p.stable_prefix_tokens:,}",
        encoding=p.encoding,
        invalid=len(p.invalid_examples),
        instructions=v.instructions,
    )
