"""Reading one JSON object out of a model's text: bare, fenced in Markdown, or with prose around it.

Shared by the output modes (``llm.modes``). Never raises on a bad answer: every problem is a
:class:`~workbench.core.findings.Finding`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from workbench.core.findings import Finding, error, warning

__all__ = ["extract_object", "load_object", "sql_instead_of_spec"]

_FENCE = re.compile(r"```[ \t]*(?:json|JSON|javascript)?[ \t]*\n(.*?)\n?```", re.DOTALL)
_KINDS = {
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}


def load_object(
    raw: str | None, *, where: str, prose_is_decline: bool = False
) -> tuple[dict[str, Any] | None, tuple[Finding, ...]]:
    """Parse ``raw`` as a JSON object, digging one out of fences or prose if needed (warning ``extra_prose``).

    With ``prose_is_decline``, text that holds no ``{`` at all is the model declining in words
    (``no_query`` with its text), not broken JSON.
    """
    if raw is None or not raw.strip():
        return None, (error("empty_content", f"Nothing to read: {where} is empty."),)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        if prose_is_decline and "{" not in raw:
            return None, (error("no_query", raw.strip()),)
        found = extract_object(raw)
        if found is None:
            return None, (_invalid_json(exc, where),)
        value, how = found
        extra = warning(
            "extra_prose",
            f"There was text around the JSON in {where} ({how}); only the JSON object was used.",
            suggestion="ask for the JSON object alone",
        )
        return value, (extra,)
    if not isinstance(value, dict):
        kind = _KINDS.get(type(value), "not an object")
        return None, (error("not_an_object", f"Expected a JSON object in {where}, got {kind}."),)
    return value, ()


def extract_object(text: str) -> tuple[dict[str, Any], str] | None:
    """The JSON object in a ```json fence, else the first top-level ``{...}`` span that parses.

    Only top-level spans count: an object nested in a broken one is never taken for the
    answer (``{"calculations": [{...}] "filters": []}`` is invalid JSON, not a calculation).
    """
    for match in _FENCE.finditer(text):
        try:
            value = json.loads(match.group(1))
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value, "a fenced code block"
    start = text.find("{")
    while start != -1:
        end = _span_end(text, start)
        if end is None:  # never closed: everything after is inside it
            return None
        try:
            value = json.loads(text[start:end])
        except json.JSONDecodeError:
            value = None
        if isinstance(value, dict):
            return value, "prose before or after it"
        start = text.find("{", end)
    return None


def _span_end(text: str, start: int) -> int | None:
    """Index after the ``}`` that closes the ``{`` at ``start`` (braces in JSON strings ignored)."""
    depth, in_string, escaped = 0, False, False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _invalid_json(exc: json.JSONDecodeError, where: str) -> Finding:
    return error(
        "invalid_json",
        f"Invalid JSON in {where}: {exc.msg} at line {exc.lineno} column {exc.colno} (char {exc.pos}).",
        path="",
        suggestion="ask for a single, complete JSON object",
    )


_SQL = re.compile(r"^\s*(SELECT|WITH)\b.*\bFROM\b", re.IGNORECASE | re.DOTALL)


def sql_instead_of_spec(value: dict[str, Any]) -> Finding | None:
    """An error when the object only wraps an SQL statement (``{"query": "SELECT ..."}``), else ``None``.

    Small models asked for "the query" often write SQL; the workbench never runs model text as SQL.
    """
    if any(isinstance(v, dict | list) for v in value.values()):
        return None
    sql = next((v for v in value.values() if isinstance(v, str) and _SQL.match(v)), None)
    if sql is None:
        return None
    start = " ".join(sql.split())[:60]
    return error(
        "sql_not_spec",
        f"The model wrote SQL ({start}...), not a query specification; SQL from a model is never run.",
        suggestion="answer with the JSON query specification (calculations, filters, breakdowns, ...)",
    )
