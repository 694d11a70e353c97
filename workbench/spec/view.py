"""A query as people read it, as data: the builder form's clauses, which of them differ from a reference
query (the gold) and from other queries (other variants), the readback line and the raw JSON.

One implementation for every view: the notebook widgets (``widgets._query_view``) render it as HTML
strings, the static report (``report``) through its templates. The comparison is
``readback.differing_clauses``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workbench.spec.readback import builder, differing_clauses, readback_or_none

__all__ = ["ClauseRow", "QueryView", "builder_or_none", "clause_text", "query_view"]

#: clauses shown even when empty: what is computed, over which time
ALWAYS = ("VISUALIZE", "TIME")


@dataclass(frozen=True)
class ClauseRow:
    """One builder line: ``name`` (VISUALIZE, WHERE, ...), its ``text``; ``differs`` from the reference
    (whose text is ``want``), or ``apart`` from some other query."""

    name: str
    text: str
    differs: bool = False
    apart: bool = False
    want: str | None = None


@dataclass(frozen=True)
class QueryView:
    """What a view shows of one query; ``valid`` False when it does not parse (then only ``raw`` is shown)."""

    valid: bool
    raw: str
    readback: str | None = None
    rows: tuple[ClauseRow, ...] = ()
    compared: bool = False  # a reference query was given
    differ: tuple[str, ...] = ()  # the clauses that differ from it, in builder order


def builder_or_none(spec: Any, now: int | None = None) -> dict[str, Any] | None:
    """``readback.builder`` for a logged or untrusted spec: ``None`` when it does not parse."""
    if not spec:
        return None
    try:
        return builder(spec, now)
    except Exception:  # a view shows the raw JSON rather than failing on one bad record
        return None


def clause_text(clauses: Mapping[str, Any], name: str) -> str:
    """One clause as a line of text: WHERE joined by its AND/OR, lists by commas."""
    value = clauses.get(name)
    if isinstance(value, list):
        joiner = f" {clauses.get('WHERE_COMBINATION', 'AND')} " if name == "WHERE" else ", "
        return joiner.join(map(str, value))
    return "" if value is None else str(value)


def query_view(
    spec: Any, now: int | None = None, *, against: Any = None, others: Iterable[Any] = ()
) -> QueryView:
    """The view of ``spec``: a row per non-empty clause (VISUALIZE and TIME always, and any that differs),
    each marked when it differs from ``against`` or from any of ``others``."""
    raw = spec if isinstance(spec, str) else json.dumps(spec, indent=2, ensure_ascii=False, default=str)
    clauses = builder_or_none(spec, now)
    if clauses is None:
        return QueryView(valid=False, raw=raw)
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
        text = clause_text(clauses, name)
        if name == "WHERE_COMBINATION" or (not text and name not in ALWAYS and name not in differ | apart):
            continue
        marked = name in differ
        want = (clause_text(other, name) or "-") if marked and other is not None else None
        rows.append(ClauseRow(name, text, marked, name in apart and not marked, want))
    return QueryView(
        valid=True,
        raw=raw,
        readback=readback_or_none(spec, now),
        rows=tuple(rows),
        compared=other is not None,
        differ=tuple(n for n in clauses if n in differ),
    )
