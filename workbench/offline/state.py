"""The offline model's parse state: one reading of a question in progress, and what it produces.

A :class:`Parse` holds the tokens, which of them are explained (``used``), and
the query being built (calculations, filters, breakdowns, time...). The passes
(``understand.PASSES``) each read the state and consume the tokens they
explain; every decision with more than one plausible answer goes through
:meth:`Parse.choose`, which records a scored choice point. Pass modules import
this module only for its types, so it imports none of them (no import cycle).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from workbench.offline.copies import team_column
from workbench.offline.instructions import CONCEPT_TERMS, NONE, Conventions, phrases_of
from workbench.offline.lexicon import CONCEPTS, Lexicon
from workbench.offline.text import Tok, stem, tokenize
from workbench.offline.vocabulary import table

#: phrases whose conventional meaning is a concept ("status code" is the HTTP status, DESIGN.md)
CONCEPT_PHRASES = table("state.concept_phrases")
#: the lexicon concept whose column a statement about a concept word names ("users = sessions")
_MEANT = {"user": "user", "order_value": "revenue", "trace_id": "trace", "error": "error"}


@dataclass
class Choice:
    key: str
    options: list[tuple[str, float]]  # (label, adjusted score)
    chosen: str


@dataclass
class Knowledge:
    """What the prompt's examples taught: option biases, phrase → column, phrase → filters."""

    bias: dict[str, dict[str, float]] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    filters: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: phrase -> (op, column): what "how many <phrase>" counts
    counts: dict[str, tuple[str, str]] = field(default_factory=dict)
    default_window: int | None = None  # the time_range examples without a time phrase use
    #: columns the examples' answers use (a model copies them, listed in the block or not)
    seen: frozenset[str] = frozenset()
    #: a conventional filter (JSON) -> the filter the examples write for the same words instead (None: none)
    rewrites: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    #: concept -> the filter every example using its word adds where the prompt states nothing ("traces")
    meant: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Calc:
    op: str
    column: str | None


@dataclass
class Reading:
    """One way to read the question: a spec (or a text answer) and its regret score (0 = best)."""

    spec: dict[str, Any] | None
    score: float
    choices: list[Choice]
    text: str | None = None
    literals: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    understood: int = 1
    unplaced: list[str] = field(default_factory=list)  # content words nothing explained (outside a condition)
    conventional: list[dict[str, Any]] = field(default_factory=list)  # filters a convention or prior wrote
    placed: list[tuple[str, str]] = field(default_factory=list)  # (phrase, column) the schema's ranking chose

    @property
    def key(self) -> str:
        return json.dumps(self.spec, sort_keys=True) if self.spec is not None else f"text:{self.text}"


class Parse:
    """One left-to-right reading of a question under a policy (choice key → forced label)."""

    def __init__(
        self,
        question: str,
        lex: Lexicon,
        know: Knowledge,
        now: int,
        policy: dict[str, str] | None = None,
        conv: Conventions = NONE,
    ):
        self.question = question
        self.toks: list[Tok] = tokenize(question)
        self.n = len(self.toks)
        self.used = [False] * self.n
        self.lex = lex
        self.know = know
        self.conv = conv  # what the instructions say (bindings, "slow" statistic)
        self.now = now
        self.policy = policy or {}
        self.choices: list[Choice] = []
        self.regret = 0.0
        self.calcs: list[Calc] = []
        self.filters: list[dict[str, Any]] = []
        self.combination = "AND"
        self.breakdowns: list[str] = []
        self.orders: list[dict[str, Any]] = []
        self.rank: dict[str, Any] | None = None  # {"dir": "descending", "calc": Calc | None, "entity": index}
        self.havings: list[dict[str, Any]] = []
        self.limit: int | None = None
        self.time: dict[str, int] | None = None
        self.granularity: int | None = None
        self.literals: list[tuple[str, str]] = []
        self.placed: list[tuple[str, str]] = []
        self.unknown: list[str] = []
        self.unplaced: list[str] = []
        self.conventional: list[dict[str, Any]] = []
        self.understood = 0
        self.calc_at: dict[int, Calc] = {}  # token index of a statistic → its calculation
        self.phrases: frozenset[str] | None = None  # the question's word runs, built on first use
        self.entities: list[int] = []  # token indexes of nouns to break down by ("services with ...")
        self.taught: set[int] = set()  # token indexes of words the examples taught as filters ("droids")
        self._resolving: set[str] = set()  # meanings being resolved (a statement naming its own concept)

    # ------------------------------------------------------------------ helpers

    def choose(self, key: str, options: list[tuple[str, float]]) -> str:
        """Pick an option (best adjusted score, or the policy's) and record the choice point."""
        bias = self.know.bias.get(key, {})
        adjusted = [(label, score + bias.get(label, 0.0)) for label, score in options]
        best = max(s for _, s in adjusted)
        labels = [label for label, _ in adjusted]
        forced = self.policy.get(key)
        chosen = forced if forced in labels else max(adjusted, key=lambda ls: ls[1])[0]
        self.regret += dict(adjusted)[chosen] - best
        if len(options) > 1:
            self.choices.append(Choice(key, adjusted, chosen))
        return chosen

    def free(self, i: int) -> bool:
        return 0 <= i < self.n and not self.used[i]

    def take(self, start: int, end: int | None = None) -> None:
        for k in range(start, (end if end is not None else start + 1)):
            if 0 <= k < self.n:
                self.used[k] = True

    def low(self, i: int) -> str:
        return self.toks[i].low if 0 <= i < self.n else ""

    def seq(self, i: int, *words: str) -> bool:
        """Whether the tokens from ``i`` read ``words`` (each may be ``a|b`` alternatives)."""
        return all(self.low(i + k) in w.split("|") for k, w in enumerate(words))

    def known(self, column: str) -> bool:
        """Whether the prompt shows ``column``: listed in its schema block or used by one of its examples."""
        return column in self.lex.by_name or column in self.know.seen

    def column_for(
        self, words: list[str], role: str = "any", threshold: float = 0.55
    ) -> tuple[str | None, float]:
        """The column a noun phrase (stemmed words) names: bound by the instructions, learned from examples, else the block."""
        phrase = " ".join(words)
        bound = self.conv.bound(words, self.lex.by_name)
        if bound and (role != "numeric" or self.lex.by_name[bound].numeric):
            return bound, 1.5
        if phrase in self.know.columns and self.known(self.know.columns[phrase]):
            return self.know.columns[phrase], 1.5
        if phrase in CONCEPT_PHRASES and (col := self.concept(CONCEPT_PHRASES[phrase])):
            return col, 1.2
        ranked = self.lex.rank_columns(words, role)
        if not ranked or ranked[0][1] < threshold:
            return None, ranked[0][1] if ranked else 0.0
        close = [(c.name, s) for c, s in ranked if s >= ranked[0][1] - 0.12][:3]
        name = close[0][0]
        if len(close) > 1:
            name = self.choose(f"col:{phrase}", [(n, 3.0 * (s - close[0][1])) for n, s in close])
        self.placed.append((phrase, name))
        return team_column(name, self.lex, self.know.seen), dict(close)[name]

    def meant_column(self, concept: str) -> str | None:
        """The column the prompt says a concept word means (``Users: user.id``, ``users = sessions``), or None."""
        m = self.conv.meaning(concept)
        if m is None or not (m.column or m.words):
            return None
        return self._resolve(m.column, m.words)

    def meant_filter(self, concept: str) -> tuple[str, str, Any] | None:
        """The filter the prompt says a concept word means (``Errors: filter error = true``), else the one
        its examples consistently add for the word (``Knowledge.meant``), or None."""
        m = self.conv.meaning(concept)
        taught = self.know.meant.get(concept) if m is None else None
        if taught and self.known(taught["column"]):
            return taught["column"], taught["op"], taught.get("value")
        if m is None or m.filter is None:
            return None
        column, op, value = m.filter
        resolved = self._resolve(column, ())
        return (resolved, op, value) if resolved else None

    def _resolve(self, name: str | None, words: tuple[str, ...]) -> str | None:
        """A column as a statement wrote it: listed, ``@concept``, or words the schema resolves (else the words)."""
        if name and name in self.lex.by_name:
            return name
        if name and name.startswith("@"):
            return self.concept(name[1:])
        if name and ("." in name or "_" in name):
            return name  # a column name the prompt states is used as stated, listed in this block or not
        key = name or " ".join(words)
        if key in self._resolving:
            return None
        self._resolving.add(key)
        try:
            parts = list(words) or [stem(w) for w in (name or "").lower().split()]
            col, _score = self.column_for(parts, "any", threshold=0.5)
        finally:
            self._resolving.discard(key)
        return col or self.literal([name or " ".join(words)], "filter")

    def concept(self, name: str) -> str | None:
        """The column holding a conventional concept (duration, error, user...), or ``None``.

        A column the prompt states for the concept word comes first, then a column the instructions
        bind to a term of the concept that the question uses, one the examples teach, one the prompt
        states under another term of the concept, and last the schema's best match.
        """
        if name in _MEANT and (meant := self.meant_column(_MEANT[name])):
            return meant
        if self.conv.bindings and self.phrases is None:
            self.phrases = phrases_of(tuple(t.stem for t in self.toks))
        if bound := self.conv.concept_column(name, self.phrases or frozenset(), self.lex.by_name):
            return bound
        learned = self.know.columns.get(f"@{name}")
        if learned and self.known(learned):
            return learned
        types = CONCEPTS[name][1]
        compared = self.conv.compared_column(name, self.lex.by_name)  # "5xx: rc >= 500": the status column
        if compared and self.lex.by_name[compared].type in types:
            return compared
        stated = self.conv.stated_column(name, self.lex.by_name)  # the prompt's column under another term
        if stated and self.lex.by_name[stated].type in types and not self._names_a_column(name):
            return stated
        ranked = self.lex.concept(name)
        if not ranked:
            return None
        close = [(c.name, s) for c, s in ranked if s >= ranked[0][1] - 0.1][:3]
        col = close[0][0]
        if len(close) > 1:
            col = self.choose(f"concept:{name}", [(n, 3.0 * (s - close[0][1])) for n, s in close])
        self.placed.append((f"@{name}", col))  # an example that answers with another column teaches it
        return col

    def _names_a_column(self, concept: str) -> bool:
        """Whether the question uses a term of ``concept`` that a listed column's name holds ("duration")."""
        if self.phrases is None:
            self.phrases = phrases_of(tuple(t.stem for t in self.toks))
        used = [set(term.split()) for term in CONCEPT_TERMS.get(concept, ()) if term in self.phrases]
        return any(words <= col.parts for words in used for col in self.lex.cols)

    def window(self) -> int:
        """The time range of a question with no time phrase: stated, else taught by examples, else the prior."""
        return self.conv.default_window or self.know.default_window or self.conv.window()

    def add_calc(self, op: str, column: str | None) -> Calc:
        for c in self.calcs:
            if c.op == op and c.column == column:
                return c
        calc = Calc(op, column)
        self.calcs.append(calc)
        self.understood += 1
        return calc

    def add_filter(self, column: str, op: str, value: Any = None) -> None:
        f = filter_dict(column, op, value)
        if f not in self.filters:
            self.filters.append(f)
        self.understood += 1

    def convention(self, column: str, op: str, value: Any = None) -> tuple[str, str, Any] | None:
        """A filter a convention or prior means (errors, traces), as the examples write it (None: not at all)."""
        f = filter_dict(column, op, value)
        self.conventional.append(f)
        key = json.dumps(f, sort_keys=True)
        if key not in self.know.rewrites:
            return column, op, value
        taught = self.know.rewrites[key]
        if taught is None:
            return None
        if not self.known(taught["column"]):
            return column, op, value
        return taught["column"], taught["op"], taught.get("value")

    def add_breakdown(self, column: str) -> None:
        if column not in self.breakdowns:
            self.breakdowns.append(column)
        self.understood += 1

    def literal(self, words: list[str], role: str) -> str:
        """The user's own term as a column name (a column the block does not list)."""
        term = " ".join(words)
        self.literals.append((term, role))
        self.understood += 1
        return term

    def assemble(self) -> dict[str, Any]:
        calcs = self.calcs or [Calc("COUNT", None)]
        if self.rank is not None:
            target = self.rank.get("calc") or calcs[0]
            order = {"op": target.op, "column": target.column, "order": self.rank["dir"]}
            if order not in self.orders:
                self.orders.insert(0, order)
        for h in self.havings:
            if not any(c.op == h["calculate_op"] and c.column == h.get("column") for c in calcs):
                calcs.append(Calc(h["calculate_op"], h.get("column")))
        spec: dict[str, Any] = {"calculations": [_calc_dict(c) for c in calcs]}
        if self.filters:
            spec["filters"] = self.filters
            if self.combination == "OR" and len(self.filters) > 1:
                spec["filter_combination"] = "OR"
        if self.breakdowns:
            spec["breakdowns"] = self.breakdowns
        if self.orders:
            spec["orders"] = [{k: v for k, v in o.items() if v is not None} for o in self.orders]
        if self.havings:
            spec["havings"] = [{k: v for k, v in h.items() if v is not None} for h in self.havings]
        if self.limit is not None:
            spec["limit"] = self.limit
        spec.update(self.time or {"time_range": self.window()})
        if self.granularity:
            spec["granularity"] = self.granularity
        return spec


def filter_dict(column: str, op: str, value: Any = None) -> dict[str, Any]:
    """A spec filter: ``value`` left out for the operators that take none."""
    f: dict[str, Any] = {"column": column, "op": op}
    if op not in ("exists", "does-not-exist"):
        f["value"] = value
    return f


def _calc_dict(c: Calc) -> dict[str, Any]:
    return {"op": c.op, "column": c.column} if c.column else {"op": c.op}
