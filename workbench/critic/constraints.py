"""What the question states explicitly, checked against the spec: one rule per kind of constraint.

Each rule reads general English and the schema/conventions, and returns warnings with a path into
the spec and the corrected fragment as the suggestion. Rules stay silent when unsure: a constraint
they cannot read (an unknown time phrase, a noun no column matches) is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from workbench.core.findings import Finding, warning
from workbench.critic.shape import (
    check_count_threshold,
    check_exclusion,
    check_or,
    check_unasked_statistic,
    check_versus,
)
from workbench.critic.text import DURATION_WORDS, column, name_tokens, resolve, singular, unit_seconds, words
from workbench.critic.timewin import check_time
from workbench.critic.values import (
    check_errors,
    check_root_spans,
    check_status,
    check_thresholds,
    check_values,
)
from workbench.spec.query import PERCENTILE_OPS

__all__ = ["RULES", "check_constraints"]

_PCT = re.compile(r"\bp(?P<p>\d{2,3}(?:\.\d+)?)\b|\b(?P<n>\d{1,2}(?:\.\d+)?)(?:st|nd|rd|th)\s+percentile\b")
_STAT_WORDS = {
    "median": "P50", "average": "AVG", "avg": "AVG", "mean": "AVG", "maximum": "MAX", "max": "MAX",
    "minimum": "MIN", "sum": "SUM", "heatmap": "HEATMAP", "distribution": "HEATMAP", "histogram": "HEATMAP",
    "distinct": "COUNT_DISTINCT", "unique": "COUNT_DISTINCT",
}  # fmt: skip
_COUNT = re.compile(r"\b(?:how many|number of|count|counts|volume|how often)\b")
_MEASURE = frozenset({"count", "number", "volume", "total", "latency", "duration", "error", "request", "traffic",
                      "call", "event", "span", "p50", "p90", "p95", "p99", "average", "rate", "time", "size"})  # fmt: skip


def _percentile(m: re.Match[str]) -> str | None:
    text = m["p"] or m["n"]
    value = float(text) if "." in text or len(text) < 3 else float(text) / 10
    return next((op for op, q in PERCENTILE_OPS.items() if abs(q * 100 - value) < 1e-9), None)


def stated_ops(question: str) -> list[str]:
    """The statistics the question names, in order (``p95`` → P95, ``median`` → P50, ``unique`` → COUNT_DISTINCT)."""
    q = question.lower()
    ops = [op for m in _PCT.finditer(q) if (op := _percentile(m))]
    for w in words(q):
        if w in _STAT_WORDS and _STAT_WORDS[w] not in ops:
            ops.append(_STAT_WORDS[w])
    return ops


def _duration_ok(col: str | None, dur: str, qwords: set[str]) -> bool:
    """The conventions' duration column, or a duration column the question names (``provider latency``)."""
    if col is None or col == dur:
        return col == dur
    tokens = set(name_tokens(col))
    other = tokens - {"app", "ms", "latency", "duration", "time", "s"}
    return bool(tokens & {"ms", "latency", "duration"}) and bool(other) and other <= qwords


def check_statistic(question: str, spec: Any, schema: Any, conventions: Any) -> list[Finding]:
    """Named statistics (p95, average, max, heatmap, distinct...) and what latency/slowest mean."""
    q = question.lower()
    toks = words(q)
    qwords = {singular(w) for w in toks} | set(toks)
    ops = stated_ops(q)
    calcs = spec.effective_calculations
    dur = getattr(conventions, "duration_column", None)
    about_duration = bool(DURATION_WORDS & set(toks)) and column(schema, dur) is not None
    slow_op = getattr(conventions, "slow_op", None)
    if not ops and slow_op and about_duration and {"slowest", "slow"} & set(toks) and not re.search(
            r"\b(?:over|above|more than|longer than|slower than|under|below)\s+\d", q):  # fmt: skip
        ops = [slow_op]
    user = getattr(conventions, "user_column", None)
    if re.search(r"\bhow many (?:distinct |unique |different )?(?:users|customers|people)\b", q) and user:
        ops = [o for o in ops if o != "COUNT_DISTINCT"] + ["COUNT_DISTINCT"]
    out = []
    for i, op in enumerate(ops):
        have = [c for c in calcs if c.op == op]
        want_col = dur if about_duration and op not in ("COUNT_DISTINCT", "SUM") else None
        if op == "COUNT_DISTINCT" and user and re.search(r"\b(?:users|customers|people)\b", q):
            want_col = user
        if have and (want_col is None or any(_duration_ok(c.column, dur, qwords) if want_col == dur
                                             else c.column == want_col for c in have)):  # fmt: skip
            continue
        col = want_col or (have[0].column if have else None) or _first_column(calcs)
        frag = f"{{op: {op}, column: {col}}}" if col and op not in ("COUNT",) else f"{{op: {op}}}"
        idx = next(
            (k for k, c in enumerate(spec.calculations) if c.op == op),
            min(i, max(0, len(spec.calculations) - 1)),
        )
        if have:
            msg = f"the question asks for {op} of {col}, but the query computes {op} of {have[0].column}"
        else:
            got = ", ".join(c.label for c in calcs)
            msg = f"the question asks for {op}{' of ' + col if col and op != 'COUNT' else ''}, but the query computes {got}"
        out.append(
            warning(
                "critic_statistic",
                msg,
                path=f"calculations[{idx}]",
                suggestion=f"calculations[{idx}]: {frag}",
            )
        )
    if (
        not ops
        and _COUNT.search(q)
        and not any(c.op in ("COUNT", "COUNT_DISTINCT", "SUM", "CONCURRENCY") for c in calcs)
    ):
        got = ", ".join(c.label for c in calcs)
        out.append(warning("critic_statistic", f"the question asks how many, but the query computes {got}",
                           path="calculations[0]", suggestion="calculations[0]: {op: COUNT}"))  # fmt: skip
    revenue = getattr(conventions, "revenue_column", None)
    wants_revenue = bool(revenue and re.search(r"\b(?:revenue|sales|order values?)\b", q))
    if wants_revenue and column(schema, revenue) is not None and not any(c.column == revenue for c in calcs):
        op = ops[0] if ops and ops[0] not in ("COUNT", "COUNT_DISTINCT") else conventions.revenue_op or "SUM"
        out.append(warning("critic_statistic", f"the question is about revenue ({revenue}), but no calculation "
                           "uses it", path="calculations[0]",
                           suggestion=f"calculations[0]: {{op: {op}, column: {revenue}}}"))  # fmt: skip
    return out


def _first_column(calcs: Any) -> str | None:
    return next((c.column for c in calcs if c.column), None)


# --------------------------------------------------------------------------- grouping

_GROUP = re.compile(
    r"\b(?:by|per|for each|for every|each|across|across all|grouped by|broken down by|split by|breakdown by|"
    r"which|what|slow|slowest|fastest|busiest|noisiest|worst|biggest|top|bottom)\s+(?:\d+\s+)?"
    r"(?:the\s+|each\s+|every\s+|all\s+|most\s+|least\s+)?(?P<w>[a-z][\w.\-]*(?:\s+[a-z][\w.\-]*){0,2})"
)
_RANKERS = frozenset(
    {"slow", "slowest", "fastest", "busiest", "noisiest", "worst", "biggest", "top", "bottom"}
)
_NOT_GROUP = frozenset({"is", "are", "was", "were", "do", "does", "did", "has", "have", "the", "a", "an", "of",
                        "in", "on", "for", "to", "with", "and", "or", "than", "at"})  # fmt: skip


def wanted_groups(question: str, schema: Any, conventions: Any) -> list[tuple[str, tuple[str, ...]]]:
    """(phrase, candidate columns) for each grouping the question asks for."""
    extra = {w: c for w, c in (("user", getattr(conventions, "user_column", None)),
                               ("customer", getattr(conventions, "user_column", None))) if c}  # fmt: skip
    out = []
    for m in _GROUP.finditer(question.lower()):
        phrase = m["w"].split()
        trigger = m.group(0).split()[0]
        if trigger in _RANKERS and not (phrase[0].endswith("s") or re.search(r"\d", m.group(0))):
            continue  # "biggest order": one item (MAX), not a ranking of groups
        cut = next(
            (k for k, w in enumerate(phrase) if w in _NOT_GROUP or w in ("by", "per", "over", "from")),
            len(phrase),
        )
        phrase = phrase[:cut]
        if (
            not phrase
            or unit_seconds(phrase[0])
            or singular(phrase[0]) in _MEASURE
            or phrase[0] in DURATION_WORDS
        ):
            continue
        for n in range(len(phrase), 0, -1):
            match = resolve(phrase[:n], schema, extra)
            if match is None:
                continue
            cols = tuple(
                c for c in match.columns if (col := column(schema, c)) is not None and col.type != "float"
            )
            if cols and not ({getattr(conventions, "duration_column", None)} & set(cols)):
                out.append((" ".join(phrase[:n]), cols))
            break
    return out


def check_group(question: str, spec: Any, schema: Any, conventions: Any) -> list[Finding]:
    """ "by X", "per X", "for each X", "which X", "slowest X": a breakdown on X's column."""
    out = []
    # a column filtered to one value needs no breakdown ("by provider" for stripe alone)
    filtered = {
        f.column
        for f in spec.filters
        if f.op == "=" or (f.op == "in" and isinstance(f.value, list | tuple) and len(f.value) == 1)
    }
    for phrase, cols in wanted_groups(question, schema, conventions):
        if set(cols) & (set(spec.breakdowns) | filtered):
            continue
        out.append(warning("critic_group", f"the question groups by {phrase!r} ({cols[0]}), but the query "
                           f"{'breaks down by ' + ', '.join(spec.breakdowns) if spec.breakdowns else 'has no breakdown'}",
                           path="breakdowns", suggestion=f"breakdowns[+]: {cols[0]}"))  # fmt: skip
    return out


# --------------------------------------------------------------------------- order, limit, granularity

_DESC = re.compile(r"\b(?:top|most(?! recent)|highest|slowest|worst|busiest|biggest|largest|noisiest|heaviest|longest|"
                   r"more)\b")  # fmt: skip
_ASC = re.compile(
    r"\b(?:fewest|(?<!at )least(?! recent)|lowest|fastest|bottom|quietest|smallest|shortest|cheapest)\b"
)
_ADJ_DESC = re.compile(r"\b(?:slowest|worst|busiest|noisiest|highest|most(?! recent))\b")


_BOTH_ENDS = re.compile(r"\b(?:smallest|lowest|min\w*|shortest|cheapest)\s+(?:and|or|&)\s+(?:largest|biggest|highest|"
                        r"max\w*|longest)\b|\b(?:largest|biggest|highest|max\w*|longest)\s+(?:and|or|&)\s+"
                        r"(?:smallest|lowest|min\w*|shortest|cheapest)\b")  # fmt: skip


def _direction(question: str) -> str | None:
    q = re.sub(r"\bat (?:most|least)\b|\b(?:more|less|fewer) than\b|\bor (?:more|less|fewer|longer|higher)\b",
               " ", question.lower())  # fmt: skip
    if _BOTH_ENDS.search(q):
        return None  # "smallest and largest": two statistics (MIN, MAX), not a ranking
    desc, asc = bool(_DESC.search(q)), bool(_ASC.search(q))
    if desc and asc:
        if _ADJ_DESC.search(q) and not re.search(r"\b(?:fewest|least|lowest|fastest|quietest)\b", q):
            return "descending"
        if not _ADJ_DESC.search(q):
            return "ascending"
        return None
    return "descending" if desc else "ascending" if asc else None


def check_order(question: str, spec: Any, schema: Any, conventions: Any) -> list[Finding]:
    """Ranking words ("top", "slowest", "fewest") on a breakdown: ordered by a calculation that way."""
    want = _direction(question)
    if want is None or not spec.breakdowns:
        return []
    calc = next((c for c in spec.effective_calculations if c.op != "HEATMAP"), None)
    frag = (
        f"{{op: {calc.op}{', column: ' + calc.column if calc.column else ''}, order: {want}}}"
        if calc
        else want
    )
    first = spec.orders[0] if spec.orders else None
    if first is not None and first.op is not None and first.order == want:
        return []
    if first is None:
        msg = f"the question ranks ({want}), but the query has no order"
    elif first.op is None:
        msg = f"the question ranks by a calculation, but the query orders by {first.column}"
    else:
        msg = f"the question ranks {want}, but the query orders {first.order}"
    return [
        warning("critic_order", msg, path="orders[0]" if first else "orders", suggestion=f"orders[0]: {frag}")
    ]


_NUMS = r"(\d+|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty)"
_LIMIT = re.compile(rf"\b(?:top|bottom|first)\s+{_NUMS}\b|\b{_NUMS}\s+(?:slowest|fastest|most|least|busiest|"
                    r"biggest|largest|worst|noisiest|highest|lowest|fewest)\b")  # fmt: skip
_NUMBER = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
           "twelve": 12, "fifteen": 15, "twenty": 20}  # fmt: skip


def check_limit(question: str, spec: Any, schema: Any, conventions: Any) -> list[Finding]:
    """ "top 5", "3 slowest": ``limit`` N."""
    m = _LIMIT.search(question.lower())
    if m is None:
        return []
    text = m.group(1) or m.group(2)
    n = _NUMBER.get(text) or int(text)
    if spec.limit == n:
        return []
    has = f"limit {spec.limit}" if spec.limit is not None else "no limit"
    return [warning("critic_limit", f"the question asks for {m.group(0)!r}, but the query has {has}",
                    path="limit", suggestion=f"limit: {n}")]  # fmt: skip


_GRAN = re.compile(r"\b(?:per|by|every|each|by the)\s+(?:(?P<n>\d+)\s*)?(?P<u>minute|min|hour|hr|day|week)s?\b"
                   r"|\b(?P<adv>hourly|daily|weekly)\b|\b(?P<any>over time|trends?|trending|timeline|time series|"
                   r"timeseries)\b")  # fmt: skip
_ADV = {"hourly": 3600, "daily": 86400, "weekly": 604800}


def check_granularity(question: str, spec: Any, schema: Any, conventions: Any) -> list[Finding]:
    """ "per hour", "daily", "over time": a time series (``granularity``, in seconds when a unit is named)."""
    m = _GRAN.search(question.lower())
    if m is None:
        return []
    want = None
    if m["u"]:
        want = int(m["n"] or 1) * (unit_seconds(m["u"]) or 0)
    elif m["adv"]:
        want = _ADV[m["adv"]]
    if spec.granularity is not None and (want is None or spec.granularity == want):
        return []
    has = f"granularity {spec.granularity}" if spec.granularity else "no time series"
    fix = want or 3600
    return [warning("critic_granularity", f"the question asks for {m.group(0)!r}, but the query has {has}",
                    path="granularity", suggestion=f"granularity: {fix}")]  # fmt: skip


Rule = Callable[[str, Any, Any, Any], list[Finding]]
RULES: tuple[tuple[str, Rule], ...] = (
    ("time", check_time),
    ("statistic", check_statistic),
    ("values", lambda q, s, schema, conv: check_values(q, s, schema)),
    ("errors", check_errors),
    ("status", check_status),
    ("thresholds", check_thresholds),
    ("root_spans", check_root_spans),
    ("exclusion", check_exclusion),
    ("count_threshold", check_count_threshold),
    ("or", check_or),
    ("unasked_statistic", check_unasked_statistic),
    ("versus", check_versus),
    ("group", check_group),
    ("order", check_order),
    ("limit", check_limit),
    ("granularity", check_granularity),
)


def check_constraints(question: str, spec: Any, schema: Any, conventions: Any) -> list[Finding]:
    """Every constraint rule, unguarded (``critic.critique`` runs them guarded)."""
    return [f for _, rule in RULES for f in rule(question, spec, schema, conventions)]
