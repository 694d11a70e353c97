"""Queries for people: Honeycomb's builder form with the clauses that differ highlighted, the readback line,
pretty SQL that scrolls instead of wrapping mid-word, and the raw JSON one click away.

Every function returns HTML for an ``ipywidgets.HTML`` (or the report); the comparison itself is
``spec.readback.differing_clauses``, so a widget only colours what the core decided.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from workbench.spec.readback import builder, differing_clauses, readback_or_none

__all__ = ["builder_or_none", "query_html", "query_widget", "sql_html"]

DIFF_STYLE = "background:#ffe3e3;box-shadow:inset 3px 0 0 #d33"
VDIFF_STYLE = "background:#fff4d6;box-shadow:inset 3px 0 0 #d4a72c"
#: horizontal scroll, never a mid-word wrap ("FRO M")
SCROLL_PRE = (
    "white-space:pre;overflow-x:auto;overflow-y:auto;max-height:360px;font-size:11px;margin:2px 0;"
    "padding:4px;background:#f6f8fa;border-radius:3px"
)
_CELL = "padding:1px 6px;vertical-align:top;"
_KEY = f"{_CELL}width:1%;color:#555;font-weight:600;white-space:nowrap;font-size:11px"
#: JupyterLab gives widget HTML a 28 px line height (one input row); text blocks want their own
BLOCK = "line-height:1.35"


def builder_or_none(spec: Any, now: int | None = None) -> dict[str, Any] | None:
    """``spec.readback.builder`` for a logged or untrusted spec: ``None`` when it does not parse."""
    if not spec:
        return None
    try:
        return builder(spec, now)
    except Exception:  # a view shows the raw JSON rather than failing on one bad record
        return None


def _clause_text(clauses: Mapping[str, Any], name: str) -> str:
    value = clauses.get(name)
    if isinstance(value, list):
        joiner = f" {clauses.get('WHERE_COMBINATION', 'AND')} " if name == "WHERE" else ", "
        return joiner.join(map(str, value))
    return "" if value is None else str(value)


def query_html(
    spec: Any,
    now: int | None = None,
    *,
    against: Any = None,
    against_label: str = "gold",
    others: Any = (),
    empty: str = "no query",
    raw_open: bool = False,
) -> str:
    """A query as a person reads it (``wb-query-view``).

    The readback line, then the builder form (``wb-builder``, a row per non-empty clause; VISUALIZE
    and TIME always), then the raw JSON in a closed ``<details>``. With ``against`` (another spec, e.g.
    the gold), the clauses that differ from it get class ``wb-diff`` and a red mark, and a line names
    them (``wb-diff-summary``). With ``others`` (the other variants' specs), a clause that differs from
    any of them gets class ``wb-vdiff`` and an amber mark, so what sets a variant apart shows at a glance.
    """
    if spec is None:
        return f"<i style='color:#777'>{escape(empty)}</i>"
    clauses = builder_or_none(spec, now)
    raw = json.dumps(spec, indent=2, ensure_ascii=False, default=str) if not isinstance(spec, str) else spec
    details = (
        f"<details class='wb-raw-json'{' open' if raw_open else ''}><summary style='font-size:11px;"
        f"color:#555;cursor:pointer'>raw JSON</summary><pre style='{SCROLL_PRE}'>{escape(raw)}</pre></details>"
    )
    if clauses is None:
        return f"<div class='wb-query-view' style='{BLOCK}'><i style='color:#a15c00'>not a valid query</i>{details}</div>"
    other = builder_or_none(against, now) if against is not None else None
    differ = set(differing_clauses(clauses, other)) if other is not None else set()
    apart = {
        n
        for o in others
        if (ob := builder_or_none(o, now)) is not None
        for n in differing_clauses(clauses, ob)
    }
    rows = []
    for name in clauses:
        text = _clause_text(clauses, name)
        if name == "WHERE_COMBINATION" or (
            not text and name not in ("VISUALIZE", "TIME") and name not in differ | apart
        ):
            continue
        mark = name in differ
        cls = " wb-diff" if mark else " wb-vdiff" if name in apart else ""
        style = DIFF_STYLE if mark else VDIFF_STYLE if name in apart else ""
        want = (
            f"<div style='color:#666;font-size:10px'>{escape(against_label)}: "
            f"{escape(_clause_text(other, name) or '-')}</div>"
            if mark and other is not None
            else ""
        )
        rows.append(
            f"<tr class='wb-clause{cls}' data-clause='{escape(name)}' "
            f"style='{style}'><td style='{_KEY}'>{escape(name)}</td>"
            f"<td style='{_CELL}font-family:monospace;font-size:11px;overflow-wrap:anywhere'>"
            f"{escape(text) or '-'}{want}</td></tr>"
        )
    summary = ""
    if other is not None:
        summary = (
            f"<div class='wb-diff-summary' style='font-size:11px;color:#b00020'>differs from {escape(against_label)}"
            f" in: {escape(', '.join(sorted(differ, key=list(clauses).index)))}</div>"
            if differ
            else f"<div class='wb-diff-summary' style='font-size:11px;color:#1b7a3a'>"
            f"same clauses as {escape(against_label)}</div>"
        )
    said = readback_or_none(spec, now)
    line = (
        f"<div class='wb-readback' style='font-size:12px;margin:2px 0'>&#8594; {escape(said)}</div>"
        if said
        else ""
    )
    table = (
        "<table class='wb-builder' style='border-collapse:collapse;width:100%;table-layout:auto'>"
        f"{''.join(rows)}</table>"
    )
    return f"<div class='wb-query-view' style='{BLOCK}'>{line}{summary}{table}{details}</div>"


def sql_html(sql: str | None, *, dialect: str = "duckdb") -> str:
    """SQL pretty-printed by sqlglot (the text as given when it does not parse), in a box that scrolls
    sideways (``wb-sql-pre``) rather than wrapping mid-word."""
    if not sql:
        return "<i style='color:#777'>no SQL</i>"
    import sqlglot

    try:
        pretty = ";\n".join(sqlglot.transpile(sql, read=dialect, write=dialect, pretty=True))
    except Exception:  # shown as it came: a display must not fail on SQL sqlglot cannot read back
        pretty = sql
    return f"<pre class='wb-sql-pre' style='{SCROLL_PRE}'>{escape(pretty)}</pre>"


def query_widget(
    spec: Any, *, against: Any = None, now: int | None = None, against_label: str = "gold"
) -> Any:
    """``query_html`` in an ``ipywidgets.HTML`` (class ``wb-query``), for a notebook cell: the builder form,
    the readback, the raw JSON one click away and, with ``against``, the clauses that differ from it."""
    import ipywidgets as widgets

    w = widgets.HTML(query_html(spec, now, against=against, against_label=against_label))
    w.add_class("wb-query")
    return w
