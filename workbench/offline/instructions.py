"""What the prompt's instructions say about naming, read the way a model follows its system prompt.

The offline model reads simple statements from the instructions
text (the system prompt before its ``## `` sections). It does not act on any other prose:

- column bindings: ``Latency, duration, slow: duration_ms``, ``revenue = app.order.total_usd``,
  ``customers means user.id``. Each term (stemmed words) names that column.
  A binding is used only if its column is listed in the schema block. When a term
  has more than one binding, the last one stated wins.
- what "slow" means when the question names no statistic: ``"slowest X" with no
  statistic: P99 of duration_ms``, ``slow means P95``. The last statement wins.
- the default, "right now" and "all time" windows: ``no time mentioned: time_range 1209600``.
- what errors, users, traces and revenue mean (``meanings.py``): ``Errors: filter error = true``,
  ``users = sessions``, ``traces = distinct trace ids``, ``revenue = AVG``. The last statement wins.
- which column a status class compares: ``5xx: rc >= 500`` makes ``rc`` the status column.
- a column bound to any term of a concept (``Latency, duration: took``) is that concept's column also
  for a question using none of the terms (``Conventions.stated_column``).

The result depends only on the text and is cached per text. Reading never raises.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from workbench.offline.meanings import Meaning, read_meanings
from workbench.offline.text import TIME_UNITS, stem
from workbench.offline.vocabulary import concepts, prior, table, words

PERCENTILES = table("clauses.percentiles")
STAT_WORDS = table("clauses.stat_words")
DURATION_WORDS = words("clauses.duration_words")
ORDER_VALUE_WORDS = table("clauses.order_value_words")
ITEM_WORDS = words("clauses.item_words")

_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+")
_CLAUSE_END = re.compile(r"(?<=[.!?])\s+|;\s*")
_COLUMN = r"`(?P<c1>[^`\s]{1,120})`|\"(?P<c2>[^\"\s]{1,120})\"|'(?P<c3>[^'\s]{1,120})'|(?P<c4>[A-Za-z_][\w.\-]{0,119})"
_BIND = re.compile(
    r"^(?P<terms>[^:=]{1,100}?)\s*(?::|=|->|→|\b(?:means|maps to|refers to|stands for)\b)\s*"
    rf"(?:use\s+|the\s+)?(?:column\s+)?(?:{_COLUMN})(?P<rest>.*)$",
    re.I | re.S,
)
#: what may follow a bound column in its statement: nothing, a parenthesis, a comma, a dash
_REST_OK = re.compile(r"^\s*(?:$|[(,.—–]|-\s)")
_STAT = re.compile(
    r"^(?P<lhs>[^:=]{1,120}?)\s*(?::|=|\b(?:means|is)\b)\s*(?:use\s+)?(?:the\s+|a\s+)?"
    r"(?:(?P<p>p\d{1,3}(?:\.\d+)?)|(?P<nth>\d{1,2}(?:\.\d+)?)(?:st|nd|rd|th)?\s+percentile|(?P<word>[a-z]+))\b",
    re.I | re.S,
)
_TERM = re.compile(r"^[a-z][a-z0-9' \-]{0,40}$")
_WORD = re.compile(r"[a-z][a-z0-9']*")
_SLOW_WORDS = frozenset({"slow", "slowest", "slower", "slowness", "fast", "fastest", "faster", "quickest"})
#: statistic words a convention may name (``median`` → P50); ``total``/``typical`` name no fixed op
_STAT_OPS = {w: op for w, op in STAT_WORDS.items() if op in ("P50", "AVG", "MAX", "MIN")}


def _phrase(text: str) -> str:
    return " ".join(stem(w) for w in _WORD.findall(text.lower()))


def _base(word: str) -> str:
    """``slowest``/``slower``/``slowness`` → ``slow``, ``busiest`` → ``busy``; other words unchanged."""
    for suffix, repl in (("iest", "y"), ("ness", ""), ("est", ""), ("er", "")):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + repl
    return word


def _vocabulary() -> dict[str, frozenset[str]]:
    """Stemmed terms that name each conventional concept (the model's general English)."""
    words: dict[str, set[str]] = {
        name: {k.replace("_", " ") for k, w in weights.items() if w >= 0.8}
        for name, (weights, _types) in concepts().items()
    }
    words["duration"] |= set(DURATION_WORDS) | {"slow", "fast", "quick", "response time"}
    words["order_value"] |= set(ORDER_VALUE_WORDS) | {"sale", "order value", "order total"}
    words["items"] |= set(ITEM_WORDS)
    words["user"] |= {"shopper", "buyer", "visitor", "account", "people", "user id", "customer id"}
    words["error"] |= {"fail", "exception"}
    words["status"] |= {"status code", "http status", "http status code", "response code", "response status"}
    words["trace_id"] |= {"trace id"}
    words["parent"] |= {"parent id", "parent span"}
    words["service"] |= {"service name"}
    return {name: frozenset(_phrase(t) for t in terms) for name, terms in words.items()}


CONCEPT_TERMS = _vocabulary()


@dataclass(frozen=True)
class Conventions:
    """The statements the instructions make: term → column bindings (in order) and what "slow" means."""

    bindings: tuple[tuple[str, str], ...] = ()  # (stemmed term, column), as stated
    slow_op: str | None = None
    default_window: int | None = None  # seconds when the question names no time
    now_window: int | None = None  # seconds "right now" / "currently" cover
    all_window: int | None = None  # seconds "all time" / "the whole dataset" cover
    meanings: tuple[tuple[str, Meaning], ...] = ()  # (concept, what the prompt says it means), as stated
    compared: tuple[tuple[str, str], ...] = ()  # (concept, column) of "5xx: rc >= 500" statements, as stated

    def window(self) -> int:
        """The time range when the question names none: as stated, else the prior (2 hours)."""
        return self.default_window or int(prior("default_time_range"))

    def right_now(self) -> int:
        """The time range of "right now": as stated, else the prior."""
        return self.now_window or int(prior("now_time_range"))

    def all_time(self) -> int:
        """The time range of "all time": the stated dataset window, else the prior."""
        return self.all_window or int(prior("all_time_range"))

    def meaning(self, concept: str) -> Meaning | None:
        """What the prompt says ``concept`` (error, user, trace, revenue) means: the last statement, or None."""
        return next((m for c, m in reversed(self.meanings) if c == concept), None)

    def bound(self, words: Sequence[str], columns: Collection[str]) -> str | None:
        """The column a stemmed phrase is bound to, if that column is listed (``columns``)."""
        phrase = " ".join(words)
        return next((c for t, c in reversed(self.bindings) if t == phrase and c in columns), None)

    def concept_column(self, concept: str, used: Collection[str], columns: Collection[str]) -> str | None:
        """The listed column bound to a term of ``concept`` that the question uses (``used``: its ``phrases_of``)."""
        vocab = CONCEPT_TERMS.get(concept, frozenset())
        for term, col in reversed(self.bindings):
            if col in columns and (term in vocab or _base(term) in vocab) and term in used:
                return col
        return None

    def stated_column(self, concept: str, columns: Collection[str]) -> str | None:
        """The listed column the prompt states for ``concept`` under any of its terms, the last statement first.

        ``Latency, duration, slow, fast: took`` makes ``took`` the duration column of a question that uses
        none of those words ("requests over 2 s").
        """
        vocab = CONCEPT_TERMS.get(concept, frozenset())
        for term, col in reversed(self.bindings):
            if col in columns and (term in vocab or _base(term) in vocab):
                return col
        return None

    def compared_column(self, concept: str, columns: Collection[str]) -> str | None:
        """The listed column a statement compares for ``concept`` as a whole (``5xx: rc >= 500``), or None."""
        return next((col for c, col in reversed(self.compared) if c == concept and col in columns), None)

    def prefer_slow(
        self, options: list[tuple[str, float]], descending: bool = True
    ) -> list[tuple[str, float]]:
        """``options`` of a "slow" choice point with the stated op on top (the others stay, lower)."""
        op = self.slow_op
        if op is None:
            return options
        if op == "MAX" and not descending:
            op = "MIN"
        top = max(s for _, s in options)
        mine = dict(options).get(op)
        if mine is None:
            return [(op, top)] + [(label, s - 0.5) for label, s in options]
        best = max(options, key=lambda ls: ls[1])[0]
        swap = {op: top, best: mine}
        return [(label, swap.get(label, s)) for label, s in options]


NONE = Conventions()


@functools.lru_cache(maxsize=64)
def phrases_of(stems: tuple[str, ...], longest: int = 4) -> frozenset[str]:
    """Every run of up to ``longest`` stemmed words, also with its last word's base (``slowest`` → ``slow``).

    Built once per question, so that asking whether it uses a term is a set lookup (linear time overall).
    """
    out: set[str] = set()
    for i in range(len(stems)):
        for n in range(1, min(longest, len(stems) - i) + 1):
            head = " ".join(stems[i : i + n - 1])
            last = stems[i + n - 1]
            for word in {last, _base(last)}:
                out.add(f"{head} {word}" if head else word)
    return frozenset(out)


def _terms(text: str) -> list[str] | None:
    """The terms of a statement's left side (``Latency, duration, slow``), or None if it is prose."""
    out = []
    for raw in re.split(r",|/|\band\b|\bor\b", text.strip().lower()):
        term = raw.strip().strip("\"'`“”*_ ").strip()
        if not term:
            continue
        if not _TERM.match(term) or len(term.split()) > 3:
            return None
        out.append(_phrase(term))
    return out if 0 < len(out) <= 12 else None


_COMPARED = re.compile(
    rf"^(?P<terms>[^:=]{{1,60}}?)\s*:\s*(?:filter\s+)?(?:{_COLUMN})\s*(?:>=|<=|!=|>|<|=)\s*-?\d", re.I
)
_STATUS_CLASS = re.compile(r"\b[1-5]xx\b", re.I)


def _compared(clause: str) -> tuple[str, str] | None:
    """``5xx: rc >= 500``: the status column a statement compares for a status class, else None."""
    m = _COMPARED.match(clause)
    if m is None or not _STATUS_CLASS.search(m["terms"]):
        return None
    return "status", m["c1"] or m["c2"] or m["c3"] or m["c4"]


def _statistic(m: re.Match[str]) -> str | None:
    if m["p"] or m["nth"]:
        return PERCENTILES.get(float((m["p"] or "p" + m["nth"])[1:]))
    return _STAT_OPS.get(m["word"].lower())


def _clauses(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        line = _BULLET.sub("", line).strip()
        out.extend(c.strip() for c in _CLAUSE_END.split(line) if c.strip())
    return out


def _bindings(clause: str) -> list[tuple[str, str]]:
    """``a, b: col`` / ``a = col`` / ``a means col``, several per clause when separated by commas."""
    out: list[tuple[str, str]] = []
    rest = clause
    for _ in range(8):
        m = _BIND.match(rest)
        if m is None or not _REST_OK.match(m["rest"]):
            break
        column = m["c1"] or m["c2"] or m["c3"] or m["c4"]
        terms = _terms(m["terms"])
        if terms is None:
            break
        column = column.rstrip(".-") if m["c4"] else column
        out.extend((t, column) for t in terms)
        rest = m["rest"].lstrip()
        if not rest.startswith(","):
            break
        rest = rest[1:]
    return out


_NO_TIME = re.compile(
    r"\b(?:no|without(?: a| any)?|unspecified|unstated|missing|default)\s+(?:time|window|time\s*range|period)\b"
    r"|\btime\s+(?:is\s+)?(?:not\s+(?:given|stated|mentioned|specified)|unspecified)\b"
    r"|\bby default\b",
    re.I,
)
_NOW_WORDS = re.compile(r"\b(?:right now|currently|at the moment)\b|[\"'`“]now[\"'`”]", re.I)
_ALL_WORDS = re.compile(
    r"\b(?:all time|whole dataset|entire dataset|dataset window|whole window|ever)\b", re.I
)
_SECONDS = re.compile(r"\btime_range\W{0,3}(?P<n>\d{1,9})\b", re.I)
_SPAN = re.compile(r"\b(?P<n>\d{1,6}|an?|one|the)?\s*(?:last\s+|past\s+)?(?P<unit>[a-z]+)\b(?P<rest>)", re.I)
_NUMBERS = {"a": 1, "an": 1, "one": 1, "the": 1, "": 1}


def _duration(text: str) -> int | None:
    """Seconds a statement names: ``time_range 7200``, ``15 minutes``, ``last day``, ``2 hours``."""
    if m := _SECONDS.search(text):
        return int(m["n"])
    for m in _SPAN.finditer(text):
        unit = m["unit"].lower()
        if unit in TIME_UNITS and len(unit) > 1 and TIME_UNITS[unit] >= 1:
            n = m["n"] or ""
            count = int(n) if n.isdigit() else _NUMBERS.get(n.lower(), 1)
            return int(count * TIME_UNITS[unit])
    return None


def _time_statements(clauses: list[str]) -> dict[str, int]:
    """The default, "right now" and "all time" windows the clauses state (the last statement wins)."""
    out: dict[str, int] = {}
    for clause in clauses:
        for part in re.split(r";\s*", clause):
            seconds = _duration(part)
            if not seconds:
                continue
            if _NO_TIME.search(part):
                out["default_window"] = seconds
                if _ALL_WORDS.search(part):
                    out["all_window"] = seconds
            elif _NOW_WORDS.search(part):
                out["now_window"] = seconds
            elif _ALL_WORDS.search(part):
                out["all_window"] = seconds
    return out


@functools.lru_cache(maxsize=32)
def read_conventions(text: str) -> Conventions:
    """The bindings, windows, "slow" statistic and concept meanings the instructions state (empty when none)."""
    bindings: list[tuple[str, str]] = []
    compared: list[tuple[str, str]] = []
    slow_op = None
    clauses = _clauses(text or "")
    for clause in clauses:
        bindings.extend(_bindings(clause))
        if found := _compared(clause):
            compared.append(found)
        m = _STAT.match(clause)
        if m and (op := _statistic(m)):
            lhs = set(_WORD.findall(m["lhs"].lower()))
            if lhs & _SLOW_WORDS and len(lhs) <= 8:
                slow_op = op
    windows = _time_statements(clauses)
    meanings = read_meanings(clauses)
    if not (bindings or slow_op or windows or meanings or compared):
        return NONE
    return Conventions(tuple(bindings), slow_op, meanings=meanings, compared=tuple(compared), **windows)
