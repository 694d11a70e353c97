"""Ranking: ``top 5``, ``slowest X``, ``busiest X``, ``most errors``, ``highest p99``, ``which X``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.offline.clauses import measure_at, measure_calc, slow_options
from workbench.offline.text import BOUNDARY
from workbench.offline.vocabulary import words

if TYPE_CHECKING:
    from workbench.offline.state import Calc, Parse


def top_n(p: Parse) -> None:
    """``top 5``, ``bottom 3``, ``first 10``, ``5 slowest``, ``limit 20``."""
    for i in range(p.n):
        if not p.free(i):
            continue
        t, nxt = p.toks[i], p.toks[i + 1] if i + 1 < p.n else None
        if (
            t.low in ("top", "bottom", "first", "limit")
            and nxt is not None
            and nxt.kind == "num"
            and nxt.unit in (None, "word")
        ):
            p.limit = int(nxt.num or 0)
            p.take(i, i + 2)
            if t.low != "limit":
                p.rank = {
                    "dir": "ascending" if t.low == "bottom" else "descending",
                    "calc": None,
                    "entity": i + 2,
                }
            p.understood += 1
        elif t.low in ("top", "bottom") and p.rank is None and (nxt is None or nxt.kind == "word"):
            limit = p.choose("limit:top", [("none", 0.0), ("10", -0.5)])
            p.limit = None if limit == "none" else int(limit)
            p.take(i)
            p.rank = {
                "dir": "ascending" if t.low == "bottom" else "descending",
                "calc": None,
                "entity": i + 1,
            }
            p.understood += 1
        elif (
            t.kind == "num"
            and t.unit in (None, "word")
            and nxt is not None
            and nxt.low in _RANK_WORDS
            and (
                i == 0
                or p.low(i - 1)
                in ("the", "show", "list", "me", "give", "find", "get", "what", "are", "which")
            )
        ):
            p.limit = int(t.num or 0)
            p.take(i)
            p.understood += 1


_RANK_WORDS = words("ranking.rank_words")
_DESC = words("ranking.desc")
_ASC = words("ranking.asc")


def ranking(p: Parse) -> None:
    """Superlatives: ``slowest X``, ``busiest X``, ``most errors``, ``highest p99``, ``most common X``."""
    for i in range(p.n):
        if not p.free(i):
            continue
        w = p.low(i)
        if w in ("slowest", "slow", "slower", "fastest", "quickest", "fast", "slowness"):
            _slow(p, i)
        elif w in ("busiest", "noisiest", "quietest"):
            p.take(i)
            calc = p.add_calc("COUNT", None)
            _set_rank(p, "descending" if w != "quietest" else "ascending", calc, i + 1)
        elif (w in _DESC or w in _ASC or w == "fewest") and p.low(i + 1) not in ("recent", "than"):
            direction = "ascending" if w in _ASC or w == "fewest" else "descending"
            j = i + 1
            if p.low(j) in (
                "common",
                "frequent",
                "popular",
                "used",
                "visited",
                "active",
                "requested",
                "called",
                "often",
            ):
                p.take(i, j + 1)
                _set_rank(p, direction, p.add_calc("COUNT", None), j + 1)
                continue
            if j in p.calc_at and not p.free(j):  # "highest p99": a statistic already read
                p.take(i)
                _set_rank(p, direction, p.calc_at[j], None)
                continue
            m = measure_at(p, j)
            p.take(i)
            if m is None:
                if w in ("most", "least", "fewest") and p.rank is None:
                    _set_rank(p, direction, p.add_calc("COUNT", None), None)
                continue
            if m[0] in ("count",):
                _set_rank(p, direction, p.add_calc("COUNT", None), None)
                continue
            p.take(j, j + m[2])
            if m[0] == "column" and w in ("most", "least", "fewest"):  # "most restarts": an amount
                op = p.choose(f"op:most {m[1]}", [("SUM", 0.0), ("MAX", -0.3), ("AVG", -0.6)])
                calc = p.add_calc(op, m[1])
                _set_rank(p, direction, calc, None)
                p.calc_at[j] = calc
                continue
            has_group = (
                bool(p.breakdowns) or _entity_before(p, i) is not None or p.rank is not None or _which(p)
            )
            fixed = None if has_group else ("MAX" if direction == "descending" else "MIN")
            calc = measure_calc(p, m[0], m[1], fixed, " ".join(t.stem for t in p.toks[j : j + m[2]]))
            if has_group and calc is not None:
                _set_rank(p, direction, calc, None)
            p.calc_at[j] = calc


def _slow(p: Parse, i: int) -> None:
    w = p.low(i)
    direction = "ascending" if w in ("fastest", "quickest", "fast") else "descending"
    superlative = w in ("slowest", "fastest", "quickest")
    p.take(i)
    col = p.concept("duration") or p.literal(["latency"], "calculation")
    counted = any(c.op == "COUNT" for c in p.calcs)
    entity = _entity_after(p, i + 1)
    if counted and not superlative:  # "how many slow requests": a threshold, not a ranking
        threshold = float(p.choose("slow:threshold", [("1000", 0.0), ("500", -0.5), ("2000", -0.7)]))
        col_info = p.lex.get(col)
        unit = col_info.unit_seconds if col_info else None
        value = threshold / 1000 / unit if unit else threshold
        p.add_filter(
            col, ">" if direction == "descending" else "<", int(value) if value == int(value) else value
        )
        return
    if entity is None and p.rank is None and not p.breakdowns and superlative:
        # "what was slowest": the single slowest span; the instructions' "slowest X" statistic is for groups
        op = p.choose("op:slowest one", [("MAX" if direction == "descending" else "MIN", 0.0), ("P99", -0.5)])
        p.calc_at[i] = p.add_calc(op, col)
        return
    op = p.choose("op:slow", p.conv.prefer_slow(slow_options(), direction == "descending"))
    calc = p.add_calc(op, col)
    p.calc_at[i] = calc
    if entity is not None or p.rank is not None or p.breakdowns or superlative:
        _set_rank(p, direction, calc, entity)
        p.rank["soft"] = calc  # "slowest X by p95": a later statistic replaces the default


def _which(p: Parse) -> bool:
    return any(
        p.low(k) in ("which", "what")
        and p.low(k + 1) not in ("is", "are", "was", "were", "does", "do", "the", "'s")
        for k in range(p.n)
    )


def _entity_after(p: Parse, j: int) -> int | None:
    while p.low(j) in ("the", "a", "an", "most", "least"):
        j += 1
    return j if p.free(j) and p.toks[j].kind == "word" and p.low(j) not in BOUNDARY else None


def _entity_before(p: Parse, i: int) -> int | None:
    """``services with the most errors``: the noun phrase before ``with/have/has (the)``."""
    k = i - 1
    while k >= 0 and p.low(k) in ("the", "a"):
        k -= 1
    if k >= 0 and p.low(k) in (
        "with",
        "have",
        "has",
        "having",
        "had",
        "see",
        "sees",
        "get",
        "gets",
        "got",
        "had",
    ):
        k -= 1
        if k >= 0 and p.low(k) in ("that", "which", "who"):
            k -= 1
        if k >= 0 and p.free(k) and p.toks[k].kind == "word" and p.low(k) not in BOUNDARY:
            return k
    return None


def _set_rank(p: Parse, direction: str, calc: Calc | None, entity: int | None) -> None:
    if p.rank is None:
        p.rank = {"dir": direction, "calc": calc, "entity": entity}
    else:
        p.rank["dir"] = direction if p.rank.get("calc") is None else p.rank["dir"]
        p.rank["calc"] = p.rank.get("calc") or calc
        if p.rank.get("entity") is None or not p.free(p.rank["entity"]):
            p.rank["entity"] = entity if entity is not None else p.rank.get("entity")
    if entity is None:
        before = None
        for k in range(p.n):  # "which service ... most", "X with the most Y"
            if (
                p.low(k) in ("which", "what")
                and p.free(k + 1)
                and p.low(k + 1) not in ("is", "are", "was", "were", "does", "do", "the", "has", "have")
            ):
                before = k + 1
                p.take(k)
                break
        if before is None:
            before = _entity_before(p, _first_taken_near(p))
        if before is not None and (p.rank.get("entity") is None or not p.free(p.rank["entity"])):
            p.rank["entity"] = before
    p.understood += 1


def _first_taken_near(p: Parse) -> int:
    for k in range(p.n):
        if p.low(k) in (
            "most",
            "least",
            "fewest",
            "highest",
            "lowest",
            "biggest",
            "largest",
            "worst",
            "best",
            "slowest",
            "fastest",
        ):
            return k - (1 if p.low(k - 1) == "the" else 0)
    return 0
