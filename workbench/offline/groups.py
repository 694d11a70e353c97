"""Groups and time: breakdowns (``by X``, ``per X``, ranking entities), time phrases, granularity."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from workbench.offline.clauses import COUNT_NOUNS, measure_at, measure_calc
from workbench.offline.text import BOUNDARY, FILLER, STOP, SUBJECT_NOUNS
from workbench.offline.timephrases import DAY, find_time
from workbench.offline.vocabulary import phrases, table, words

if TYPE_CHECKING:
    from workbench.offline.state import Parse

GRAN_WORDS = table("groups.gran_words")
GRAN_UNITS = table("groups.gran_units")
_DASH_UNIT = re.compile(r"^(\d+)-(second|sec|minute|min|hour|hr|day)s?$")
_BUCKET_WORDS = words("groups.bucket_words")
_OVER_TIME = phrases("groups.over_time")
USER_WORDS = words("groups.user_words")
_DETERMINERS = words("groups.determiners")
_SLOTS = phrases("groups.slots")
_SORTS = phrases("groups.sorts")


def learned_phrases(p: Parse) -> None:
    """Phrases the prompt's examples taught as filters ("mobile" → platform in [android, ios])."""
    found: list[tuple[int, str]] = []  # longest phrases first, then written in the question's order
    for phrase in sorted(p.know.filters, key=lambda ph: (-len(ph.split()), ph)):
        words = phrase.split()
        for i in range(p.n - len(words) + 1):
            here = all(p.free(i + k) and p.toks[i + k].stem == w for k, w in enumerate(words))
            if here and all(p.known(f["column"]) for f in p.know.filters[phrase]):
                p.take(i, i + len(words))
                p.taught.update(range(i, i + len(words)))
                found.append((i, phrase))
    for _, phrase in sorted(found):
        for f in p.know.filters[phrase]:
            p.add_filter(f["column"], f["op"], f.get("value"))


def time_and_granularity(p: Parse) -> None:
    for f in find_time(p.toks, p.now, right_now=p.conv.right_now(), all_time=p.conv.all_time()):
        if not all(p.free(k) for k in range(f.start, f.end)):
            continue
        label = p.choose(f"time:{f.key}", [(label, s) for label, _, s in f.options])
        p.time = dict(next(fields for lab, fields, _ in f.options if lab == label))
        p.take(f.start, f.end)
        if f.also:
            p.take(*f.also)
        p.understood += 1
    _granularity(p)


def _granularity(p: Parse) -> None:
    for i in range(p.n):
        if not p.free(i):
            continue
        w, nxt = p.low(i), p.toks[i + 1].stem if i + 1 < p.n else ""
        value, used = None, 0
        if w in GRAN_WORDS:
            value, used = GRAN_WORDS[w], 1
        elif w in ("per", "every", "each", "by", "a") and nxt in GRAN_UNITS and p.free(i + 1):
            value, used = GRAN_UNITS[nxt], 2
        elif (
            w in ("per", "every", "in")
            and i + 2 < p.n
            and p.toks[i + 1].kind == "num"
            and p.toks[i + 2].stem in GRAN_UNITS
        ):
            value, used = int(p.toks[i + 1].num or 1) * GRAN_UNITS[p.toks[i + 2].stem], 3
        elif w in GRAN_UNITS and p.low(i + 1) == "by" and p.low(i + 2) == w:
            value, used = GRAN_UNITS[w], 3
        elif (m := _DASH_UNIT.match(w)) and (p.toks[i + 1].stem in _BUCKET_WORDS if i + 1 < p.n else True):
            value, used = (
                int(m[1]) * GRAN_UNITS[m[2]],
                1 + (i + 1 < p.n and p.toks[i + 1].stem in _BUCKET_WORDS),
            )
        elif (
            p.toks[i].kind == "num"
            and i + 2 < p.n
            and p.toks[i + 1].stem in GRAN_UNITS
            and p.toks[i + 2].stem in _BUCKET_WORDS
        ):
            value, used = int(p.toks[i].num or 1) * GRAN_UNITS[p.toks[i + 1].stem], 3
        else:
            for words in _OVER_TIME:
                if all(p.low(i + k) == x and p.free(i + k) for k, x in enumerate(words)):
                    value, used = _auto(p), len(words)
                    break
        if value:
            p.granularity = int(value)
            p.take(i, i + used)
            p.understood += 1


def _auto(p: Parse) -> int:
    """A granularity for "over time", from the length of the time window."""
    t = p.time or {"time_range": p.window()}
    window = t.get("time_range") or (t.get("end_time", 0) - t.get("start_time", 0))
    if window <= 3 * 3600:
        options = [("60", 0.0), ("300", -0.5)]
    elif window <= 12 * 3600:
        options = [("300", 0.0), ("60", -0.5), ("3600", -0.6)]
    elif window <= 2 * DAY:
        options = [("3600", 0.0), ("300", -0.6)]
    else:
        options = [("3600", 0.0), ("86400", -0.3)]
    return int(p.choose("gran:over time", options))


# --------------------------------------------------------------------------- breakdowns


def group_at(p: Parse, j: int, role: str = "breakdown") -> tuple[str, int, int] | None:
    """The column a noun phrase at ``j`` groups by: ``(column, first token, end)``; the user's term if unknown."""
    while p.low(j) in _DETERMINERS and p.free(j):
        j += 1
    words: list[str] = []
    for k in range(j, min(j + 3, p.n)):
        t = p.toks[k]
        if not p.free(k) or t.kind not in ("word", "status_class") or (k > j and t.low in BOUNDARY):
            break
        words.append(t.stem)
    if not words or words[0] in STOP:
        return None
    if words[0] in USER_WORDS:
        col = p.concept("user")
        return (col or p.literal([p.low(j)], role), j, j + 1)
    if words[0] == "trace" and (len(words) == 1 or words[1] not in ("id",)):
        col = p.concept("trace_id")
        if col:
            return col, j, j + 1
    for size in range(len(words), 0, -1):
        col, _ = p.column_for(words[:size], "group")
        if col:
            rest = words[size:]
            if rest and _unknown(p, rest[0]):  # "datacenter rack": the whole phrase is the user's term
                return p.literal(words[: size + 1], role), j, j + size + 1
            return col, j, j + size
    first = words[0]
    if (
        first in FILLER
        or first in SUBJECT_NOUNS
        or first in COUNT_NOUNS
        or p.lex.knows(first)
        or any(s >= 0.85 for _, _, s in p.lex.values_for(p.low(j)))
    ):
        return None
    size = 1 + (len(words) > 1 and not p.lex.knows(words[1]) and words[1] not in FILLER)
    return p.literal([p.toks[k].stem for k in range(j, j + size)], role), j, j + size


def _unknown(p: Parse, word: str) -> bool:
    return not (
        word in STOP
        or word in FILLER
        or word in SUBJECT_NOUNS
        or word in COUNT_NOUNS
        or p.lex.knows(word)
        or not word.isalpha()
    )


def breakdown_slots(p: Parse) -> None:
    """``by service``, ``per endpoint``, ``for each region``, ``sorted by p99``, ``top users by revenue``."""
    for i in range(p.n):
        if not p.free(i):
            continue
        sort = next((s for s in _SORTS if all(p.low(i + k) == w for k, w in enumerate(s))), None)
        slot = sort or next((s for s in _SLOTS if all(p.low(i + k) == w for k, w in enumerate(s))), None)
        if slot is None or (slot == ("each",) and p.low(i - 1) in ("for", "in")):
            continue
        j = i + len(slot)
        first = True
        while j < p.n:
            if first and j in p.calc_at and not p.free(j):
                p.take(i)  # "slowest services by p95": rank by a statistic already read
                _rank_by(p, p.calc_at[j], i)
                _entity_before_by(p, i)
                break
            m = measure_at(p, j)
            if m is not None and first and (sort or p.rank is not None or m[0] != "count" or _counted(p, j)):
                if m[0] == "count" and not sort and p.rank is None:
                    p.take(i)
                    _rank_by(p, p.add_calc("COUNT", None), i)
                    _entity_before_by(p, i)
                    break
                p.take(i, j + m[2])
                calc = measure_calc(p, m[0], m[1], None, " ".join(t.stem for t in p.toks[j : j + m[2]]))
                _rank_by(p, calc, i)
                _entity_before_by(p, i)
                break
            got = group_at(p, j)
            if got is None:
                break
            col, _, end = got
            p.take(i if first else j, end)
            if sort and p.rank is None:
                p.orders.append(
                    {
                        "column": col,
                        "order": "descending" if p.low(end) in ("desc", "descending") else "ascending",
                    }
                )
            p.add_breakdown(col)
            first = False
            if p.low(end) in ("and", ",", "&", "then") and end + 1 < p.n and p.free(end + 1):
                j = end + 1
                continue
            break


def _counted(p: Parse, j: int) -> bool:
    """``by errors``, ``by error count``, ``by number of requests``: a count to rank by, not a column."""
    t = p.toks[j]
    return (
        t.low != t.stem
        or p.low(j + 1) in ("count", "counts", "rate", "number", "volume")
        or (j > 0 and not p.free(j - 1) and p.low(j - 1) in ("count", "number"))
    )


def _entity_before_by(p: Parse, i: int) -> None:
    """``hosts by error count``: the plural noun before ``by`` is what is ranked."""
    k = i - 1
    if (
        k >= 0
        and p.free(k)
        and p.toks[k].kind == "word"
        and p.toks[k].low != p.toks[k].stem
        and p.low(k) not in BOUNDARY
    ):
        p.entities.append(k)


def _rank_by(p: Parse, calc, i: int) -> None:
    direction = (
        "ascending"
        if any(p.low(k) in ("ascending", "asc", "lowest", "least") for k in range(i, min(i + 6, p.n)))
        else "descending"
    )
    if p.rank is None:
        p.rank = {"dir": direction, "calc": calc, "entity": None}
    else:
        soft = p.rank.pop("soft", None)
        if soft is not None and soft is not calc and soft in p.calcs:
            p.calcs.remove(soft)
        p.rank["calc"] = calc
    p.understood += 1


def entities(p: Parse) -> None:
    """Nouns that name what to break down by: ``top 5 users``, ``slowest endpoints``, ``which service``."""
    targets = list(p.entities)
    if p.rank is not None and p.rank.get("entity") is not None:
        targets.insert(0, p.rank["entity"])
    for k in range(p.n - 1):
        if (
            p.low(k) in ("which", "what")
            and p.free(k)
            and p.low(k + 1)
            not in (
                "is",
                "are",
                "was",
                "were",
                "do",
                "does",
                "did",
                "the",
                "has",
                "have",
                "time",
                "percentage",
                "percent",
                "fraction",
                "share",
                "proportion",
                "'s",
            )
        ):
            targets.append(k + 1)
            p.take(k)
    for idx in targets:
        if not p.free(idx):
            continue
        stem_ = p.toks[idx].stem if idx < p.n else ""
        if stem_ in ("request", "call", "transaction", "hit", "span", "operation", "event", "endpoint"):
            _generic_entity(p, idx, stem_)
            continue
        got = group_at(p, idx)
        if got is not None:
            col, start, end = got
            p.take(start, end)
            p.add_breakdown(col)
            found = p.meant_filter("trace") if stem_ == "trace" and not p.havings else None
            if found and (taught := p.convention(*found)):
                p.add_filter(*taught)


def _generic_entity(p: Parse, idx: int, word: str) -> None:
    """``slowest requests``: people mean endpoints or operations; the choice is a real ambiguity."""
    got = group_at(p, idx)
    if got is not None and word == "endpoint":
        p.take(got[1], got[2])
        p.add_breakdown(got[0])
        return
    if word == "event":
        p.take(idx)
        return
    route, _ = p.column_for(["route"], "group", threshold=0.8)
    name = (
        p.lex.get("name").name
        if p.lex.get("name")
        else p.column_for(["span", "name"], "group", threshold=0.8)[0]
    )
    options = [(c, s) for c, s in ((name, 0.0), (route, -0.3)) if c] + [("none", -0.6)]
    chosen = p.choose(f"entity:{word}", options)
    p.take(idx)
    if chosen != "none":
        p.add_breakdown(chosen)


def implicit_breakdowns(p: Parse) -> None:
    """A plural column noun left over (``latency of all endpoints``): probably a breakdown."""
    for i in range(p.n):
        t = p.toks[i]
        if (
            not p.free(i)
            or t.kind != "word"
            or t.low == t.stem
            or t.stem in SUBJECT_NOUNS | COUNT_NOUNS | FILLER | STOP
        ):
            continue
        col, _ = p.column_for([t.stem], "group", threshold=0.7)
        info = p.lex.get(col) if col else None
        if info is None or (info.type not in ("string", "boolean") and not info.values):
            continue
        if col in p.breakdowns or any(f["column"] == col for f in p.filters):
            p.take(i)
            continue
        strong = p.low(i - 1) in ("all", "each", "every", "different", "across")
        if (
            p.choose(f"plural:{t.stem}", [("breakdown", 0.0), ("none", -1.5 if strong else -1.0)])
            == "breakdown"
        ):
            p.add_breakdown(col)
        p.take(i)
