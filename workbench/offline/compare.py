"""Comparisons: ``over 2 seconds``, ``more than 5 items``, ``orders above $100``, havings on groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbench.offline.clauses import PERCENTILES, STAT_WORDS, measure_at
from workbench.offline.text import TIME_UNITS
from workbench.offline.vocabulary import comparators

if TYPE_CHECKING:
    from workbench.offline.state import Parse

COMPARATORS: list[tuple[tuple[str, ...], str]] = comparators("compare.comparators")
_BY_FIRST: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _words, _op in COMPARATORS:
    _BY_FIRST.setdefault(_words[0], []).append((_words, _op))


def _comparator_at(p: Parse, i: int) -> tuple[str, int] | None:
    for words, op in _BY_FIRST.get(p.low(i), ()):
        if all(p.low(i + k) == w and p.free(i + k) for k, w in enumerate(words)):
            return op, len(words)
    return None


def _number_at(p: Parse, j: int) -> tuple[float, str | None, int] | None:
    """A number with its unit at ``j``: ``(value, unit, tokens)``; unit ``s``/``ms``/``usd``/... or None."""
    if not p.free(j):
        return None
    t = p.toks[j]
    if t.kind == "money":
        return t.num or 0.0, "usd", 1
    if t.kind != "num" or t.unit == "ordinal":
        return None
    unit = t.unit if t.unit not in (None, "word") else None
    used = 1
    nxt = p.low(j + 1)
    if unit is None and (nxt in TIME_UNITS or nxt in ("usd", "dollars", "dollar", "$")):
        unit, used = ("usd" if nxt in ("usd", "dollars", "dollar", "$") else nxt), 2
    if unit == "k":
        return (t.num or 0) * 1000, None, used
    return t.num or 0.0, unit, used


def comparisons(p: Parse) -> None:
    """Attach each ``<comparator> <number>`` to what it compares: a filter, or a having on a group."""
    for i in range(p.n):
        c = _comparator_at(p, i) if p.free(i) else None
        if c is None:
            continue
        op, size = c
        j = i + size
        if op == "between":
            a = _number_at(p, j)
            if a is None or p.low(j + a[2]) not in ("and", "to", "-"):
                continue
            b = _number_at(p, j + a[2] + 1)
            if b is None:
                continue
            unit = b[1] or a[1]
            end = j + a[2] + 1 + b[2]
            target = _target(p, i, end, unit)
            if target is None:
                continue
            p.take(i, end)
            _apply(p, target, ">=", a[0], a[1] or unit)
            _apply(p, target, "<=", b[0], unit)
            continue
        num = _number_at(p, j)
        if num is None:
            continue
        value, unit, used = num
        target = _target(p, i, j + used, unit)
        if target is None:
            continue
        p.take(i, j + used)
        _apply(p, target, op, value, unit)


def _target(p: Parse, i: int, after: int, unit: str | None) -> tuple[str, Any] | None:
    """What a comparison at ``i`` (number ending before ``after``) is about.

    ``("column", name)`` for a filter, ``("having", (op, column))`` for an aggregate test.
    """
    stat, measure = _before(p, i)
    noun = measure_at(p, after) if after < p.n else None
    if unit in TIME_UNITS and TIME_UNITS.get(unit, 0) < 86400:
        col = p.concept("duration") or p.literal(["latency"], "filter")
        return ("having", (stat, col)) if stat else ("column", col)
    if unit == "usd":
        col = p.concept("order_value") or p.literal(["order value"], "filter")
        return ("having", (stat, col)) if stat else ("column", col)
    if noun is not None and noun[0] == "count":
        entity = _group_before(p, i)
        if entity is not None:
            p.entities.append(entity)
        return "having", ("COUNT", None)
    if noun is not None and noun[0] in ("items", "column", "duration", "order_value"):
        col = _measure_column(p, noun)
        p.take(after, after + noun[2])
        return ("column", col) if col else None
    if measure is not None:
        col = _measure_column(p, measure)
        if col:
            return ("having", (stat, col)) if stat else ("column", col)
    if stat:
        return "having", (stat, p.concept("duration"))
    return None


def _measure_column(p: Parse, m: tuple[str, Any, int]) -> str | None:
    kind, payload, _ = m
    if kind == "column":
        return payload
    if kind in ("duration", "order_value", "items"):
        return p.concept(kind)
    return None


def _before(p: Parse, i: int) -> tuple[str | None, tuple[str, Any, int] | None]:
    """The statistic and measure named just before a comparator (``p99 latency is over``)."""
    stat, measure = None, None
    k = i - 1
    while k >= 0 and p.low(k) in (
        "is",
        "are",
        "was",
        "were",
        "be",
        "of",
        "the",
        "where",
        "whose",
        "with",
        "has",
        "have",
        "that",
        "and",
        "goes",
        "went",
        "took",
        "takes",
        "take",
        "taking",
        "spent",
        "ran",
        "run",
        "running",
    ):
        k -= 1
    for start in (k - 2, k - 1, k):
        if start < 0 or not p.free(start):
            continue
        m = measure_at(p, start)
        if m is not None and start + max(m[2], 1) - 1 == k:
            measure = m
            k = start - 1
            break
    if k >= 0:
        t = p.toks[k]
        if t.kind == "pct" and t.num in PERCENTILES:
            stat = PERCENTILES[t.num]
        elif t.low in STAT_WORDS and STAT_WORDS[t.low] not in ("typical", "HEATMAP", "CONCURRENCY", "SUM"):
            stat = STAT_WORDS[t.low]
    return stat, measure


def _group_before(p: Parse, i: int) -> int | None:
    """``services with more than 1000 errors``: the noun before ``with/having/that have/where``."""
    k = i - 1
    while k >= 0 and p.low(k) in ("the", "a", "an"):
        k -= 1
    if k < 0 or p.low(k) not in ("with", "having", "have", "has", "where", "that", "which", "seeing", "see"):
        return None
    while k >= 0 and p.low(k) in (
        "with",
        "having",
        "have",
        "has",
        "where",
        "that",
        "which",
        "who",
        "seeing",
        "see",
    ):
        k -= 1
    if k >= 0 and p.free(k) and p.toks[k].kind == "word":
        return k
    return None


def _apply(p: Parse, target: tuple[str, Any], op: str, value: float, unit: str | None) -> None:
    kind, what = target
    column = what if kind == "column" else what[1]
    converted = _convert(p, column, value, unit)
    if kind == "having":
        calc_op, col = what
        p.havings.append(
            {"calculate_op": calc_op, "column": col, "op": op if op != "!=" else "!=", "value": converted}
        )
        p.understood += 1
        return
    info = p.lex.get(column) if column else None
    if info is not None and info.type == "integer":
        converted = int(converted) if converted == int(converted) else converted
    p.add_filter(column, op, converted)


def _convert(p: Parse, column: str | None, value: float, unit: str | None) -> float | int:
    """A number in the column's unit: ``2 seconds`` on ``duration_ms`` is 2000."""
    info = p.lex.get(column) if column else None
    if unit in TIME_UNITS and info is not None:
        col_unit = info.unit_seconds or 0.001
        value = value * TIME_UNITS[unit] / col_unit
    value = round(value, 6)
    return int(value) if value == int(value) else value
