"""Measures of a question: statistics, what they measure, ranking, top N and comparisons."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from workbench.offline.text import BOUNDARY, SUBJECT_NOUNS
from workbench.offline.vocabulary import prior, table, words

if TYPE_CHECKING:
    from workbench.offline.state import Calc, Parse

PERCENTILES = table("clauses.percentiles")
STAT_WORDS = table("clauses.stat_words")
#: measure words that name the duration concept
DURATION_WORDS = words("clauses.duration_words")
ORDER_VALUE_WORDS = table("clauses.order_value_words")
ITEM_WORDS = words("clauses.item_words")
#: event nouns whose measure is a plain count
COUNT_NOUNS = words("clauses.count_nouns")
_AMOUNT_PARTS = words("clauses.amount_parts")
_PEOPLE = words("clauses.people")
_ORD_PCT = re.compile(r"^(\d+(?:\.\d+)?)(?:st|nd|rd|th)?$")


# --------------------------------------------------------------------------- measures


def slow_options() -> list[tuple[str, float]]:
    """The statistics "slow" or "latency" may mean with no statement, and their prior scores."""
    return [(op, float(score)) for op, score in prior("slow_ops").items()]


def measure_at(p: Parse, j: int) -> tuple[str, Any, int] | None:
    m = _measure_at(p, j)
    if m is None or m[0] not in ("items", "order_value", "column") or not m[2]:
        return m
    end = j + m[2]  # "items in the cart", "value of the order": the column's own words
    if p.low(end) in ("in", "of", "per") and p.free(end):
        k = end + 1 + (p.low(end + 1) in ("the", "their", "a", "an", "each"))
        ranked = p.lex.concept(m[0]) if m[0] != "column" else [(p.lex.get(m[1]), 1.0)]
        if (
            k < p.n
            and p.free(k)
            and ranked
            and ranked[0][0] is not None
            and p.toks[k].stem in ranked[0][0].parts
        ):
            return m[0], m[1], k + 1 - j
    return m


def _measure_at(p: Parse, j: int) -> tuple[str, Any, int] | None:
    """What a noun phrase at ``j`` measures: ``(kind, payload, tokens)``.

    kinds: ``duration``, ``order_value`` (payload: fixed op or None), ``items``, ``count``
    (payload: the noun), ``column`` (payload: a numeric column name), ``literal`` (the user's term).
    """
    if not p.free(j) or p.toks[j].kind not in ("word",):
        return None
    words = []
    for k in range(j, min(j + 3, p.n)):
        if not p.free(k) or p.toks[k].kind != "word" or (k > j and p.low(k) in BOUNDARY):
            break
        words.append(p.toks[k].stem)
    for size in range(len(words), 0, -1):
        phrase = " ".join(words[:size])
        if phrase in DURATION_WORDS or (
            size == 1 and phrase == "time" and j > 0 and p.toks[j - 1].kind == "pct"
        ):
            return "duration", None, size
        if phrase in ORDER_VALUE_WORDS:
            return "order_value", ORDER_VALUE_WORDS[phrase], size
        if phrase in ITEM_WORDS:
            return "items", None, size
    if words and words[0] in COUNT_NOUNS:
        return "count", words[0], 0  # not consumed: the concept pass reads "errors", "traces"
    for size in range(len(words), 0, -1):
        if all(w in BOUNDARY for w in words[:size]):
            continue
        col, _score = p.column_for(words[:size], "numeric", threshold=0.6)
        info = p.lex.get(col) if col else None
        if info is not None and (not info.values or info.parts & _AMOUNT_PARTS):  # a measure, not a code
            return "column", col, size
    return None


def measure_calc(p: Parse, kind: str, payload: Any, op: str | None, trigger: str) -> Calc | None:
    """The calculation for a measure: ``op`` when the question gives one, else a default choice."""
    if kind == "count":
        return p.add_calc("COUNT", None)
    if kind == "duration":
        col = p.concept("duration") or p.literal(["latency"], "calculation")
        if trigger == "how long":
            op = op or p.choose("op:how long", [("AVG", 0.0), ("P50", -0.3), ("P99", -0.6)])
        op = op or p.choose(
            f"op:{trigger}", p.conv.prefer_slow([*slow_options(), ("P50", -1.5), ("HEATMAP", -1.6)])
        )
        return p.add_calc(op, col)
    if kind == "order_value":
        col = p.concept("order_value") or p.literal(["order value"], "calculation")
        meant = p.conv.meaning("revenue")
        op = op or (meant.op if meant else None) or payload
        op = op or p.choose(f"op:{trigger}", _ranked(prior("revenue_op"), ["SUM", "AVG", "MAX"]))
        return p.add_calc(op, col)
    if kind == "items":
        col = p.concept("items") or p.literal(["items"], "calculation")
        op = op or p.choose(f"op:{trigger}", [("AVG", 0.0), ("SUM", -0.5), ("MAX", -1.0)])
        return p.add_calc(op, col)
    if kind == "column":
        op = op or p.choose(f"op:{trigger}", [("AVG", 0.0), ("SUM", -0.4), ("P99", -0.8), ("MAX", -1.0)])
        return p.add_calc(op, payload)
    return None


def _ranked(first: str, others: list[str]) -> list[tuple[str, float]]:
    """Choice options with the prior's pick on top and the others after it, in order."""
    order = [first, *(o for o in others if o != first)]
    return [(op, -0.4 * k) for k, op in enumerate(order)]


def _stat_at(p: Parse, i: int) -> tuple[str, int] | None:
    """A statistic at token ``i``: ``(op or 'typical', tokens)``."""
    t = p.toks[i]
    if t.kind == "pct" and t.num is not None:
        op = PERCENTILES.get(t.num)
        return (op, 1) if op else None
    if p.low(i + 1) in ("percentile", "pct", "percentiles"):
        m = _ORD_PCT.match(t.low)
        if m and float(m[1]) in PERCENTILES:
            return PERCENTILES[float(m[1])], 2
    if t.low in STAT_WORDS:
        if t.low == "total" and p.low(i + 1) in ("number", "count"):
            return None
        return STAT_WORDS[t.low], 1
    return None


def statistics(p: Parse) -> None:
    """``p95 latency``, ``average order value``, ``median``, ``how many``, ``unique users``."""
    stats: list[tuple[int, str, int]] = []
    for i in range(p.n):
        if p.free(i) and (s := _stat_at(p, i)):
            stats.append((i, s[0], s[1]))
    shared: tuple[str, Any, int] | None = None
    planned: list[tuple[int, str, tuple[str, Any, int] | None]] = []
    for idx in range(len(stats) - 1, -1, -1):  # right to left: "p50 and p99 latency" share the measure
        i, op, size = stats[idx]
        j = i + size
        if p.low(j) in ("of", "the") and p.free(j):
            j += 1 + (p.low(j + 1) == "the")
        m = measure_at(p, j)
        if m is None and p.low(i + size) in ("and", ",", "or") and shared is not None:
            m = shared
        elif m is not None:
            shared = m
            p.take(j, j + m[2])
        if m is None:
            m = _measure_before(p, i)
        p.take(i, i + size)
        planned.append((i, op, m))
    for i, op, m in reversed(planned):  # calculations in the order the question names them
        if op == "typical":
            op = p.choose("op:typical", [("P50", 0.0), ("AVG", -0.3)])
        if op == "SUM" and (m is None or m[0] == "count"):
            op = "COUNT"
        if m is None:
            m = ("duration", None, 0) if op not in ("COUNT", "SUM", "CONCURRENCY") else ("count", None, 0)
        if op == "CONCURRENCY":
            p.calc_at[i] = p.add_calc("CONCURRENCY", None)
            continue
        calc = measure_calc(p, m[0], m[1], op if m[0] != "count" else None, p.low(i))
        if calc is not None:
            p.calc_at[i] = calc
    counts(p)


def _measure_before(p: Parse, i: int) -> tuple[str, Any, int] | None:
    """``latency p95``: a measure right before the statistic."""
    for size in (2, 1):
        j = i - size
        if j >= 0 and all(p.free(k) for k in range(j, i)):
            m = measure_at(p, j)
            if m and m[2] == size:
                p.take(j, i)
                return m
    return None


def counts(p: Parse) -> None:
    """``how many``, ``number of``, ``count of``; ``how many users`` / ``unique X`` count distinct values."""
    for i in range(p.n):
        if not p.free(i):
            continue
        size = 0
        if p.seq(i, "how", "many") or p.seq(i, "number|count|#|amount|volume|total", "of"):
            size = 2
        elif (p.low(i) in ("count", "counts") and p.low(i - 1) not in ("the",)) or p.seq(
            i, "total", "number|count"
        ):
            size = 1 if p.low(i) != "total" else 2
        distinct = False
        if (
            p.low(i) in ("unique", "distinct")
            or p.seq(i, "different")
            or (p.low(i) == "active" and p.toks[min(i + 1, p.n - 1)].stem in _PEOPLE)
        ):
            size, distinct = 1, True
        if not size:
            continue
        j = i + size
        if p.low(j) in ("distinct", "unique", "different") and p.free(j):
            distinct, j = True, j + 1
        if p.low(j) == "active":
            j += 1
        for k in range(j, min(j + 4, p.n)):  # "how many android users": the head noun after modifiers
            if p.toks[k].stem in _PEOPLE:
                j = k
                break
            if p.low(k) in BOUNDARY or p.toks[k].kind not in ("word", "version"):
                break
        head = p.toks[j].stem if j < p.n and p.toks[j].kind == "word" else ""
        p.take(i, i + size)
        learned = p.know.counts.get(head)
        if (found := learned or _members(p, j)) and p.known(found[1]):  # the examples count it by a column
            p.calc_at[i] = p.add_calc(*found)
            p.take(j, j + 1 if learned else j)  # a population's value word is left for its filter
            continue
        if head in _PEOPLE:
            p.calc_at[i] = _count_people(p)
            p.take(j)
            continue
        if distinct and j < p.n:
            words = [p.toks[j].stem] + (
                [p.toks[j + 1].stem]
                if j + 1 < p.n and p.toks[j + 1].kind == "word" and p.low(j + 1) not in BOUNDARY
                else []
            )
            for size2 in (len(words), 1):
                col, _ = p.column_for(words[:size2], "group")
                if col:
                    p.calc_at[i] = p.add_calc("COUNT_DISTINCT", col)
                    p.take(j, j + size2)
                    break
            else:
                if p.toks[j].kind != "word":  # a number or a version ("5.3.0") is a value, not a column
                    continue
                p.calc_at[i] = p.add_calc("COUNT_DISTINCT", p.literal(words[:1], "calculation"))
                p.take(j)
            continue
        if head == "trace" and (calc := _count_traces(p)):
            p.calc_at[i] = calc
            p.take(j)
            continue
        if head and head not in COUNT_NOUNS and p.free(j):
            col, _score = p.column_for([head], "group", threshold=0.8)
            if (
                col
                and p.lex.get(col)
                and p.lex.get(col).type == "string"
                and head not in ("order", "checkout", "payment")
            ):
                p.calc_at[i] = p.add_calc("COUNT_DISTINCT", col)
                p.take(j)
                continue
        p.calc_at[i] = p.add_calc("COUNT", None)


def _members(p: Parse, j: int) -> tuple[str, str] | None:
    """How "how many <word>" counts a population: a word the examples taught as a filter, or that names
    a value, on who made the request ("droids": ``app.platform = android``, a column described "... of
    the user"), counted as the prompt counts users (its statement, else a distinct count an example
    makes of a people column, else the prior). None when the word is not such a population, or names
    what is counted of it ("how many droid requests")."""
    if (
        j >= p.n
        or p.toks[j].kind != "word"
        or (j + 1 < p.n and p.toks[j + 1].stem in COUNT_NOUNS | SUBJECT_NOUNS)
    ):
        return None
    filters = p.know.filters.get(p.toks[j].stem)
    cols = (
        [p.lex.get(f["column"]) for f in filters]
        if filters
        else [
            c for c, _, s in p.lex.values_for(p.toks[j].text) if s >= 0.6 and p.toks[j].low != p.toks[j].stem
        ]
    )
    if not cols or not all(c is not None and c.desc_words & _PEOPLE for c in cols):
        return None
    taught = [c for c in p.know.counts.values() if c[0] == "COUNT_DISTINCT" and _people_column(p, c[1])]
    if taught and p.conv.meaning("user") is None:
        return taught[0]
    return _people_count(p)


def _people_column(p: Parse, name: str) -> bool:
    col = p.lex.get(name)
    return col is not None and bool((col.parts | col.desc_words) & _PEOPLE)


def _people_count(p: Parse) -> tuple[str, str] | None:
    """How people are counted: the prompt's meaning of users, else distinct values of a user column;
    None = a plain COUNT."""
    col = p.concept("user")
    meant = p.conv.meaning("user")
    op = (meant.op if meant else None) or prior("users_op")
    return (str(op), col) if col and op != "COUNT" else None


def _count_people(p: Parse) -> Calc:
    """``how many users``: the prompt's meaning of users, else distinct values of a user column, else COUNT."""
    found = _people_count(p)
    return p.add_calc(*found) if found else p.add_calc("COUNT", None)


def _count_traces(p: Parse) -> Calc | None:
    """``how many traces`` as distinct trace ids when the prompt says so (else the prior's guess); None = COUNT."""
    meant = p.conv.meaning("trace")
    if meant is None:
        how = p.choose("count:trace", [(op, float(s)) for op, s in prior("traces_count").items()])
    else:
        how = meant.op or ("COUNT" if meant.filter else "COUNT_DISTINCT")
    col = p.concept("trace_id")
    return p.add_calc("COUNT_DISTINCT", col) if how == "COUNT_DISTINCT" and col else None


def bare_measures(p: Parse) -> None:
    """A measure word with no statistic (``latency by service``, ``revenue per region``)."""
    for i in range(p.n):
        if not p.free(i) or p.toks[i].kind != "word":
            continue
        m = measure_at(p, i)
        if m is None or m[0] in ("count", "column"):
            continue
        p.take(i, i + m[2])
        p.calc_at[i] = measure_calc(p, m[0], m[1], None, " ".join(t.stem for t in p.toks[i : i + m[2]]))


# --------------------------------------------------------------------------- ranking
