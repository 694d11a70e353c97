"""Few-shot learning from the prompt's ``## Examples`` block.

For each example the model reads the question the way it would without
examples and compares its candidate readings with the example's answer:

- the reading closest to the answer shows which option the example takes at
  each choice point ("slow" → P95, "this week" → the last 7 days): those
  options get a bias for the real question;
- words the model could not place (its literal column terms and unknown
  words) are aligned with the answer's columns and filters it could not
  reproduce ("by PSP" → ``app.payment.provider``, "mobile" → platform in
  [android, ios]).

Words are learned across examples (cross-situational): a word's filters are the
ones every example using it needs and no other word explains; a word the examples
count with a distinct count ("how many whales" -> COUNT_DISTINCT user.id) is
counted that way. An example that writes a convention differently ("failures" as
``status >= 500`` where the prompt's errors are ``error = true``, traces with no
root-span filter) teaches that convention. A column an example's answer uses is a column the model may
write, listed in the schema block or not (a model copies it). When the question is nearly the same as one
example (masked lexical similarity), the example's answer is also adapted
directly: its structure with the question's own values, time and limit.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import Any

from workbench.core.text import rank_by_similarity
from workbench.offline.corrections import corrections
from workbench.offline.instructions import NONE, Conventions
from workbench.offline.lexicon import Lexicon
from workbench.offline.state import Knowledge, Reading
from workbench.offline.taught import concept_lessons, consistent
from workbench.offline.text import stem, tokenize
from workbench.offline.timephrases import find_time
from workbench.offline.understand import readings

_PAIR = re.compile(r"^Q:\s*(?P<q>.+?)\s*\nA:\s*(?P<a>.+?)\s*$", re.M)
_TIME_KEYS = ("time_range", "start_time", "end_time")


@dataclass(frozen=True)
class Example:
    question: str
    answer: dict[str, Any]


def parse_examples(text: str | None) -> list[Example]:
    """``Q: ...`` / ``A: {json}`` pairs; an answer that is not a JSON object is skipped."""
    out = []
    for m in _PAIR.finditer(text or ""):
        try:
            answer = json.loads(m["a"])
        except json.JSONDecodeError:
            continue
        if isinstance(answer, dict):
            out.append(Example(m["q"], _clean(answer)))
    return out


def _clean(value: Any) -> Any:
    """Strict-mode answers carry nulls and empty lists for unused fields: drop them."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def units(spec: dict[str, Any] | None) -> set[str]:
    """A spec as a set of comparable facts (calculations, filters, breakdowns, time...)."""
    if not spec:
        return set()
    out = set()
    for c in spec.get("calculations") or [{"op": "COUNT"}]:
        out.add(f"calc:{c.get('op')}:{c.get('column') or ''}")
    for f in spec.get("filters") or []:
        out.add(f"filter:{f.get('column')}:{f.get('op')}:{json.dumps(f.get('value'), sort_keys=True)}")
    out.update(f"bd:{b}" for b in spec.get("breakdowns") or [])
    for o in spec.get("orders") or []:
        out.add(f"order:{o.get('op') or ''}:{o.get('column') or ''}:{o.get('order') or 'ascending'}")
    for h in spec.get("havings") or []:
        out.add(f"having:{h.get('calculate_op')}:{h.get('column') or ''}:{h.get('op')}:{h.get('value')}")
    for key in ("limit", "granularity", *_TIME_KEYS):
        if spec.get(key) is not None:
            out.add(f"{key}:{spec[key]}")
    if spec.get("filter_combination") == "OR":
        out.add("comb:OR")
    return out


def similarity(a: dict[str, Any] | None, b: dict[str, Any] | None) -> float:
    ua, ub = units(a), units(b)
    if not ua or not ub:
        return 0.0
    return 2 * len(ua & ub) / (len(ua) + len(ub))


def spec_columns(spec: dict[str, Any]) -> set[str]:
    cols = {c["column"] for c in spec.get("calculations") or [] if c.get("column")}
    cols |= {f["column"] for f in spec.get("filters") or [] if f.get("column")}
    cols |= set(spec.get("breakdowns") or [])
    cols |= {o["column"] for o in spec.get("orders") or [] if o.get("column")}
    cols |= {h["column"] for h in spec.get("havings") or [] if h.get("column")}
    return cols


def learn(examples: list[Example], lex: Lexicon, now: int, conv: Conventions = NONE) -> Knowledge:
    """What the examples teach, for questions asked with this schema block, read under ``conv``."""
    know = Knowledge()
    bias: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    answers = [json.dumps(ex.answer, sort_keys=True) for ex in examples]
    lessons = [_learn_one(ex.question, a, lex, now, conv) for ex, a in zip(examples, answers, strict=True)]
    # columns an example corrected ("service" is svc here): every example is read again knowing them,
    # so that what else it shows (the statistic "slowest" means) is learned on the right columns
    taught = tuple(sorted({(p, one.columns[p]) for one in lessons for p in one.corrected}))
    if taught:
        know.columns.update(taught)
        lessons = [
            _learn_one(ex.question, a, lex, now, conv, taught)
            for ex, a in zip(examples, answers, strict=True)
        ]
    for one in lessons:
        for key, label in one.chosen:
            bias[key][label] += 2.0
        for phrase, col in one.columns.items():
            know.columns.setdefault(phrase, col)
        for phrase, filters in one.filters.items():
            know.filters.setdefault(phrase, filters)
    for one in lessons:
        if one.rewrite is not None:
            know.rewrites.setdefault(*one.rewrite)
    words, counts = _cross_situational([one.situation for one in lessons if one.situation])
    for word, filters in words.items():
        know.filters.setdefault(word, filters)
    know.counts = {w: c for w, c in counts.items() if w in words}
    know.meant = consistent([c for one in lessons for c in one.concepts])
    know.bias = {k: dict(v) for k, v in bias.items()}
    know.seen = frozenset(c for ex in examples for c in spec_columns(ex.answer))
    know.default_window = _default_window(examples, now)
    return know


def _default_window(examples: list[Example], now: int) -> int | None:
    """The time_range most examples whose question names no time answer with (what "no time" means)."""
    votes: Counter[int] = Counter()
    for ex in examples:
        seconds = ex.answer.get("time_range")
        if (
            isinstance(seconds, int)
            and "start_time" not in ex.answer
            and not find_time(tokenize(ex.question), now)
        ):
            votes[seconds] += 1
    return votes.most_common(1)[0][0] if votes else None


@dataclass(frozen=True)
class _Situation:
    """One example's words the model could not place and what its answer has that the reading lacks."""

    words: frozenset[str]  # stemmed
    filters: frozenset[str]  # JSON of each missing filter
    count: tuple[str, str] | None  # a distinct count the answer makes where the reading counts events


@dataclass(frozen=True)
class _Lesson:
    chosen: tuple[tuple[str, str], ...]
    columns: dict[str, str]
    filters: dict[str, list[dict[str, Any]]]
    situation: _Situation | None = None
    rewrite: tuple[str, dict[str, Any] | None] | None = None  # a conventional filter -> the example's own
    corrected: frozenset[str] = frozenset()  # phrases the answer puts on another column than the reading
    concepts: tuple[tuple[str, str | None], ...] = ()  # (concept word, the filter the answer adds): taught.py


def _cross_situational(
    seen: list[_Situation],
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, tuple[str, str]]]:
    """Word meanings from several examples at once, the way a reader learns a new word.

    A word's filters are those every example using it needs and no other word already explains
    ("droid blowups" + "blowups per service" -> blowup = error, droid = android). A word whose
    example answers with a distinct count where a count of events was read names something
    counted by a column ("how many whales" -> COUNT_DISTINCT user.id).
    """
    learned: dict[str, frozenset[str]] = {}
    for _ in range(4):
        changed = False
        for word in sorted({w for s in seen for w in s.words} - set(learned)):  # sorted: same every run
            sets = []
            for s in seen:
                if word not in s.words:
                    continue
                others = s.words - {word}
                if others - set(learned):
                    continue  # another unexplained word shares this example: ambiguous for now
                sets.append(s.filters - frozenset().union(*(learned[o] for o in others)))
            common = frozenset.intersection(*sets) if sets else frozenset()
            if common:
                learned[word], changed = common, True
        if not changed:
            break
    counts = {}
    for s in seen:
        alone = [w for w in s.words if w in learned]
        if s.count and len(alone) == 1:
            counts.setdefault(alone[0], s.count)
    return {w: [json.loads(f) for f in sorted(fs)] for w, fs in learned.items()}, counts


@functools.lru_cache(maxsize=4096)
def _learn_one(
    question: str,
    answer_json: str,
    lex: Lexicon,
    now: int,
    conv: Conventions,
    taught: tuple[tuple[str, str], ...] = (),
) -> _Lesson:
    """One example's lesson, read knowing the ``taught`` columns (cached: prompts that select examples
    per question reuse them)."""
    answer = json.loads(answer_json)
    cands = readings(question, lex, Knowledge(columns=dict(taught)), now, limit=16, conv=conv)
    if not find_time(tokenize(question), now):  # its default window is learned on its own (_default_window)
        answer = {k: v for k, v in answer.items() if k not in _TIME_KEYS}
        cands = [
            replace(r, spec={k: v for k, v in (r.spec or {}).items() if k not in _TIME_KEYS}) for r in cands
        ]
    best = max(cands, key=lambda r: (similarity(r.spec, answer), r.score))
    chosen = tuple((c.key, c.chosen) for c in best.choices) if similarity(best.spec, answer) >= 0.5 else ()
    know = Knowledge()
    corrected = _align(best, answer, know, lex)
    return _Lesson(
        chosen,
        know.columns,
        know.filters,
        _situation(best, answer),
        _rewrite(best, answer),
        corrected,
        concept_lessons(question, best, answer, conv),
    )


def _rewrite(best: Reading, answer: dict[str, Any]) -> tuple[str, dict[str, Any] | None] | None:
    """A team convention the example shows: it writes another filter (or none) where the reading wrote a
    conventional one ("failures" -> ``status >= 500`` where errors read ``error = true``), all else equal."""
    got = (best.spec or {}).get("filters") or []
    theirs = answer.get("filters") or []
    extra = [f for f in got if f not in theirs]
    missing = [f for f in theirs if f not in got]
    if len(extra) != 1 or extra[0] not in best.conventional or len(missing) > 1:
        return None
    if best.unknown or best.unplaced or best.literals:
        return None  # words the model could not place may explain the difference instead
    return json.dumps(extra[0], sort_keys=True), (missing[0] if missing else None)


def _situation(best: Reading, answer: dict[str, Any]) -> _Situation | None:
    got = best.spec or {}
    missing = [f for f in answer.get("filters") or [] if f not in (got.get("filters") or [])]
    words = frozenset(stem(w.lower()) for w in best.unknown or best.unplaced)
    if not words or not missing:
        return None
    mine = got.get("calculations") or []
    theirs = answer.get("calculations") or []
    count = None
    if (
        [c.get("op") for c in mine] == ["COUNT"]
        and len(theirs) == 1
        and theirs[0].get("op") == "COUNT_DISTINCT"
    ):
        count = ("COUNT_DISTINCT", theirs[0]["column"])
    return _Situation(words, frozenset(json.dumps(f, sort_keys=True) for f in missing), count)


def _align(best: Reading, answer: dict[str, Any], know: Knowledge, lex: Lexicon) -> frozenset[str]:
    """Map the words the model could not place to what the answer has and its reading lacks; returns the
    phrases the reading placed on another column than the answer's."""
    got = best.spec or {}
    missing_bd = [b for b in answer.get("breakdowns") or [] if b not in (got.get("breakdowns") or [])]
    got_calc_cols = {c.get("column") for c in got.get("calculations") or []}
    missing_calc = [
        c["column"]
        for c in answer.get("calculations") or []
        if c.get("column") and c["column"] not in got_calc_cols
    ]
    got_filters = got.get("filters") or []
    missing_filters = [f for f in answer.get("filters") or [] if f not in got_filters]
    for term, role in best.literals:
        pool = {"breakdown": missing_bd, "calculation": missing_calc}.get(role) or missing_bd or missing_calc
        if pool:
            know.columns.setdefault(term, pool.pop(0))
        elif role == "filter" and missing_filters:
            know.columns.setdefault(term, missing_filters[0]["column"])
    corrected = corrections(best, spec_columns(answer), missing_bd, missing_calc, missing_filters, know, lex)
    if best.unknown and missing_filters and len(best.unknown) > 1:  # one word: learned across examples
        phrase = " ".join(w.lower() for w in best.unknown)
        know.filters.setdefault(" ".join(stem(w) for w in phrase.split()), missing_filters)
    elif best.unknown and missing_bd and len(best.unknown) == 1:
        know.columns.setdefault(stem(best.unknown[0].lower()), missing_bd[0])
    return corrected


def adapt(
    question: str, examples: list[Example], lex: Lexicon, best: Reading, threshold: float = 0.85
) -> Reading | None:
    """The nearest example's answer with this question's values, time and limit, when nearly the same question."""
    if not examples or best.spec is None:
        return None
    mask = [str(v) for c in lex.cols for v in c.all_values() if isinstance(v, str)]
    idx, sim = rank_by_similarity(question, [e.question for e in examples], mask)[0]
    if sim < threshold:
        return None
    ex = examples[idx]
    spec = copy.deepcopy(ex.answer)
    if not spec_columns(spec) <= set(lex.by_name):
        return None
    mine = best.spec
    for key in (*_TIME_KEYS, "limit", "granularity"):
        spec.pop(key, None)
        if mine.get(key) is not None:
            spec[key] = mine[key]
    spec["filters"] = _merge_filters(
        spec.get("filters") or [], mine.get("filters") or [], ex.question, question
    )
    if not spec["filters"]:
        spec.pop("filters")
        spec.pop("filter_combination", None)
    ordered = {
        k: spec[k]
        for k in (
            "calculations",
            "filters",
            "filter_combination",
            "breakdowns",
            "orders",
            "havings",
            "limit",
            *_TIME_KEYS,
            "granularity",
        )
        if k in spec
    }
    bonus = 0.75 if best.unknown or best.literals else 0.0
    return Reading(ordered, (sim - threshold) * 2 - 0.25 + bonus, [], literals=[], unknown=[])


def _merge_filters(
    theirs: list[dict[str, Any]], mine: list[dict[str, Any]], ex_q: str, q: str
) -> list[dict[str, Any]]:
    """Keep the example's filters the question also states; take the question's own values elsewhere."""
    ex_low, q_low = ex_q.lower(), q.lower()
    out: list[dict[str, Any]] = []
    mine_cols = {f["column"] for f in mine}
    for f in theirs:
        values = f.get("value") if isinstance(f.get("value"), list) else [f.get("value")]
        literal = [v for v in values if isinstance(v, str) and v.lower() in ex_low]
        if f["column"] in mine_cols:
            continue  # the question says its own thing about this column
        if literal and not all(v.lower() in q_low for v in literal):
            continue  # a value the example names and the question does not
        if isinstance(f.get("value"), int | float) and not isinstance(f.get("value"), bool):
            continue  # a threshold of the example's own
        out.append(f)
    return out + [f for f in mine if f not in out]
