"""Closest-name suggestions for validation findings: keys, operators, columns, values.

Every function here is total: it accepts any string and returns a (possibly
empty) answer, never raises. Suggestions are hints for a person or a repair
prompt, so they favour precision: an exact case-insensitive or separator-
insensitive match first, then the last dotted segment ("platform" ->
"app.platform"), then difflib.
"""

from __future__ import annotations

import difflib
import json
import re
import reprlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from workbench.spec.query import CALC_OPS, FILTER_OPS

#: common spellings of calculation ops from other query languages.
CALC_OP_ALIASES: dict[str, str] = {
    "MEAN": "AVG", "AVERAGE": "AVG", "MEDIAN": "P50", "TOTAL": "SUM", "MAXIMUM": "MAX",
    "MINIMUM": "MIN", "DISTINCT": "COUNT_DISTINCT", "UNIQUE": "COUNT_DISTINCT",
    "COUNTDISTINCT": "COUNT_DISTINCT", "CARDINALITY": "COUNT_DISTINCT", "NUNIQUE": "COUNT_DISTINCT",
    "DISTINCT_COUNT": "COUNT_DISTINCT", "P99.9": "P999", "P99_9": "P999", "P0.1": "P001", "P1": "P01",
    "P5": "P05", "RATE": "RATE_AVG", "COUNT_ALL": "COUNT", "HISTOGRAM": "HEATMAP",
}  # fmt: skip

#: common spellings of filter ops (after lower-casing and ``_``/space -> ``-``).
FILTER_OP_ALIASES: dict[str, str] = {
    "==": "=", "eq": "=", "equals": "=", "equal": "=", "is": "=", "<>": "!=", "ne": "!=", "neq": "!=",
    "not-equals": "!=", "not-equal": "!=", "is-not": "!=", "gt": ">", "gte": ">=", "ge": ">=", "=>": ">=",
    "lt": "<", "lte": "<=", "le": "<=", "=<": "<=", "nin": "not-in", "notin": "not-in",
    "in-list": "in", "one-of": "in", "exist": "exists", "is-not-null": "exists", "not-null": "exists",
    "is-set": "exists", "is-null": "does-not-exist", "null": "does-not-exist", "not-exists": "does-not-exist",
    "not-exist": "does-not-exist", "missing": "does-not-exist", "does-not-exists": "does-not-exist",
    "startswith": "starts-with", "start-with": "starts-with", "prefix": "starts-with",
    "endswith": "ends-with", "end-with": "ends-with", "suffix": "ends-with", "like": "contains",
    "includes": "contains", "contain": "contains", "not-contains": "does-not-contain",
    "not-contain": "does-not-contain", "not-like": "does-not-contain",
    "not-starts-with": "does-not-start-with", "not-ends-with": "does-not-end-with",
}  # fmt: skip

_FUNC_FORM = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*\(\s*([^()]*?)\s*\)\s*$")
_DURATION = re.compile(
    r"^\s*-?\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|wk|weeks?)\s*$",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring = 3, 4, 4, 40
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_TOKEN = re.compile(r"[._\-\s/]+")


def closest(word: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The candidates most similar to ``word`` (case-insensitive), best first."""
    cands = [c for c in candidates if isinstance(c, str)]
    by_lower: dict[str, str] = {}
    for c in cands:
        by_lower.setdefault(c.lower(), c)
    hits = difflib.get_close_matches(word.lower(), list(by_lower), n=n, cutoff=cutoff)
    return [by_lower[h] for h in hits]


def quoted(values: Sequence[Any], limit: int = 20) -> str:
    """``'a', 'b', 'c'`` (with ``and N more`` past ``limit``); numbers and booleans as JSON."""
    shown = [_show(v) for v in list(values)[:limit]]
    more = len(values) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, int | float):
        return (
            str(value)
            if isinstance(value, float) or abs(value) < 10**40
            else f"<{value.bit_length()}-bit integer>"
        )
    return _REPR.repr(value)  # bounded depth and width: model output can be arbitrarily nested


def as_json(value: Any) -> str:
    """``value`` as compact JSON for a suggestion to paste (a short repr if it is not JSON)."""
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return show(value)


def show(value: Any) -> str:
    """A value as it would look in the spec's JSON, shortened for messages."""
    text = _show(value)
    return text if len(text) <= 60 else text[:57] + "..."


def suggest_calc_op(op: str) -> tuple[str | None, str | None]:
    """``(op, column)`` a misspelt calculation op most likely meant, e.g. ``p99`` -> ``("P99", None)``.

    ``"P99(duration_ms)"`` gives ``("P99", "duration_ms")``.
    """
    func = _FUNC_FORM.match(op)
    if func:
        inner_op, _ = suggest_calc_op(func.group(1))
        column = func.group(2).strip("'\"` ") or None
        if inner_op == "COUNT" and column == "*":
            column = None
        return (inner_op, column) if inner_op else (None, None)
    upper = op.strip().upper()
    if upper in CALC_OPS:
        return upper, None
    for form in (upper, re.sub(r"[\s\-]+", "_", upper), re.sub(r"[\s\-_]+", "", upper)):
        if form in CALC_OPS:
            return form, None
        if form in CALC_OP_ALIASES:
            return CALC_OP_ALIASES[form], None
    pct = re.fullmatch(r"(?:P|PERCENTILE_?|PCT_?|Q)(\d+(?:\.\d+)?)", re.sub(r"[\s\-]+", "_", upper))
    if pct:
        named = "P" + pct.group(1).replace(".", "")
        if named in CALC_OPS:
            return named, None
    hits = closest(upper, CALC_OPS, n=1, cutoff=0.75)
    return (hits[0], None) if hits else (None, None)


def suggest_filter_op(op: str) -> str | None:
    """The filter op a misspelt one most likely meant: ``==`` -> ``=``, ``not_in`` -> ``not-in``."""
    norm = re.sub(r"[\s_]+", "-", op.strip().lower())
    if norm in FILTER_OPS:
        return norm
    if norm in FILTER_OP_ALIASES:
        return FILTER_OP_ALIASES[norm]
    hits = difflib.get_close_matches(norm, FILTER_OPS, n=1, cutoff=0.75)
    return hits[0] if hits else None


def parse_duration(text: str) -> int | None:
    """Seconds in ``"3600"``, ``"1h"``, ``"-6h"``, ``"30 minutes"``, ``"7d"``; ``None`` otherwise."""
    stripped = text.strip()
    if len(stripped) > 30:
        return None
    if re.fullmatch(r"-?\d+", stripped):
        return abs(int(stripped))
    match = _DURATION.match(stripped)
    if not match:
        return None
    unit = match.group(2).lower()
    unit = "w" if unit.startswith("w") else unit[0]
    return int(float(match.group(1)) * _UNIT_SECONDS[unit])


def _segments(name: str) -> list[str]:
    return [s for s in name.lower().split(".") if s]


def _squash(name: str) -> str:
    return _NON_ALNUM.sub("", name.lower())


def column_suggestions(name: str, names: Sequence[str], n: int = 3) -> list[str]:
    """Existing column names that ``name`` most likely meant, best first.

    The first kind of evidence that finds anything wins: same name ignoring case;
    same letters ignoring separators (``service_name`` -> ``service.name``); a
    dotted suffix or the same last segment (``platform`` -> ``app.platform``,
    ``status_code`` -> ``http.response.status_code``); a word of the name
    (``tier`` -> ``app.user_tier``); the letters inside a longer name
    (``order_total`` -> ``app.order.total_usd``); then difflib on full names and on last segments. Within a kind, ``names``' order is kept, so callers can
    put preferred columns (recently written ones) first.
    """
    lower, squashed, segs = name.lower(), _squash(name), _segments(name)
    tiers: list[Callable[[str], bool]] = [lambda c: c.lower() == lower]
    if squashed:
        tiers.append(lambda c: _squash(c) == squashed)
    if segs:
        tail, last = ".".join(segs), _squash(segs[-1])
        tiers.append(lambda c: c.lower().endswith("." + tail))
        if last:
            tiers.append(lambda c: bool(_segments(c)) and _squash(_segments(c)[-1]) == last)
        if len(segs) == 1 and squashed:
            tiers.append(lambda c: squashed in _TOKEN.split(c.lower()))
    if len(squashed) >= 4:
        tiers.append(lambda c: squashed in _squash(c))
    for tier in tiers:
        hits = [c for c in names if c != name and tier(c)]
        if hits:
            return hits[:n]
    out = closest(name, names, n=n, cutoff=0.72)
    if len(out) < n and segs:
        by_last: dict[str, list[str]] = {}
        for c in names:
            s = _segments(c)
            if s:
                by_last.setdefault(s[-1], []).append(c)
        for hit in difflib.get_close_matches(segs[-1], list(by_last), n=n, cutoff=0.8):
            out += [c for c in by_last[hit] if c not in out]
    return [c for c in out if c != name][:n]


def did_you_mean(options: Sequence[str]) -> str | None:
    """``use 'x'`` for one option, ``did you mean one of 'x', 'y'?`` for several, ``None`` for none."""
    if not options:
        return None
    if len(options) == 1:
        return f"use {options[0]!r}"
    return f"did you mean one of {quoted(options)}?"
