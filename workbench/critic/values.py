"""Conditions the question names: column values (and their negation), errors, status classes, thresholds.

The value check grew from ``question_value_unused`` (kept as its code, for compatibility): a value
from a low-cardinality column's domain that the question names must be kept by the query: filtered
to, or broken down by. The critic adds the contradictions: the query filters that column to other
values (``ios`` for ``android``), or keeps a value the question excludes ("not android").

Which values a query keeps is computed by evaluating its filters on the column's value domain, so
``= android``, ``in [android]`` and ``!= ios AND != web`` all read the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from workbench.core.findings import Finding, warning
from workbench.critic.text import (
    column,
    columns_of,
    error_column_tokens,
    expand_contractions,
    name_tokens,
    per_schema,
    singular,
    words,
)

_VALUE = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{2,}$|^/[\w\-/{}.]+$|^\d+\.\d+\.\d+$")
#: domain values that are everyday words in a question about telemetry, not conditions
ORDINARY = frozenset({
    "true", "false", "none", "null", "other", "unknown", "default", "control", "success", "ok",
    "error", "user", "request", "span", "trace", "service", "event", "call", "item", "product", "query",
    "session", "order", "page", "time", "count", "total", "value", "data",
    # the question language itself: time units, ranking and comparison words, generic verbs
    "second", "minute", "hour", "day", "week", "month", "year", "today", "yesterday", "now", "recent",
    "top", "bottom", "first", "last", "most", "least", "high", "low", "max", "min", "average", "all", "any",
    "new", "old", "more", "less", "fast", "slow", "send", "receive", "process", "create", "update", "show",
})  # fmt: skip
NEGATORS = frozenset(
    {"not", "except", "excluding", "exclude", "without", "non", "but", "besides", "ignoring", "outside"}
)
_NEGATIVE_OPS = frozenset({"!=", "not-in", "does-not-contain", "does-not-start-with", "does-not-end-with"})


def all_filters(spec: Any) -> Iterable[Any]:
    yield from spec.filters
    for calc in spec.calculations:
        yield from calc.filters or ()


def filter_values(spec: Any, positive: bool | None = None) -> Iterable[Any]:
    """Values the spec's filters name (only those of keeping / excluding filters with ``positive``)."""
    for f in all_filters(spec):
        if positive is not None and (f.op in _NEGATIVE_OPS) == positive:
            continue
        if isinstance(f.value, list | tuple):
            yield from f.value
        elif f.value is not None:
            yield f.value


def keeps(f: Any, value: Any) -> bool:
    """Whether one filter keeps rows where its column equals ``value``."""
    op, v = f.op, f.value
    text, target = str(value).lower(), (str(v).lower() if not isinstance(v, list | tuple) else "")
    items = [str(x).lower() for x in v] if isinstance(v, list | tuple) else [target]
    num = _num(value)
    if op in ("=", "in"):
        return text in items or (
            num is not None and any(_num(x) == num for x in (v if isinstance(v, list | tuple) else [v]))
        )
    if op in ("!=", "not-in"):
        return not keeps(f.model_copy(update={"op": "="}), value)
    if op in (">", ">=", "<", "<="):
        a, b = num, _num(v)
        if a is None or b is None:
            return True
        return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]
    checks = {
        "contains": target in text,
        "starts-with": text.startswith(target),
        "ends-with": text.endswith(target),
    }
    if op in checks:
        return checks[op]
    if op.startswith("does-not-") and op != "does-not-exist":
        positive = {"does-not-contain": "contains", "does-not-start-with": "starts-with"}.get(
            op, "ends-with" if op == "does-not-end-with" else ""
        )
        return not checks.get(positive, False)
    return op != "does-not-exist"


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def kept(spec: Any, col: str, domain: Iterable[Any]) -> set[Any] | None:
    """The domain values the spec's top-level AND filters keep for ``col``; None if it filters none or ORs."""
    mine = [f for f in spec.filters if f.column == col]
    if not mine or spec.filter_combination == "OR":
        return None
    return {v for v in domain if all(keeps(f, v) for f in mine)}


def _named_values(question: str, spec: Any, schema: Any) -> dict[str, tuple[str, list[str], bool]]:
    """Lowercased value → (as spelled, its columns, negated in the question)."""
    text = re.sub(r"\bnon-(?=[A-Za-z])", "non ", expand_contractions(question), flags=re.I)
    raw = re.findall(r"/[\w\-/{}.]*[\w}]|\d+\.\d+\.\d+|[A-Za-z][A-Za-z0-9_\-]*", text)
    toks = [w.lower() for w in raw]
    name_parts = {p for name in spec.columns_used() for p in re.split(r"[._\-]", name.lower()) if p}
    lower = ({w for w in toks} | {w[:-1] for w in toks if len(w) > 4 and w.endswith("s")}) - name_parts
    exact = set(raw)
    values, index = _nameable_values(schema)
    # only the values a word of the question can name, in the schema's order (as a scan of them all)
    positions = sorted({i for w in lower | {r.lower() for r in exact} for i in index.get(w, ())})
    named: dict[str, tuple[str, list[str], bool]] = {}
    for text, key, col_name in (values[i] for i in positions):
        if key in name_parts:
            continue
        if text in exact if text.isupper() else key in lower:
            if key not in named:
                named[key] = (text, [], _negated(toks, key))
            named[key][1].append(col_name)
    return named


def _nameable_values(schema: Any) -> tuple[tuple[tuple[str, str, str], ...], dict[str, tuple[int, ...]]]:
    """(as spelled, lowercased, column) of each nameable (not ordinary) value, and the positions of
    each lowercased value among them: once per schema object."""
    slot = per_schema(schema)
    found = slot.get("critic_nameable_values")
    if found is None:
        values = tuple(
            (text, text.lower(), col.name)
            for col in columns_of(schema) if col.type == "string" and col.values
            for text in map(str, col.values)
            if _VALUE.match(text) and text.lower() not in ORDINARY and text.lower().removesuffix("s") not in ORDINARY
        )  # fmt: skip
        index: dict[str, list[int]] = {}
        for i, (_, key, _) in enumerate(values):
            index.setdefault(key, []).append(i)
        found = slot["critic_nameable_values"] = (values, {k: tuple(v) for k, v in index.items()})
    return found


def _negated(toks: list[str], key: str) -> bool:
    for i, w in enumerate(toks):
        if w in (key, key + "s"):
            before = toks[max(0, i - 3) : i]
            return bool(
                any(b in NEGATORS for b in before) or " ".join(before[-2:]) in ("other than", "apart from")
            )
    return False


def check_values(question: str, spec: Any, schema: Any) -> list[Finding]:
    """Named domain values the query drops (``question_value_unused``), contradicts or fails to negate."""
    if spec is None or schema is None or not question:
        return []
    named = _named_values(question, spec, schema)
    used_values = " ".join(str(v).lower() for v in filter_values(spec, positive=True))
    negated_values = " ".join(str(v).lower() for v in filter_values(spec, positive=False))
    breakdowns = set(spec.breakdowns)
    out = []
    for key, (value, columns, negated) in named.items():
        states = []
        for col_name in columns:
            domain = column(schema, col_name).values or ()
            keep = kept(spec, col_name, domain)
            if keep is None:
                states.append("by" if col_name in breakdowns and not negated else "none")
            elif negated:
                states.append("ok" if value not in keep and keep else "kept")
            elif value not in keep:
                states.append("excluded")
            elif len(keep) < len(domain) or col_name in breakdowns:
                states.append("ok")
            else:
                states.append("none")  # "exists": keeps everything
        first = columns[0]
        if any(s in ("ok", "by") for s in states):
            continue
        if negated:
            col_name = columns[states.index("kept")] if "kept" in states else first
            out.append(warning(
                "critic_negation",
                f"the question excludes {value!r} ({col_name}), but the query keeps it",
                path="filters", suggestion=f"filters[+]: {col_name} != {value}",
            ))  # fmt: skip
        elif "excluded" in states:
            col_name = columns[states.index("excluded")]
            out.append(warning(
                "critic_value",
                f"the question names {value!r}, but the query's filters on {col_name} leave it out",
                path=_filter_path(spec, col_name), suggestion=f"filters[+]: {col_name} = {value}",
            ))  # fmt: skip
        elif key in negated_values and key not in used_values:
            out.append(warning(
                "critic_negation",
                f"the question asks for {value!r}, but the query excludes it",
                path="filters", suggestion=f"filters[+]: {first} = {value} (not a negated filter)",
            ))  # fmt: skip
        elif key not in used_values:
            more = (
                f" (or {', '.join(columns[1:3])}{', ...' if len(columns) > 3 else ''})"
                if len(columns) > 1
                else ""
            )
            out.append(warning(
                "question_value_unused",
                f"the question names {value!r}, a value of {first}{more}, but the query neither filters on it "
                f"nor breaks down by {first}: a condition may have been dropped",
                path="filters",
                suggestion=f"add a filter {first} = {value!r} (filters[+]: {first} = {value}), "
                "or check the question was read right",
            ))  # fmt: skip
    return out


def _filter_path(spec: Any, col: str) -> str:
    for i, f in enumerate(spec.filters):
        if f.column == col:
            return f"filters[{i}]"
    return "filters"


# --------------------------------------------------------------------------- errors, status, thresholds

ERROR_WORDS = frozenset({"error", "errors", "erroring", "errored", "failed", "failure", "failures", "failing",
                          "fail", "fails"})  # fmt: skip
_NO_ERROR = re.compile(r"\b(?:without|no|non|excluding|except|not)[\s\-]+(?:an?\s+)?(?:errors?|failures?)\b"
                       r"|\bsuccessful\b|\bsucceeded\b")  # fmt: skip


def check_errors(question: str, spec: Any, schema: Any, conventions: Any) -> list[Finding]:
    """Errors and failures mean the conventions' error filter (or its negation)."""
    conv = getattr(conventions, "error_filter", None)
    if conv is None or column(schema, conv.column) is None:
        return []
    toks = words(question)
    hits = [i for i, w in enumerate(toks) if w in ERROR_WORDS]
    negated = bool(_NO_ERROR.search(question.lower()))
    if not hits and not negated:
        return []
    # "error code", "error message": the word names another column the query may well use
    for i in hits:
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if nxt and singular(nxt) in error_column_tokens(schema):
            return []
    related = {conv.column, getattr(conventions, "status_column", None)}
    touched = {f.column for f in all_filters(spec)} | set(spec.breakdowns)
    on_conv = [f for f in all_filters(spec) if f.column == conv.column]
    if on_conv or conv.column in spec.breakdowns:
        kept_values = {v for v in (True, False) if all(keeps(f, v) for f in on_conv)}
        if conv.column in spec.breakdowns or kept_values == (
            {conv.value} if not negated else {not conv.value}
        ):
            return []
    elif any(c in related or {"error", "exception"} & set(name_tokens(c)) for c in touched):
        kept_values = {
            v for v in (True, False) if all(keeps(f, v) for f in all_filters(spec) if f.column == conv.column)
        }
        if not negated or conv.column not in touched or kept_values != {conv.value}:
            return []
    fix = f"{conv.column} != {_lit(conv.value)}" if negated else conv.text()
    said = "asks for spans without errors" if negated else "asks about errors"
    return [warning("critic_value", f"the question {said}, but the query has no filter {fix}", path="filters",
                    suggestion=f"filters[+]: {fix}")]  # fmt: skip


def _lit(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


_STATUS = re.compile(r"\b(?P<neg>non[\s\-]?|not\s+|excluding\s+|except\s+|without\s+)?(?:(?P<cls>[1-5])xx|"
                     r"(?:status(?:\s+code)?|http)\s+(?P<code>[1-5]\d\d)|(?P<plain>[1-5]\d\d)s?"
                     r"(?=\s+(?:errors?|responses?|status|codes?|s\b))|(?P<bare>[45]\d\d)s?(?=\s+[a-z]|,)|"
                     r"(?:returned|returning|returns|return|got|with)\s+(?:an?\s+)?(?P<ret>[1-5]\d\d)\b)")  # fmt: skip
#: a number after these counts something ("more than 250 errors", "top 100 routes"), it is no status code
_COUNTING = re.compile(
    r"(?:than|over|above|under|below|least|most|top|first|last|bottom|past|exceeding|>=?|<=?)\s*$"
)


def _status_mentions(q: str) -> list[re.Match[str]]:
    return [m for m in _STATUS.finditer(q) if m["neg"] or m["cls"] or not _COUNTING.search(q[: m.start()])]


def check_status(question: str, spec: Any, schema: Any, conventions: Any) -> list[Finding]:
    """5xx / 4xx / "status 404": the status column must keep exactly those codes."""
    col_name = getattr(conventions, "status_column", None)
    col = column(schema, col_name)
    found = _status_mentions(question.lower())
    if col is None or not found or (len(found) > 1 and any(m["neg"] for m in found)):
        return []
    wanted, texts, fixes = set(), [], []
    for m in found:
        if m["cls"]:
            lo = int(m["cls"]) * 100
            wanted |= set(range(lo, lo + 100))
            texts.append(f"{m['cls']}xx")
            fixes.append(
                f"{col_name} >= {lo}" + (f", filters[+]: {col_name} < {lo + 100}" if lo < 500 else "")
            )
        else:
            code = int(m["code"] or m["plain"] or m["bare"] or m["ret"])
            wanted.add(code)
            texts.append(str(code))
            fixes.append(f"{col_name} = {code}")
    text = " or ".join(texts)
    m = found[0]
    fix = fixes[0] if len(found) == 1 else f"{col_name} in [{', '.join(texts)}]"
    codes = range(100, 600)
    if m["neg"]:
        wanted = set(codes) - wanted
        text = "not " + text
    for calc_filters in [()] + [c.filters or () for c in spec.calculations]:
        mine = [f for f in (*spec.filters, *calc_filters) if f.column == col_name]
        if (
            spec.filter_combination != "OR"
            and mine
            and {c for c in codes if all(keeps(f, c) for f in mine)} == wanted
        ):
            return []
    if spec.filter_combination == "OR" and any(f.column == col_name for f in spec.filters):
        return []
    return [warning("critic_threshold", f"the question asks for {text} responses, but the query's filters on "
                    f"{col_name} keep other codes", path=_filter_path(spec, col_name),
                    suggestion=f"filters[+]: {fix}")]  # fmt: skip


_THRESH = re.compile(
    r"\b(?P<dir>over|above|more than|greater than|longer than|slower than|exceeding|at least|"
    r"under|below|less than|shorter than|faster than|within|at most)\s+"
    r"(?P<n>\d+(?:\.\d+)?)\s*(?P<u>ms|milliseconds?|millis|s|secs?|seconds?|mins?|minutes?)\b"
)
_UNIT_MS = {"ms": 1, "mil": 1, "s": 1000, "sec": 1000, "min": 60000}
#: "1s or more", "200 ms or longer": the direction after the value
_THRESH_AFTER = re.compile(
    r"\b(?P<n>\d+(?:\.\d+)?)\s*(?P<u>ms|milliseconds?|millis|s|secs?|seconds?|mins?|minutes?)\s+or\s+"
    r"(?P<dir>more|longer|above|over|slower|less|shorter|under|below|faster)\b"
)
_UP_WORDS = ("over", "above", "more than", "greater than", "longer than", "slower than", "exceeding", "at least",
             "more", "longer", "slower")  # fmt: skip


def check_thresholds(question: str, spec: Any, schema: Any, conventions: Any) -> list[Finding]:
    """ "over 500 ms", "under 2s": a filter (or having) on the duration column at that value."""
    dur = getattr(conventions, "duration_column", None)
    if column(schema, dur) is None:
        return []
    out = []
    q = question.lower()
    for m in [*_THRESH.finditer(q), *_THRESH_AFTER.finditer(q)]:
        unit = next(v for k, v in _UNIT_MS.items() if m["u"].startswith(k))
        ms = float(m["n"]) * unit
        up = m["dir"] in _UP_WORDS
        ops = (">", ">=") if up else ("<", "<=")
        cands = [*((f.column, f.op, f.value) for f in all_filters(spec)),
                 *((h.column, h.op, h.value) for h in spec.havings)]  # fmt: skip
        ok = any((c == dur or "ms" in name_tokens(c or "")) and op in ops and _num(v) is not None
                 and abs(_num(v) - ms) <= 1e-6 * max(1.0, ms) for c, op, v in cands)  # fmt: skip
        if not ok:
            out.append(warning("critic_threshold", f"the question says {m.group(0)!r}, but the query has no "
                               f"condition {dur} {ops[0]} {ms:g}", path=_filter_path(spec, dur),
                               suggestion=f"filters[+]: {dur} {ops[0]} {ms:g}"))  # fmt: skip
    return out


_TRACE = re.compile(r"\btraces?\b(?![\s._]*(?:id|ids|parent|span))")


def check_root_spans(question: str, spec: Any, schema: Any, conventions: Any) -> list[Finding]:
    """Traces mean root spans (the conventions' filter), or distinct trace ids."""
    conv = getattr(conventions, "root_span_filter", None)
    q = question.lower()
    if conv is None or column(schema, conv.column) is None or not _TRACE.search(q) or "span" in q:
        return []
    if any(f.column == conv.column and f.op == conv.op and f.value == conv.value for f in all_filters(spec)):
        return []
    if any(
        "trace" in name_tokens(c) for c in (*spec.breakdowns, *(x.column or "" for x in spec.calculations))
    ):
        return []
    return [warning("critic_root_spans", "the question is about traces, but the query counts every span",
                    path="filters", suggestion=f"filters[+]: {conv.text()}")]  # fmt: skip


def unused_question_values(question: str, spec: Any, schema: Any) -> list[Finding]:
    """Only the ``question_value_unused`` warnings: values the question names that the spec ignores."""
    return [f for f in check_values(question, spec, schema) if f.code == "question_value_unused"]
