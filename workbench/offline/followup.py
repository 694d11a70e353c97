"""Follow-ups: the offline model modifies the current query the request shows.

A request with a ``## Current query`` section (a JSON spec, ARCHITECTURE.md's prompt layout) asks to
change that query. The follow-up is read with the model's own parse (``understand.Parse``: the same
value, column, statistic and time readers as any question), and only what it mentions changes:

- filters: a new value filter is added; one on a column the current query filters with ``=`` (or
  said with "instead") replaces that filter ("for ios instead"); "not just X" / "all X" / "any X"
  removes the filters on X's column; "exclude X" adds the negated filter.
- time ("same for last week", "yesterday instead"), granularity ("per hour") replace theirs.
- statistics and grouping replace theirs, or join them with "also" / "too" / "as well" / "add"
  ("show the average too", "also by version"); orders follow a replaced statistic.
- ranking and limit ("top 3", "fastest first") replace the ordering / the limit.

Everything the follow-up does not mention is kept. A request without a readable current query is
not a follow-up (``None``: the model answers the question alone). The readback form of the current
query is English, not a spec: the offline model does not read it back.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Set
from typing import Any

from workbench.offline.guard import refusal_kind
from workbench.offline.instructions import read_conventions
from workbench.offline.model import Answer, clock, knowledge, sample, view_lexicon
from workbench.offline.request import PromptView, message_text, sections
from workbench.offline.state import Parse
from workbench.offline.understand import readings, run_passes

__all__ = ["current_query", "followup", "revise"]

_ADD = re.compile(r"\b(?:also|too|as well|plus|add|adding|alongside|in addition|together with)\b", re.I)
_REPLACE = re.compile(r"\b(?:instead|rather|switch|change)\b", re.I)
_WIDEN = re.compile(
    r"\b(?:not (?:just|only)|all|any|every|regardless of|drop|remove|without the)\s+(?P<what>[\w.\-/ ]+)",
    re.I,
)
#: words that say how to change the query, not what to query: read by the markers above, then dropped
_FILLER = re.compile(
    r"\b(?:instead(?: of [\w.\-/]+)?|rather|too|also|as well|in addition|plus|add|adding|same(?: thing| query)?"
    r"(?: but| for| over)?|what about|how about|and|please|again|then|now|show(?: me)?|the)\b",
    re.I,
)
#: "slowest first" is an ordering ("slowest on top"), not a column named "first"
_FIRST = re.compile(r"\b(\w+est)\s+first\b", re.I)
_TIME_KEYS = ("time_range", "start_time", "end_time")


def current_query(body: dict[str, Any]) -> dict[str, Any] | None:
    """The current query a request shows (the last user message's ``## Current query`` JSON), or ``None``."""
    for m in reversed(body.get("messages") or []):
        if not isinstance(m, dict) or m.get("role") != "user":
            continue
        _, parts = sections(message_text(m))
        text = parts.get("current query")
        if text is None:
            continue
        try:
            value = json.loads(text[text.find("{") :]) if "{" in text else None
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None
    return None


def followup(body: dict[str, Any], view: PromptView, rng: random.Random | None = None) -> Answer | None:
    """The changed query for a follow-up request, or ``None`` when the request is not one (or is a repair turn).

    At temperature 0 the follow-up's best reading is applied; above it, a reading is sampled like any
    question's (``model.sample`` over the parse's alternatives), so trials of a chain can differ.
    """
    current = current_query(body)
    if current is None or view.previous or refusal_kind(view.question, view.table):
        return None
    lex = view_lexicon(view)
    if not lex.cols:
        return None
    now = clock(view)
    conv = read_conventions(view.instructions)
    _, know = knowledge(lex, view.examples_text or "", now, conv)
    asked = _asked(view.question)
    found = readings(asked, lex, know, now, conv=conv)
    pick = sample(found, view.temperature, view.top_p, rng or random.Random(0))
    parse = run_passes(asked, lex, know, now, {c.key: c.chosen for c in pick.choices}, conv)
    if parse.understood == 0 and not _WIDEN.search(view.question):
        return None
    widened = _widened_columns(view.question, lex, know, now, conv)
    return Answer(revise(current, parse, view.question, widened))


def _asked(question: str) -> str:
    """The follow-up's content words: the change markers taken out."""
    text = _FILLER.sub(" ", _FIRST.sub(r"\1 on top", question))
    return " ".join(text.split()) or question


def _widened_columns(question: str, lex: Any, know: Any, now: int, conv: Any) -> set[str]:
    """Columns whose filters the follow-up lifts: "not just android", "all platforms", "any region"."""
    out: set[str] = set()
    for m in _WIDEN.finditer(question):
        phrase = " ".join(m["what"].split()[:3])
        p = run_passes(phrase, lex, know, now, conv=conv)
        out.update(f["column"] for f in p.filters)
        out.update(p.breakdowns)
        if not p.filters and not p.breakdowns:
            ranked = lex.rank_columns([w.lower().rstrip("s") for w in phrase.split()[:1]])
            if ranked and ranked[0][1] >= 0.55:
                out.add(ranked[0][0].name)
    return out


def _calc_dict(c: Any) -> dict[str, Any]:
    return {"op": c.op, "column": c.column} if c.column else {"op": c.op}


def revise(
    current: dict[str, Any], p: Parse, question: str, widened: set[str] = frozenset()
) -> dict[str, Any]:  # type: ignore[assignment]
    """``current`` changed by what the parsed follow-up ``p`` mentions; the rest kept."""
    spec = json.loads(json.dumps(current))
    add, replace = bool(_ADD.search(question)), bool(_REPLACE.search(question))
    _filters(spec, p, replace, widened)
    single = {f["column"] for f in spec.get("filters", []) if f.get("op") == "="}
    if single & set(spec.get("breakdowns", [])):  # "only checkout" after "by service": one group left
        spec["breakdowns"] = [b for b in spec["breakdowns"] if b not in single]
    if p.time is not None:
        for key in _TIME_KEYS:
            spec.pop(key, None)
        spec.update(p.time)
    if p.granularity:
        spec["granularity"] = p.granularity
    _calculations(spec, p, add)
    asked = [b for b in p.breakdowns if b not in widened]  # "all platforms" lifts a filter, no grouping
    if asked:
        kept = [b for b in spec.get("breakdowns", []) if b not in widened] if add else []
        spec["breakdowns"] = kept + [b for b in asked if b not in kept]
    elif widened:
        spec["breakdowns"] = [b for b in spec.get("breakdowns", []) if b not in widened]
    _ranking(spec, p)
    return {k: v for k, v in spec.items() if v not in ([], None)}


def _filters(spec: dict[str, Any], p: Parse, replace: bool, widened: Set[str]) -> None:
    filters = [f for f in spec.get("filters", []) if f.get("column") not in widened]
    for nf in p.filters:
        col = nf["column"]
        if col in widened:
            continue
        positive = nf["op"] in ("=", "in")
        filters = [
            f
            for f in filters
            if not (
                f.get("column") == col
                and (
                    replace or f.get("value") == nf.get("value") or (positive and f.get("op") in ("=", "in"))
                )
            )
        ]
        if nf not in filters:
            filters.append(nf)
    spec["filters"] = filters
    if len(filters) < 2:
        spec.pop("filter_combination", None)


def _calculations(spec: dict[str, Any], p: Parse, add: bool) -> None:
    old_columns = {c.get("column") for c in spec.get("calculations", [])}
    ranked = p.rank.get("calc") if p.rank else None
    # "fastest first" orders by the statistic already there; it does not ask for another one
    calcs = [c for c in p.calcs if not (c is ranked and c.column in old_columns)]
    if not calcs:
        return
    new = [_calc_dict(c) for c in calcs]
    old = spec.get("calculations", [])
    if add:
        spec["calculations"] = old + [c for c in new if c not in old]
        return
    spec["calculations"] = new
    first = new[0]
    gone = [c for c in old if c not in new]
    spec["orders"] = [
        {**o, "op": first["op"], "column": first.get("column")}
        if any(o.get("op") == c["op"] and o.get("column") == c.get("column") for c in gone)
        else o
        for o in spec.get("orders", [])
    ]
    spec["orders"] = [{k: v for k, v in o.items() if v is not None} for o in spec["orders"]]
    spec["havings"] = [
        h
        for h in spec.get("havings", [])
        if not any(h.get("calculate_op") == c["op"] and h.get("column") == c.get("column") for c in gone)
    ]


def _ranking(spec: dict[str, Any], p: Parse) -> None:
    if p.limit is not None:
        spec["limit"] = p.limit
    if p.rank is None:
        if p.orders:
            spec["orders"] = [{k: v for k, v in o.items() if v is not None} for o in p.orders]
        return
    calc = p.rank.get("calc")
    if calc is None and spec.get("orders"):
        return  # "top 3" keeps the current ordering
    calcs = spec.setdefault("calculations", [{"op": "COUNT"}])
    target = calcs[0]
    if calc is not None:
        same_col = [c for c in calcs if c.get("column") == calc.column]
        exact = [c for c in calcs if c == _calc_dict(calc)]
        target = (exact or same_col or [None])[0] or _calc_dict(calc)
        if target not in calcs:
            calcs.append(target)
    spec["orders"] = [{**target, "order": p.rank["dir"]}]
