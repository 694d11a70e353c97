"""Queries for people: Honeycomb's builder form with the clauses that differ highlighted, the readback line,
pretty SQL that scrolls instead of wrapping mid-word, and the raw JSON one click away.

Every function returns HTML for an ``ipywidgets.HTML`` (or the report); the comparison itself is
``spec.view.query_view`` (the report renders the same view), so a widget only colours what the core decided.
"""

from __future__ import annotations

from typing import Any

from workbench.core.templates import render
from workbench.spec.view import builder_or_none, query_view
from workbench.sql.pretty import pretty_sql
from workbench.widgets._common import fragment

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
_STYLES = {
    "pre": SCROLL_PRE,
    "block": BLOCK,
    "diff": DIFF_STYLE,
    "vdiff": VDIFF_STYLE,
    "key": _KEY,
    "cell": _CELL,
}


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
        return fragment("muted", text=empty)
    view = query_view(spec, now, against=against, others=others)
    return render(
        "workbench.widgets", "query_view.html.j2", v=view, label=against_label, raw_open=raw_open, s=_STYLES
    )


def sql_html(sql: str | None, *, dialect: str = "duckdb") -> str:
    """SQL pretty-printed by sqlglot (the text as given when it does not parse), in a box that scrolls
    sideways (``wb-sql-pre``) rather than wrapping mid-word."""
    if not sql:
        return "<i style='color:#777'>no SQL</i>"
    return fragment("pre", text=pretty_sql(sql, dialect), style=SCROLL_PRE, css_class="wb-sql-pre")


def query_widget(
    spec: Any, *, against: Any = None, now: int | None = None, against_label: str = "gold"
) -> Any:
    """``query_html`` in an ``ipywidgets.HTML`` (class ``wb-query``), for a notebook cell: the builder form,
    the readback, the raw JSON one click away and, with ``against``, the clauses that differ from it."""
    import ipywidgets as widgets

    w = widgets.HTML(query_html(spec, now, against=against, against_label=against_label))
    w.add_class("wb-query")
    return w
