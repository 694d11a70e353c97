"""Literal values of a question: status codes, values from the block's domains and samples
(with negation, lists and ``vs``), ``column literal`` pairs and string matches."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from workbench.offline.text import FILLER, NEGATORS, STOP, SUBJECT_NOUNS
from workbench.offline.vocabulary import table, words

if TYPE_CHECKING:
    from workbench.offline.state import Parse

_STRING_OPS = table("values.string_ops")
_NEGATED_STRING = table("values.negated_string")
_CAPS_ONLY = STOP | {"post", "put", "delete", "set", "select", "update", "insert", "head", "patch", "options"}
_VALUE_NOUNS = words("values.value_nouns")
#: words whose everyday meaning wins over an equal value in some column ("users", "error", "latency")
_CONCEPT_WORDS = SUBJECT_NOUNS | {
    "error", "failure", "failed", "success", "successful", "trace", "latency", "duration", "order", "event",
    "request", "span", "call", "item", "revenue", "slow", "fast", "total", "count",
}  # fmt: skip
_IDENT = re.compile(r"[\d_\-]|^[a-z]+\d")


def negated(p: Parse, i: int) -> bool:
    """Whether a negation word comes right before token ``i`` (consumed if so)."""
    k = i - 1
    while k >= 0 and p.low(k) in (
        "the",
        "a",
        "an",
        "any",
        "for",
        "from",
        "on",
        "in",
        "to",
        "requests",
        "calls",
        "traffic",
    ):
        k -= 1
    if k < 0:
        return False
    w = p.low(k)
    if (
        w in NEGATORS
        or w in ("isn't", "aren't", "excluded", "except", "besides")
        or (w == "than" and p.low(k - 1) in ("other", "rather"))
    ):
        if w == "no" and p.low(i - 1) != "no":
            return False
        p.take(k)
        if w == "than":
            p.take(k - 1)
        return True
    return w == "but" and p.low(k + 1) == "not"


def status(p: Parse) -> None:
    """``5xx``, ``4xx``, ``500s``, ``server errors``, ``status 404``, ``503 errors``."""
    col: str | None = None

    def column() -> str:
        nonlocal col
        col = col or p.concept("status") or p.literal(["status code"], "filter")
        return col

    for i in range(p.n):
        if not p.free(i):
            continue
        t = p.toks[i]
        klass = None
        if t.kind == "status_class":
            klass, used = int(t.num or 0), 1
        elif (
            t.low in ("server", "client")
            and p.low(i + 1) in ("error", "errors", "failures")
            and not p.lex.values_for("server")
        ):
            klass, used = (5 if t.low == "server" else 4), 2
        if klass is not None:
            neg = negated(p, i)
            p.take(i, i + used)
            if p.low(i + used) in (
                "error",
                "errors",
                "response",
                "responses",
                "status",
                "statuses",
                "code",
                "codes",
            ):
                p.take(i + used)
            c = column()
            if neg:
                p.add_filter(c, "<", klass * 100)
            else:
                p.add_filter(c, ">=", klass * 100)
                if klass < 5:
                    p.add_filter(c, "<", klass * 100 + 100)
            continue
        code = _code_at(p, i)
        if code is None:
            continue
        codes, end = [code], i + 1
        while (
            p.low(end) in ("or", "and", ",", "/") and (nxt := _code_at(p, end + 1, hinted=True)) is not None
        ):
            codes.append(nxt)
            end += 2
        neg = negated(p, i)
        p.take(i, end)
        if p.low(end) in ("error", "errors", "response", "responses", "status", "code", "codes"):
            p.take(end)
        for k in (i - 1, i - 2):
            if p.low(k) in ("status", "code", "http", "returned", "returning", "return", "returns", "with"):
                p.take(k)
            else:
                break
        c = column()
        if len(codes) == 1:
            p.add_filter(c, "!=" if neg else "=", codes[0])
        else:
            p.add_filter(c, "not-in" if neg else "in", codes)


def _code_at(p: Parse, i: int, hinted: bool = False) -> int | None:
    t = p.toks[i] if 0 <= i < p.n else None
    if t is None or not p.free(i):
        return None
    if t.kind == "status_code":
        return int(t.num or 0)
    if (
        t.kind != "num"
        or t.unit is not None
        or t.num is None
        or not (100 <= t.num <= 599)
        or t.num != int(t.num)
    ):
        return None
    before, after = p.low(i - 1), p.low(i + 1)
    if (
        hinted
        or after in ("error", "errors", "status", "response", "responses", "code", "codes", "s")
        or before in ("status", "code", "http", "returned", "returning", "return", "returns")
    ):
        return int(t.num)
    return None


# --------------------------------------------------------------------------- literal values


def _candidates(p: Parse, i: int) -> tuple[int, list[tuple[Any, Any, float]], str] | None:
    for size in (4, 3, 2, 1):
        span = p.toks[i : i + size]
        if len(span) < size or not all(p.free(k) for k in range(i, i + size)):
            continue
        if any(t.kind not in ("word", "path", "version", "quoted", "num") for t in span):
            continue
        texts = (
            [span[0].text] if size == 1 else [" ".join(t.text for t in span), "-".join(t.text for t in span)]
        )
        for text in texts:
            found = p.lex.values_for(text)
            if found:
                return size, found, text
    return None


def _column_phrase_here(p: Parse, i: int, size: int) -> bool:
    """``payment provider``, ``new checkout``: the value word is part of a column's name, not a value."""
    for start, end in ((i, i + size + 1), (i - 1, i + size), (i, i + size + 2)):
        if (
            start < 0
            or end > p.n
            or end - start < 2
            or not all(p.free(k) and p.toks[k].kind == "word" for k in range(start, end))
        ):
            continue
        ranked = p.lex.rank_columns([t.stem for t in p.toks[start:end]])
        if ranked and ranked[0][1] >= 0.8:
            return True
    return False


def values(p: Parse) -> None:
    """Literal values from the block's domains and samples: ``android``, ``/api/checkout``, ``payment``."""
    _string_ops(p)
    i = 0
    while i < p.n:
        t = p.toks[i]
        if (
            not p.free(i)
            or t.kind in ("punct", "op", "money", "status_class", "status_code", "pct")
            or (t.kind == "num")
        ):
            i += 1
            continue
        got = _candidates(p, i)
        if (
            (got is None or got[0] == 1)
            and t.low in _CAPS_ONLY
            and t.kind == "word"
            and not (t.text.isupper() and len(t.text) > 1)
            and p.toks[min(i + 1, p.n - 1)].stem not in _VALUE_NOUNS
        ):
            i += 1  # "get", "set", "post" as words, unless written GET or followed by "requests"
            continue
        if got is None or _column_phrase_here(p, i, got[0]):
            if got is None and _noun_literal(p, i):
                i += 1
                continue
            i += 1 if got is None else got[0]
            continue
        size, found, text = got
        if max(s for _, _, s in found) < 0.7 and not _hinted(p, i, size) and _names_column(p, i, size):
            i += size  # "orders over $100": the word names a column here, it is not a value
            continue
        if (
            size == 1
            and t.kind == "word"
            and max(s for _, _, s in found) < 0.85
            and (t.stem in FILLER or t.low in STOP)
        ):
            i += 1  # an everyday word ("rate", "time") only matches a value exactly
            continue
        if (
            size == 1
            and t.kind == "word"
            and t.stem in _CONCEPT_WORDS
            and not _column_noun_near(p, i, {c.name for c, _, _ in found})
        ):
            i += 1  # "android users", "error rate": a concept or subject word, unless a column noun says otherwise
            continue
        col, vals = _pick_column(p, i, size, found, text)
        neg = negated(p, i)
        p.take(i, i + size)
        end = i + size
        connector = None
        while p.low(end) in ("or", "and", ",", "nor", "&", "/", "vs", "versus") and end + 1 < p.n:
            more = _candidates(p, end + 1)
            if more is None:
                break
            same = [v for c, v, s in more[1] if c.name == col and s >= 0.5]
            if not same:
                break
            connector = connector or p.low(end)
            vals += [v for v in same if v not in vals]
            p.take(end, end + 1 + more[0])
            end = end + 1 + more[0]
        _emit(p, col, vals, neg, connector)
        i = end


def _column_noun_near(p: Parse, i: int, columns: set[str]) -> bool:
    for k in (i - 2, i - 1, i + 1, i + 2):
        if p.free(k) and p.toks[k].kind == "word" and p.low(k) not in STOP:
            ranked = p.lex.rank_columns([p.toks[k].stem])
            if ranked and ranked[0][1] >= 0.7 and ranked[0][0].name in columns:
                return True
    return False


def _names_column(p: Parse, i: int, size: int) -> bool:
    ranked = p.lex.rank_columns([t.stem for t in p.toks[i : i + size]])
    return bool(ranked) and ranked[0][1] >= 0.8


def _hinted(p: Parse, i: int, size: int) -> bool:
    """A route-ish noun next to the word: ``orders endpoint``, ``the /api route``."""
    return any(
        p.toks[k].stem in ("endpoint", "route", "path", "url", "api", "page")
        for k in (i - 1, i + size)
        if 0 <= k < p.n
    )


def _pick_column(
    p: Parse, i: int, size: int, found: list[tuple[Any, Any, float]], text: str
) -> tuple[str, list[Any]]:
    by_col: dict[str, tuple[float, list[Any]]] = {}
    for col, value, score in found:
        best, vals = by_col.get(col.name, (0.0, []))
        if score > best + 1e-9:
            by_col[col.name] = (score, [value])
        elif abs(score - best) < 1e-9 and value not in vals:
            vals.append(value)
    for k in (i - 1, i + size):  # a column noun next to the value: "checkout endpoint", "service payment"
        if p.free(k) and p.toks[k].kind == "word" and p.low(k) not in STOP:
            ranked = p.lex.rank_columns([p.toks[k].stem])
            if ranked and ranked[0][1] >= 0.7 and ranked[0][0].name in by_col:
                score, vals = by_col[ranked[0][0].name]
                by_col[ranked[0][0].name] = (score + 0.5, vals)
                p.take(k)
    ranked_cols = sorted(by_col.items(), key=lambda kv: -kv[1][0])
    top = ranked_cols[0][1][0]
    close = [(name, s) for name, (s, _) in ranked_cols if s >= top - 0.3][:3]
    chosen = (
        close[0][0]
        if len(close) == 1
        else p.choose(f"val:{text.lower()}", [(n, 5.0 * (s - top)) for n, s in close])
    )
    return chosen, list(by_col[chosen][1])


def _emit(p: Parse, col: str, vals: list[Any], neg: bool, connector: str | None) -> None:
    comparing = any(t.low in ("compare", "comparing", "compared", "comparison") for t in p.toks)
    if connector in ("vs", "versus") or (connector and comparing and not neg):
        how = p.choose("compare:values", [("breakdown+in", 0.0), ("breakdown", -0.3)])
        p.add_breakdown(col)
        if how == "breakdown":
            return
    if len(vals) == 1:
        p.add_filter(col, "!=" if neg else "=", vals[0])
        return
    if connector == "or" and not neg:
        how = p.choose("list:or", [("in", 0.0), ("or", -0.7)])
        if how == "or" and not p.filters:
            for v in vals:
                p.add_filter(col, "=", v)
            p.combination = "OR"
            return
    p.add_filter(col, "not-in" if neg else "in", vals)


def _noun_literal(p: Parse, i: int) -> bool:
    """``user u_123``, ``version 5.4.0``, ``route /api/foo``: a literal right after a column noun."""
    t = p.toks[i]
    if t.kind not in ("version", "path", "quoted") and not (t.kind == "word" and _IDENT.search(t.low)):
        return False
    k = i - 1
    if k < 0 or not p.free(k) or p.toks[k].kind != "word":
        if t.kind == "path":
            col, _ = p.column_for(["route"], "group", threshold=0.8)
            if col:
                p.take(i)
                neg = negated(p, i)
                p.add_filter(col, "!=" if neg else "=", t.text)
                return True
        return False
    words = [p.toks[k].stem]
    if p.toks[k].stem in ("user", "customer"):
        col = p.concept("user")
    else:
        col, _ = p.column_for(words, "any", threshold=0.7)
    if not col:
        return False
    info = p.lex.get(col)
    value: Any = t.text
    if info is not None and info.numeric:
        try:
            value = int(t.text) if info.type == "integer" else float(t.text)
        except ValueError:
            return False
    p.take(k, i + 1)
    p.add_filter(col, "!=" if negated(p, k) else "=", value)
    return True


def _string_ops(p: Parse) -> None:
    """``messages containing timeout``, ``routes starting with /api/cart``."""
    for i in range(1, p.n):
        op = _STRING_OPS.get(p.low(i))
        if op is None or not p.free(i):
            continue
        j = i + 1 + (p.low(i + 1) in ("with", "by"))
        if j >= p.n or p.toks[j].kind in ("punct", "op"):
            continue
        neg = p.low(i - 1) in ("not", "don't", "doesn't", "without") or p.low(i - 1) == "no"
        k = i - 1 - neg
        while k >= 0 and p.low(k) in ("that", "which", "whose", "is", "are", "where"):
            k -= 1
        words = [
            p.toks[x].stem for x in range(max(0, k - 1), k + 1) if p.free(x) and p.toks[x].kind == "word"
        ]
        col = None
        for size in (len(words), 1):
            if size:
                col, _ = p.column_for(words[-size:], "any", threshold=0.6)
                if col:
                    break
        if col is None:
            continue
        p.take(max(0, k - 1), j + 1)
        p.add_filter(col, _NEGATED_STRING[op] if neg else op, p.toks[j].text)
