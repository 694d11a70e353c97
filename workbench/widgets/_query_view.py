"""Queries for people: Honeycomb's builder form with the clauses that differ highlighted, the readback line,
pretty SQL that scrolls instead of wrapping mid-word, and the raw JSON one click away.

Every function returns HTML for an ``ipywidgets.HTML`` (or the report); the comparison itself is
``spec.view.query_view`` (the report renders the same view), so a widget only colours what the core decided.
"""

from __future__ import annotations

from html import escape
from typing import Any

from workbench.spec.view import builder_or_none, query_view
from workbench.sql.pretty import pretty_sql

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
    """A query as a person reads it (``wb-query-view``): ``spec.view.query_view`` as HTML.

    The readback line, then the builder form (``wb-builder``, a row per non-empty clause; VISUALIZE
    and TIME always), then the raw JSON in a closed ``<details>``. With ``against`` (another spec, e.g.
    the gold), the clauses that differ from it get class ``wb-diff`` and a red mark, and a line names
    them (``wb-diff-summary``). With ``others`` (the other variants' specs), a clause that differs from
    any of them gets class ``wb-vdiff`` and an amber mark, so what sets a variant apart shows at a glance.
    """
    if spec is None:
        return f"<i style='color:#777'>{escape(empty)}</i>"
    view = query_view(spec, now, against=against, others=others)
    details = (
        f"<details class='wb-raw-json'{' open' if raw_open else ''}><summary style='font-size:11px;"
        f"color:#555;cursor:pointer'>raw JSON</summary><pre style='{SCROLL_PRE}'>{escape(view.raw)}</pre></details>"
    )
    if not view.valid:
        return f"<div class='wb-query-view' style='{BLOCK}'><i style='color:#a15c00'>not a valid query</i>{details}</div>"
    rows = []
    for row in view.rows:
        cls = " wb-diff" if row.differs else " wb-vdiff" if row.apart else ""
        style = DIFF_STYLE if row.differs else VDIFF_STYLE if row.apart else ""
        want = (
            f"<div style='color:#666;font-size:10px'>{escape(against_label)}: {escape(row.want)}</div>"
            if row.want is not None
            else ""
        )
        rows.append(
            f"<tr class='wb-clause{cls}' data-clause='{escape(row.name)}' "
            f"style='{style}'><td style='{_KEY}'>{escape(row.name)}</td>"
            f"<td style='{_CELL}font-family:monospace;font-size:11px;overflow-wrap:anywhere'>"
            f"{escape(row.text) or '-'}{want}</td></tr>"
        )
    summary = ""
    if view.compared:
        summary = (
            f"<div class='wb-diff-summary' style='font-size:11px;color:#b00020'>differs from {escape(against_label)}"
            f" in: {escape(', '.join(view.differ))}</div>"
            if view.differ
            else f"<div class='wb-diff-summary' style='font-size:11px;color:#1b7a3a'>"
            f"same clauses as {escape(against_label)}</div>"
        )
    line = (
        f"<div class='wb-readback' style='font-size:12px;margin:2px 0'>&#8594; {escape(view.readback)}</div>"
        if view.readback
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
    return f"<pre class='wb-sql-pre' style='{SCROLL_PRE}'>{escape(pretty_sql(sql, dialect))}</pre>"


def query_widget(
    spec: Any, *, against: Any = None, now: int | None = None, against_label: str = "gold"
) -> Any:
    """``query_html`` in an ``ipywidgets.HTML`` (class ``wb-query``), for a notebook cell: the builder form,
    the readback, the raw JSON one click away and, with ``against``, the clauses that differ from it."""
    import ipywidgets as widgets

    w = widgets.HTML(query_html(spec, now, against=against, against_label=against_label))
    w.add_class("wb-query")
    return w
