"""A spec read back to a person: one line of plain English, and Honeycomb's query-builder form.

"P95 of duration_ms for app.platform = android, by http.route, yesterday (Nov 19, UTC), slowest
first, top 10". Honeycomb's own mitigation for a model's misreading: the user always sees the
query builder. Pure functions of the spec (and ``now``, which only turns days into words).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from workbench.spec.query import DEFAULT_TIME_RANGE, parse_spec

__all__ = [
    "builder",
    "builder_text",
    "differing_clauses",
    "filter_text",
    "granularity_text",
    "order_text",
    "readback",
    "readback_or_none",
    "time_text",
]

DAY = 86400
_OPS = {
    "COUNT": "Count", "COUNT_DISTINCT": "Distinct count", "SUM": "Sum", "AVG": "Average", "MAX": "Max",
    "MIN": "Min", "HEATMAP": "Heatmap", "CONCURRENCY": "Concurrency", "RATE_AVG": "Rate of average",
    "RATE_SUM": "Rate of sum", "RATE_MAX": "Rate of max",
}  # fmt: skip


def _calc(c: Any) -> str:
    name = _OPS.get(c.op, c.op)
    text = f"{name} of {c.column}" if c.column else ("Count of events" if c.op == "COUNT" else name)
    if c.filters:
        text += f" where {_where(c.filters, c.filter_combination or 'AND')}"
    return text


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, list | tuple):
        return "(" + ", ".join(_value(x) for x in v) + ")"
    return str(v)


def _filter(f: Any) -> str:
    if f.op in ("exists", "does-not-exist"):
        return f"{f.column} {'exists' if f.op == 'exists' else 'does not exist'}"
    op = {"in": "in", "not-in": "not in"}.get(f.op, f.op.replace("-", " "))
    return f"{f.column} {op} {_value(f.value)}"


def _where(filters: Any, combination: str) -> str:
    return f" {combination.lower()} ".join(_filter(f) for f in filters)


def _span(seconds: int) -> str:
    for name, size in (("day", DAY), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {name}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"


def _day(ts: int) -> str:
    d = datetime.fromtimestamp(ts, UTC)
    return f"{d.strftime('%b')} {d.day}"


def _time(spec: Any, now: int | None) -> str:
    tr, st, et = spec.time_range, spec.start_time, spec.end_time
    if tr is None and st is None and et is None:
        return f"last {_span(DEFAULT_TIME_RANGE)} (default window)"
    if st is None and et is None:
        return f"last {_span(tr)}"
    start, end = spec.time_window(now if now is not None else (et or st or 0))
    if start % DAY == 0 and end % DAY == 0 and end > start:
        days = (end - start) // DAY
        text = _day(start) if days == 1 else f"{_day(start)} to {_day(end - DAY)}"
        if now is not None and days == 1:
            midnight = now - now % DAY
            word = {midnight: "today", midnight - DAY: "yesterday"}.get(start)
            if word:
                return f"{word} ({text}, UTC)"
        return f"{text} (UTC)"
    a, b = (datetime.fromtimestamp(t, UTC) for t in (start, end))
    same = a.date() == b.date() or (b - a) <= timedelta(days=1)
    right = b.strftime("%H:%M") if same else f"{_day(end)} {b.strftime('%H:%M')}"
    if now is not None and abs(end - now) <= 60:
        return f"{_day(start)} {a.strftime('%H:%M')} UTC to now"
    return f"{_day(start)} {a.strftime('%H:%M')} to {right} UTC"


def _granularity(seconds: int) -> str:
    text = _span(seconds)
    return f"per {text[2:]}" if text.startswith("1 ") else f"every {text}"


def _order(spec: Any) -> str | None:
    if not spec.orders:
        return None
    o = spec.orders[0]
    desc = o.order == "descending"
    if o.op is None:
        return f"sorted by {o.column} {'descending' if desc else 'ascending'}"
    if o.column == "duration_ms" or (o.column and o.column.endswith(("_ms", "duration"))):
        return "slowest first" if desc else "fastest first"
    label = f"{o.op}({o.column})" if o.column else o.op
    return f"highest {label} first" if desc else f"lowest {label} first"


def readback(spec: Any, now: int | None = None) -> str:
    """The spec in one line of plain English. Never raises on a parseable spec.

    Example:
        >>> readback({"calculations": [{"op": "P95", "column": "duration_ms"}], "time_range": 3600})
        'P95 of duration_ms, last 1 hour'
    """
    s = parse_spec(spec)
    parts = [", ".join(_calc(c) for c in s.effective_calculations)]
    if s.filters:
        parts[0] += f" for {_where(s.filters, s.filter_combination)}"
    if s.breakdowns:
        parts.append("by " + ", ".join(s.breakdowns))
    if s.havings:
        parts.append(
            "keeping groups where "
            + " and ".join(
                f"{h.calculate_op}{'(' + h.column + ')' if h.column else ''} {h.op} {h.value:g}"
                for h in s.havings
            )
        )
    parts.append(_time(s, now))
    if s.granularity:
        parts.append(_granularity(s.granularity))
    if order := _order(s):
        parts.append(order)
    if s.limit is not None:
        parts.append(f"top {s.limit}" if s.orders else f"limit {s.limit}")
    return ", ".join(parts)


def builder(spec: Any, now: int | None = None) -> dict[str, Any]:
    """Honeycomb's query builder: VISUALIZE / WHERE / GROUP BY / ORDER BY / HAVING / LIMIT / TIME / GRANULARITY."""
    s = parse_spec(spec)
    out: dict[str, Any] = {
        "VISUALIZE": [c.label if not c.filters else f"{c.label} WHERE {_where(c.filters, c.filter_combination or 'AND')}"
                      for c in s.effective_calculations],
        "WHERE": [_filter(f) for f in s.filters],
        "GROUP BY": list(s.breakdowns),
        "ORDER BY": [f"{(o.op + '(' + o.column + ')' if o.column else o.op) if o.op else o.column} "
                     f"{'desc' if o.order == 'descending' else 'asc'}" for o in s.orders],
        "HAVING": [f"{h.calculate_op}{'(' + h.column + ')' if h.column else ''} {h.op} {h.value:g}" for h in s.havings],
        "LIMIT": s.limit,
        "TIME": _time(s, now),
        "GRANULARITY": _span(s.granularity) if s.granularity else None,
    }  # fmt: skip
    if len(s.filters) > 1:
        out["WHERE_COMBINATION"] = s.filter_combination
    return out


def builder_text(spec: Any, now: int | None = None) -> str:
    """The builder as aligned lines, empty clauses shown as ``-``."""
    rows = []
    for key, value in builder(spec, now).items():
        if key == "WHERE_COMBINATION":
            continue
        if isinstance(value, list):
            joiner = f" {builder(spec, now).get('WHERE_COMBINATION', 'AND')} " if key == "WHERE" else ", "
            value = joiner.join(value) if value else "-"
        rows.append(f"{key:<12} {value if value is not None else '-'}")
    return "\n".join(rows)


def readback_or_none(spec: Any, now: int | None = None) -> str | None:
    """``readback`` for views of logged or untrusted specs: ``None`` when there is no spec or it does not parse."""
    if not spec:
        return None
    try:
        return readback(spec, now)
    except Exception:  # a view shows "no readback" rather than failing on one bad record
        return None


#: the parts of a readback, for views that describe one part (``spec.diff``, the critic's messages)
filter_text = _filter
time_text = _time
granularity_text = _granularity
order_text = _order
#: clauses whose order carries no meaning (compared as sets); ORDER BY's order is its meaning
_UNORDERED = frozenset({"VISUALIZE", "WHERE", "GROUP BY", "HAVING"})


def _clause_key(clauses: dict[str, Any], name: str) -> Any:
    value = clauses.get(name)
    if isinstance(value, list):
        value = tuple(sorted(map(str, value))) if name in _UNORDERED else tuple(map(str, value))
        if name == "WHERE" and len(value) > 1:
            return value, clauses.get("WHERE_COMBINATION", "AND")
        return value or None
    return value


def differing_clauses(clauses: dict[str, Any] | None, other: dict[str, Any] | None) -> list[str]:
    """The builder clauses (``builder`` dicts) that differ between two queries, in builder order.

    Clause by clause, as a person compares two query builders: filters, breakdowns and
    calculations as sets, ORDER BY in order, WHERE with its AND/OR. ``None`` (no query) differs
    in every clause the other query has.

    Example:
        >>> differing_clauses(builder({"breakdowns": ["a"]}), builder({"breakdowns": ["b"]}))
        ['GROUP BY']
    """
    if clauses is None and other is None:
        return []
    a, b = clauses or {}, other or {}
    names = [n for n in dict.fromkeys([*a, *b]) if n != "WHERE_COMBINATION"]
    return [n for n in names if _clause_key(a, n) != _clause_key(b, n)]
