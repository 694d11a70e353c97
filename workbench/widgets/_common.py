"""Shared pieces of the views: error lines, background tasks, HTML tables, findings, charts.

Everything here turns core records (``Finding``, ``QueryResult`` or its JSON form
from the experiment log, token sections) into widget values. Nothing here talks
to a model or a dataset.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from workbench.core import format as fmt
from workbench.core.errors import WorkbenchError
from workbench.core.templates import environment, render

__all__ = [
    "builder_html",
    "clear_error",
    "critic_html",
    "ensure_prompt",
    "ensure_questions",
    "error_line",
    "error_widget",
    "findings_html",
    "fmt_cost",
    "fmt_ms",
    "fragment",
    "json_html",
    "message_of",
    "readback_html",
    "result_table_html",
    "set_values",
    "show_error",
    "split_findings",
    "with_class",
]

ERROR_COLOR = "#b00020"
OK_COLOR = "#1b7a3a"
CRITIC_BOX_STYLE = "background:#fff8c5;border:1px solid #d4a72c;border-radius:4px;padding:3px 6px;margin:3px 0;font-size:12px"
MONO_STYLE = "font-family:monospace;font-size:11px"
SEVERITY_COLORS = {"error": ERROR_COLOR, "warning": "#a15c00", "info": "#1f5fa8"}
PRE_STYLE = "white-space:pre-wrap;max-height:260px;overflow:auto;font-size:11px;margin:2px 0"
MAX_TABLE_ROWS = 200


# --------------------------------------------------------------------------- errors


def message_of(exc: BaseException | str) -> str:
    """One readable line for an error (a ``WorkbenchError`` already names the problem and the fix)."""
    if isinstance(exc, str):
        return exc.strip().splitlines()[0] if exc.strip() else "error"
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    if isinstance(exc, WorkbenchError):
        return text or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def fragment(macro: str, /, **args: Any) -> str:
    """A small piece of markup: the macro ``macro`` of ``templates/fragments.html.j2`` (autoescaped: an argument is
    text unless it is ``Markup``), as a plain ``str`` so that joining it with other markup escapes nothing."""
    template = environment("workbench.widgets").get_template("fragments.html.j2")
    return str(getattr(template.module, macro)(**args))


def error_line(exc: BaseException | str) -> str:
    """One error message as a red line (``wb-error-line``)."""
    return fragment("error_line", message=message_of(exc), color=ERROR_COLOR)


def error_widget(css_class: str = "wb-error") -> widgets.HTML:
    """An HTML line for one error message, hidden while there is none."""
    w = widgets.HTML("", layout=widgets.Layout(display="none"))
    w.add_class(css_class)
    return w


def show_error(widget: widgets.HTML, exc: BaseException | str) -> None:
    with widget.hold_sync():
        widget.value = error_line(exc)
        widget.layout.display = None


def clear_error(widget: widgets.HTML) -> None:
    with widget.hold_sync():
        widget.value = ""
        widget.layout.display = "none"


def set_values(widget: widgets.Widget, **values: Any) -> None:
    """Set several traits of one widget in one sync message."""
    with widget.hold_sync():
        for name, value in values.items():
            setattr(widget, name, value)


def with_class(root: widgets.Widget, css_class: str) -> list[widgets.Widget]:
    """Every widget under ``root`` (itself included) with ``css_class``, depth first (tests, notebooks)."""
    found = [root] if css_class in getattr(root, "_dom_classes", ()) else []
    for child in getattr(root, "children", ()):
        found += with_class(child, css_class)
    return found


# --------------------------------------------------------------------------- binding inputs


def ensure_prompt(prompt: Any, dataset: Any = None) -> Any:
    """A bound ``render.Prompt`` from a Prompt, a ``PromptVariant``, a variant name or a path."""
    from workbench.pipeline.ask import bind_prompt

    return bind_prompt(prompt, dataset)


def ensure_questions(questions: Any) -> Any:
    """A ``QuestionSet`` from a set, a path (relative paths also tried from the project root), or None."""
    if questions is None:
        return None
    from workbench.evaluation.questions import QuestionSet, load_question_set

    if isinstance(questions, QuestionSet):
        return questions
    path = Path(questions)
    if not path.exists() and not path.is_absolute():
        from workbench.core.paths import project_root

        root = project_root()
        if root is not None and (root / path).exists():
            path = root / path
    return load_question_set(path)


# --------------------------------------------------------------------------- formatting


def fmt_cost(usd: float | None) -> str:
    """``core.format.money``: ``n/a`` when the price is unknown."""
    return fmt.money(usd)


def fmt_ms(ms: float | None) -> str:
    """``core.format.ms`` with ``n/a`` for a missing value."""
    return fmt.ms(ms, missing="n/a")


def json_html(value: Any, *, empty: str = "no query") -> str:
    """``<pre>`` with pretty JSON (``empty`` in grey when there is nothing)."""
    if value is None:
        return fragment("muted", text=empty)
    text = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return fragment("pre", text=text, style=PRE_STYLE)


def _finding_parts(f: Any) -> tuple[str, str, str, str, str | None]:
    if isinstance(f, Mapping):
        return (
            str(f.get("severity", "error")),
            str(f.get("code", "")),
            str(f.get("message", "")),
            str(f.get("path") or ""),
            f.get("suggestion"),
        )
    return f.severity, f.code, f.message, f.path or "", f.suggestion


def _finding_record(f: Any) -> dict[str, Any]:
    severity, code, message, path, suggestion = _finding_parts(f)
    return {
        "severity": severity,
        "color": SEVERITY_COLORS.get(severity, "#555"),
        "code": code,
        "message": message,
        "path": path,
        "suggestion": str(suggestion) if suggestion else "",
    }


def findings_html(findings: Iterable[Any] | None, *, none: str = "no findings") -> str:
    """One line per finding, colored by severity (``Finding`` objects or their dicts)."""
    items = [_finding_record(f) for f in findings or ()]
    return render("workbench.widgets", "findings.html.j2", findings=items, empty=none, ok=OK_COLOR).rstrip(
        "\n"
    )


def split_findings(findings: Iterable[Any] | None) -> tuple[list[Any], list[Any]]:
    """``(validation findings, critic warnings)`` of ``Finding`` objects or their dicts, order kept."""
    from workbench.critic import is_critic_finding

    checks: list[Any] = []
    critic: list[Any] = []
    for f in findings or ():
        (critic if is_critic_finding(_finding_parts(f)[1]) else checks).append(f)
    return checks, critic


def critic_html(findings: Iterable[Any] | None) -> str:
    """The critic's warnings in a yellow box (``wb-critic-box``), each with its message and suggestion; ``""``
    when there are none."""
    items = [_finding_record(f) for f in findings or ()]
    if not items:
        return ""
    return render("workbench.widgets", "critic.html.j2", findings=items, style=CRITIC_BOX_STYLE).rstrip("\n")


def readback_html(text: str | None) -> str:
    """The readback line (``spec.readback``), or ``""`` when there is none."""
    if not text:
        return ""
    return fragment("readback", text=text)


def builder_html(clauses: Mapping[str, Any] | None) -> str:
    """Honeycomb's query builder (``spec.readback.builder``), compact and monospace: empty clauses left out."""
    if not clauses:
        return ""
    joiner = f" {clauses.get('WHERE_COMBINATION', 'AND')} "
    rows = []
    for key, value in clauses.items():
        if key == "WHERE_COMBINATION" or value in (None, "", []):
            continue
        text = (
            (joiner if key == "WHERE" else ", ").join(map(str, value)) if isinstance(value, list) else value
        )
        rows.append(f"{key:<11} {text}")
    return fragment("pre", text="\n".join(rows), style=f"{PRE_STYLE};{MONO_STYLE}", css_class="wb-builder")


def _cell(value: Any) -> tuple[str, str]:
    """A result value as ``(kind, text)`` for the table template: ``null``, ``heat`` (bucket count) or ``text``."""
    if value is None:
        return "null", ""
    if isinstance(value, bool):
        return "text", str(value).lower()
    if isinstance(value, float):
        return "text", f"{value:,.6g}" if abs(value) < 1e15 else f"{value:.6g}"
    if isinstance(value, datetime):
        return "text", value.isoformat(sep=" ")
    if isinstance(value, date):
        return "text", value.isoformat()
    if isinstance(value, Mapping) or is_pairs(value):
        return "heat", str(len(value))
    return "text", str(value)


def is_pairs(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(p, list) and len(p) == 2 for p in value)


def table_parts(result: Any) -> tuple[list[str], list[Sequence[Any]], Any, int, bool]:
    """``(columns, rows, series, row_count, truncated)`` of a ``QueryResult`` or its logged dict."""
    if isinstance(result, Mapping):
        rows = list(result.get("rows") or [])
        count = int(result.get("row_count") or len(rows))
        return (
            list(result.get("columns") or []),
            rows,
            result.get("series"),
            count,
            bool(result.get("truncated")),
        )
    rows = list(result.rows)
    return list(result.columns), rows, result.series, len(rows), bool(result.truncated)


def result_table_html(
    result: Any, *, max_rows: int = MAX_TABLE_ROWS, css_class: str = "wb-result-table"
) -> str:
    """The result as ``<table class="wb-result-table">``, a ``<th>`` per column."""
    if result is None:
        return "<i style='color:#777'>no result</i>"
    columns, rows, _series, count, truncated = table_parts(result)
    shown = min(len(rows), max_rows)
    more = " (more rows exist)" if truncated else ""
    note = f"{count:,} row{'s' if count != 1 else ''}{more}" + (
        f", first {shown} shown" if shown < count else ""
    )
    cells = [[_cell(v) for v in row] for row in rows[:max_rows]]
    html = render(
        "workbench.widgets", "result_table.html.j2", columns=[str(c) for c in columns], rows=cells,
        note=note, css_class=css_class,
    )  # fmt: skip
    return html.rstrip("\n")
