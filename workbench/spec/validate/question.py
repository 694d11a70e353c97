"""Schema-valid but not what was asked: values the question names that the query ignores.

"count of catalog requests under 50ms" answered with only the duration filter is a valid
query, runs, and returns a plausible number: the most dangerous kind of wrong answer. The
question names ``catalog``, a value of ``service.name``; a query that neither filters on it
nor breaks down by its column dropped a condition. This check needs the question, so it runs
in the pipeline after validation (``pipeline.judge``), for every model, as a warning: the
query still runs, and the finding says what looks dropped.

Only values from the columns' value domains count (low-cardinality columns the schema
lists), matched as whole words: case-insensitively, except all-caps values (``GET``,
``POST``) which must be written in capitals, so ordinary words do not match them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from workbench.core.findings import Finding, warning

__all__ = ["unused_question_values"]

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
_VALUE = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{2,}$")
#: domain values that are everyday words in a question about telemetry, not conditions
_ORDINARY = frozenset({
    "true", "false", "none", "null", "other", "unknown", "default", "control", "success", "ok",
    "error", "user", "request", "span", "trace", "service", "event", "call", "item", "product", "query",
    "session", "order", "page", "time", "count", "total", "value", "data",
    # the question language itself: time units, ranking and comparison words, generic verbs
    "second", "minute", "hour", "day", "week", "month", "year", "today", "yesterday", "now", "recent",
    "top", "bottom", "first", "last", "most", "least", "high", "low", "max", "min", "average", "all", "any",
    "new", "old", "more", "less", "fast", "slow", "send", "receive", "process", "create", "update", "show",
})  # fmt: skip


def unused_question_values(question: str, spec: Any, schema: Any) -> list[Finding]:
    """Warnings for column values the question names but the spec neither filters on nor breaks down by."""
    if spec is None or schema is None or not question:
        return []
    words = _WORD.findall(question)
    # a word that names a column the query uses ("payment provider", "free users" -> app.user_tier) is
    # that column, not a value
    name_parts = {part for name in spec.columns_used() for part in re.split(r"[._\-]", name.lower()) if part}
    lower = {w.lower() for w in words} | {w.lower()[:-1] for w in words if len(w) > 4 and w.endswith("s")}
    lower -= name_parts
    exact = set(words)
    named: dict[str, tuple[str, list[str]]] = {}  # lowercased value -> (as the schema spells it, its columns)
    for col in schema:
        if col.type != "string" or not col.values:
            continue
        for value in col.values:
            text = str(value)
            key = text.lower()
            if (
                not _VALUE.match(text)
                or key in name_parts
                or key in _ORDINARY
                or key.removesuffix("s") in _ORDINARY
            ):
                continue
            if text in exact if text.isupper() else text.lower() in lower:
                named.setdefault(text.lower(), (text, []))[1].append(col.name)
    if not named:
        return []
    used_values = " ".join(str(v).lower() for v in _filter_values(spec))
    covered_columns = set(spec.breakdowns) | {f.column for f in _filters(spec)}
    out = []
    for key, (value, columns) in named.items():
        if key in used_values or covered_columns & set(columns):
            continue
        more = (
            f" (or {', '.join(columns[1:3])}{', ...' if len(columns) > 3 else ''})"
            if len(columns) > 1
            else ""
        )
        where = columns[0] + more
        out.append(warning(
            "question_value_unused",
            f"the question names {value!r}, a value of {where}, but the query neither filters on it nor "
            f"breaks down by {columns[0]}: a condition may have been dropped",
            path="filters",
            suggestion=f"add a filter {columns[0]} = {value!r}, or check the question was read right",
        ))  # fmt: skip
    return out


def _filters(spec: Any) -> Iterable[Any]:
    yield from spec.filters
    for calc in spec.calculations:
        yield from calc.filters or ()


def _filter_values(spec: Any) -> Iterable[Any]:
    for f in _filters(spec):
        value = f.value
        if isinstance(value, list | tuple):
            yield from value
        elif value is not None:
            yield value
