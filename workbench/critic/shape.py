"""How the question's conditions fit together: exclusions, count thresholds, "or", and what was never asked.

These rules read the structure of the question rather than one named thing: "leaving out X" needs an
excluding filter, "more than 3 failed requests" a condition on a count, "errored or took over 2 s"
an OR of two filters, and a filter or statistic the question gives no word for is a guess.
Like every critic rule they stay silent when unsure.
"""

from __future__ import annotations

import re
from typing import Any

from workbench.core.findings import Finding, warning
from workbench.critic.text import (
    DURATION_WORDS,
    column,
    expand_contractions,
    name_tokens,
    singular,
    unit_seconds,
    words,
)
from workbench.critic.values import ERROR_WORDS, all_filters

__all__ = [
    "check_count_threshold",
    "check_exclusion",
    "check_or",
    "check_unasked_statistic",
    "check_versus",
]

# --------------------------------------------------------------------------- exclusions

_EXCLUDE = re.compile(
    r"\b(?:non[\s\-]\w+|leav(?:e|ing) out|excluding|exclude|except(?: for)?|other than|apart from|ignoring|"
    r"ignore|filter(?:ing)? out|minus|(?:is|are|was|were|do|does|did) not (?:from|on|in|for|to|an?|the)|"
    r"(?:without|but no|and no|with no)\s+(?!errors?\b|failures?\b|exceptions?\b)(?:an?\s+|any\s+|the\s+)?\w+)\b"
)
_NOT_EXCLUSION = re.compile(r"\bwith(?:\s+(?:vs\.?|versus|or|and))\s+without\b")
_EXCLUDING_OPS = frozenset(
    {
        "!=",
        "not-in",
        "does-not-contain",
        "does-not-start-with",
        "does-not-end-with",
        "does-not-exist",
        "<",
        "<=",
    }
)


def _excludes(f: Any) -> bool:
    return f.op in _EXCLUDING_OPS or (f.op == "=" and f.value is False)


def check_exclusion(question: str, spec: Any, schema: Any, conventions: Any) -> list[Finding]:
    """ "leaving out X", "non-X", "except X", "isn't from X": at least one filter that excludes something.

    Named values ("not android") are the value rule's; this one catches exclusions of things that
    are not a single domain value (a prefix, a substring, a missing attribute)."""
    q = expand_contractions(question.lower())
    m = _EXCLUDE.search(q)
    if m is None or _NOT_EXCLUSION.search(q) or spec.filter_combination == "OR":
        return []
    if any(_excludes(f) for f in all_filters(spec)):
        return []
    after = q[m.end() :].split()[:1] if not m.group(0).startswith("non") else [m.group(0)[4:]]
    if after and _is_domain_value(after[0], schema):
        return []  # "non-GET", "except android": a named value, the value rule reads it on the domain
    return [warning("critic_negation", f"the question excludes something ({m.group(0)!r}), but no filter of the "
                    "query excludes anything", path="filters",
                    suggestion="filters[+]: <column> does-not-contain / != / does-not-exist <what to leave out>")]  # fmt: skip


def _is_domain_value(word: str, schema: Any) -> bool:
    word = word.strip(".,;:!?").lower()
    return any(
        word in (str(v).lower() for v in col.values or ())
        for col in getattr(schema, "columns", schema) or ()
        if col.type == "string"
    )


# --------------------------------------------------------------------------- thresholds on counts

_COUNT_THRESHOLD = re.compile(
    r"\b(?P<dir>more than|over|above|at least|fewer than|less than|under|below|at most|no more than)\s+"
    r"(?P<n>\d+)\s+(?P<noun>(?:of them|[a-z][\w\-]*(?:\s+[a-z][\w\-]*)?))"
)
_NOT_COUNTED = re.compile(
    r"^(?:%|percent|x\b|times\b|ms\b|milli|sec|s\b|min|hour|hr|day|week|month|year|kb|mb|gb|bytes?|usd|dollars?|"
    r"cents?|euros?)"
)
_UP = ("more than", "over", "above", "at least")


def check_count_threshold(question: str, spec: Any, schema: Any, conventions: Any) -> list[Finding]:
    """ "more than 250 errors", "at least 3 failed requests", "fewer than 10 of them": a condition on a count
    (a ``having`` on COUNT), unless the counted noun is a numeric column of its own."""
    out = []
    for m in _COUNT_THRESHOLD.finditer(question.lower()):
        noun = m["noun"]
        if _NOT_COUNTED.match(noun) or unit_seconds(noun.split()[0]):
            continue
        n = float(m["n"])
        numeric_col = _numeric_column_named(noun, schema)
        ok = any(_close(h.value, n) for h in spec.havings) or (
            numeric_col is not None
            and any(f.column == numeric_col and _close(f.value, n) for f in all_filters(spec))
        )
        if ok:
            continue
        op = (
            (">=" if m["dir"] == "at least" else ">")
            if m["dir"] in _UP
            else ("<=" if m["dir"] in ("at most", "no more than") else "<")
        )
        calc = next((c for c in spec.effective_calculations if c.op in ("COUNT", "COUNT_DISTINCT")), None)
        cop = calc.op if calc else "COUNT"
        out.append(warning("critic_threshold", f"the question asks for {m.group(0)!r}, a condition on a count, but the "
                           "query has no having on it", path="havings",
                           suggestion=f"havings[+]: {{calculate_op: {cop}, op: '{op}', value: {int(n)}}}"))  # fmt: skip
    return out


def _close(value: Any, n: float) -> bool:
    try:
        return not isinstance(value, bool) and abs(float(value) - n) < 1e-9
    except (TypeError, ValueError):
        return False


def _numeric_column_named(noun: str, schema: Any) -> str | None:
    wanted = {singular(w) for w in noun.split()}
    for col in getattr(schema, "columns", schema) or ():
        if col.type in ("integer", "float") and wanted & {singular(t) for t in name_tokens(col.name)}:
            return col.name
    return None


# --------------------------------------------------------------------------- "or" between conditions

_OR = re.compile(
    r"\bor\b(?!\s+(?:more|less|longer|shorter|above|below|higher|lower|over|under|greater|fewer|not)\b)"
)
_SIDE = 5
_TIMED = re.compile(r"^\d+(?:\.\d+)?(?:ms|s|secs?|seconds?|mins?|minutes?)$")
_GENERIC = frozenset({"app", "http", "net", "k8s", "cloud", "id", "name", "type", "kind", "value", "count"})
_ERROR_WORDS = ERROR_WORDS | {"exception", "exceptions"}  # an exception reads as the error filter too


def _supports(f: Any, side: list[str], conventions: Any) -> bool:
    """Whether a few question words name filter ``f``: its column, its value, or the conventions' reading."""
    stems = {singular(w) for w in side} | set(side)
    tokens = {singular(t) for t in name_tokens(f.column)} - _GENERIC
    values = f.value if isinstance(f.value, list | tuple) else [f.value]
    value_words = {
        singular(w) for v in values if v is not None and not isinstance(v, bool) for w in words(str(v))
    }
    if tokens & stems or value_words & stems:
        return True
    err = getattr(conventions, "error_filter", None)
    if err is not None and f.column == err.column and _ERROR_WORDS & stems:
        return True
    dur = getattr(conventions, "duration_column", None)
    timed = any(_TIMED.match(w) for w in side)
    return f.column == dur and (
        timed or bool((DURATION_WORDS | {"longer", "shorter", "slower", "faster"}) & stems)
    )


def check_or(question: str, spec: Any, schema: Any, conventions: Any) -> list[Finding]:
    """ "errored or took over 2 s": two conditions on different columns joined by "or" need ``filter_combination: OR``."""
    if spec.filter_combination == "OR" or len({f.column for f in spec.filters}) < 2:
        return []
    toks = words(question)
    for i, w in enumerate(toks):
        if w != "or" or not _OR.match(" ".join(toks[i:])):
            continue
        left, right = toks[max(0, i - _SIDE) : i], toks[i + 1 : i + 1 + _SIDE]
        for a in spec.filters:
            for b in spec.filters:
                if a.column == b.column:
                    continue
                if (
                    _supports(a, left, conventions)
                    and not _supports(a, right, conventions)
                    and _supports(b, right, conventions)
                    and not _supports(b, left, conventions)
                ):
                    return [warning("critic_combination", f"the question joins two conditions with 'or' ({a.column} "
                                    f"... or {b.column}), but the query requires both", path="filter_combination",
                                    suggestion="filter_combination: OR")]  # fmt: skip
    return []


# --------------------------------------------------------------------------- statistics nobody asked for

_PCT = re.compile(r"\bp(\d{2,3}(?:\.\d+)?)\b|\b(\d{1,2})(?:st|nd|rd|th)\s+percentile\b|\bmedian\b")
_PERCENTILES = frozenset({"P50", "P75", "P90", "P95", "P99", "P999"})
_SUPERLATIVE = re.compile(
    r"\b(?P<w>biggest|largest|highest|most expensive|smallest|lowest|cheapest|least expensive)\s+"
    r"(?P<noun>[a-z][\w\-]*)\b(?!\s+(?:by|per|for each)\b)"
)
_TOTAL = re.compile(r"\btotal\s+(?P<noun>time|duration|latency|[a-z][\w\-]*)\b")


def _stated_percentiles(q: str) -> set[str]:
    out = set()
    for m in _PCT.finditer(q):
        if m.group(0) == "median":
            out.add("P50")
            continue
        text = m[1] or m[2]
        out.add("P999" if text in ("999", "99.9") else f"P{text}")
    return out


def check_unasked_statistic(question: str, spec: Any, schema: Any, conventions: Any) -> list[Finding]:
    """A percentile the question does not name beside the ones it does; "biggest order" without MAX;
    "total time" without SUM; a distinct count where the question counts plain events."""
    q = question.lower()
    calcs = spec.effective_calculations
    out = []
    stated = _stated_percentiles(q)
    for i, c in enumerate(calcs):
        if stated and c.op in _PERCENTILES and c.op not in stated:
            out.append(warning("critic_statistic", f"the question asks for {', '.join(sorted(stated))}, but the query "
                               f"also computes {c.op}", path=f"calculations[{i}]",
                               suggestion=f"calculations[-]: {c.op}"))  # fmt: skip
    m = _SUPERLATIVE.search(q)
    if m and not m["noun"].endswith("s") and _numeric_column_named(m["noun"], schema):
        op = "MIN" if m["w"] in ("smallest", "lowest", "cheapest", "least expensive") else "MAX"
        if not any(c.op == op for c in calcs):
            col = _numeric_column_named(m["noun"], schema)
            out.append(warning("critic_statistic", f"the question asks for the {m['w']} {m['noun']} ({op}), but the "
                               f"query computes {', '.join(c.label for c in calcs)}", path="calculations[0]",
                               suggestion=f"calculations[0]: {{op: {op}, column: {col}}}"))  # fmt: skip
    t = _TOTAL.search(q)
    dur = getattr(conventions, "duration_column", None)
    if (
        t
        and t["noun"] in ("time", "duration", "latency")
        and column(schema, dur) is not None
        and not any(c.op == "SUM" and c.column == dur for c in calcs)
    ):
        out.append(warning("critic_statistic", f"the question asks for {t.group(0)!r} (SUM of {dur}), but the "
                           f"query computes {', '.join(c.label for c in calcs)}", path="calculations[0]",
                           suggestion=f"calculations[0]: {{op: SUM, column: {dur}}}"))  # fmt: skip
    out += _plain_count(q, calcs, conventions)
    return out


def _plain_count(q: str, calcs: Any, conventions: Any) -> list[Finding]:
    """COUNT_DISTINCT of a column needs "distinct"/"unique", or a question counting that column's thing
    in the plural ("how many users", "traces per service"; people and customers are the conventions' users)."""
    if re.search(r"\b(?:distinct|unique|different)\b", q):
        return []
    user = getattr(conventions, "user_column", None)
    out = []
    for i, c in enumerate(calcs):
        if c.op != "COUNT_DISTINCT" or not c.column:
            continue
        thing = {singular(t) for t in name_tokens(c.column)} - _GENERIC
        if any(re.search(rf"\b{re.escape(t)}(?:s|es)\b", q) for t in thing) or (
            c.column == user and re.search(r"\b(?:users|customers|people|accounts)\b", q)
        ):
            continue
        out.append(warning("critic_statistic", f"the question counts events, but the query counts distinct values of "
                           f"{c.column}", path=f"calculations[{i}]", suggestion=f"calculations[{i}]: {{op: COUNT}}"))  # fmt: skip
    return out


# --------------------------------------------------------------------------- "A vs B"

_VERSUS = re.compile(
    r"\b(?P<a>[\w.\-/{}]+)\s+(?:vs\.?|versus|compared (?:to|with)|against)\s+(?P<b>[\w.\-/{}]+)"
)
_WITH_WITHOUT = re.compile(
    r"\bwith(?:\s+(?:vs\.?|versus|or|and))\s+without\s+(?:the\s+|a\s+|an\s+)?(?P<w>[\w\-\s]+)"
)


def check_versus(question: str, spec: Any, schema: Any, conventions: Any) -> list[Finding]:
    """ "android vs ios", "with vs without the flag": the two sides side by side, a breakdown on their column."""
    q = question.lower()
    for m in _VERSUS.finditer(q):
        holders = [
            col.name
            for col in getattr(schema, "columns", schema) or ()
            if col.type == "string" and {m["a"], m["b"]} <= {str(v).lower() for v in col.values or ()}
        ]
        if holders and not set(holders) & set(spec.breakdowns):
            return [warning("critic_group", f"the question compares {m['a']!r} with {m['b']!r}, but the query has "
                            f"no breakdown by {holders[0]}", path="breakdowns",
                            suggestion=f"breakdowns[+]: {holders[0]}")]  # fmt: skip
    m = _WITH_WITHOUT.search(q)
    if m:
        content = {singular(w) for w in words(m["w"])[:4]}
        scored = sorted(
            ((len(({singular(t) for t in name_tokens(c.name)} - _GENERIC) & content), c.name)
             for c in getattr(schema, "columns", schema) or () if c.type == "boolean"),
            reverse=True,
        )  # fmt: skip
        best = [name for n, name in scored if n >= 2 and n == scored[0][0]]
        if len(best) == 1 and best[0] not in spec.breakdowns:
            return [warning("critic_group", f"the question compares with and without {m['w'].strip()!r}, but the "
                            f"query has no breakdown by {best[0]}", path="breakdowns",
                            suggestion=f"breakdowns[+]: {best[0]}")]  # fmt: skip
    return []
