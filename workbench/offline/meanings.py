"""What the prompt says errors, users, traces and revenue mean, read from its statements.

A statement names a concept on its left and a meaning on its right, the way a team writes
its conventions or the workbench renders them::

    Errors, failures, failed: filter error = true.
    Users: user.id ("how many users" = COUNT_DISTINCT of user.id).
    Traces: root spans, filter trace.parent_id does-not-exist.
    Revenue, sales, order value: app.order.total_usd (revenue = SUM).
    errors mean status >= 500        users = sessions        traces = distinct trace ids

The right side gives a filter (``column op value``), a column (a listed name, or words such as
"sessions" that the schema resolves later) and a statistic (``COUNT_DISTINCT``, ``distinct``,
``SUM``, ``average``...). Which words name each concept, and which words name a statistic, are in
``vocabulary.yaml`` (``meanings``). A statement about nothing the model knows is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from workbench.offline.text import stem
from workbench.offline.vocabulary import entry, table, words

#: concept -> the words that name it on a statement's left side (stemmed)
TERMS: dict[str, frozenset[str]] = {
    name: frozenset(" ".join(stem(w) for w in t.split()) for t in terms)
    for name, terms in entry("meanings.terms").items()
}
#: words on the right side that name a statistic (``distinct`` -> COUNT_DISTINCT)
OPS = table("meanings.ops")
#: words on the right side that mean root spans (the parent column is empty)
ROOT_WORDS = words("meanings.root_words")
_FILLER = words("meanings.filler")

_SPLIT = re.compile(
    r"^(?P<lhs>[^:=()\"]{1,80}?)\s*(?::|=|\b(?:means?|is|are|refers? to|stands? for|counts? as)\b)\s*(?P<rhs>.+)$",
    re.I | re.S,
)
_COUNT_AS = re.compile(
    r"^(?:count|treat|read)s?\s+(?P<lhs>[^:=()\"]{1,60}?)\s+as\s+(?P<rhs>.+)$", re.I | re.S
)
_ARTICLES = frozenset({"a", "an", "the", "our", "my", "your", "all"})
_NAME = r"`[^`\s]{1,120}`|[A-Za-z_][\w.\-]{0,119}"
_FILTER = re.compile(
    rf"(?:\bfilter\s+|\bwhere\s+)?(?P<col>{_NAME})\s*"
    r"(?P<op>does-not-exist|exists|!=|>=|<=|==|=|>|<|\bis not null\b|\bis null\b)"
    r"(?:\s*(?P<val>'[^']*'|\"[^\"]*\"|-?\d+(?:\.\d+)?|[A-Za-z_][\w.\-]*))?",
    re.I,
)
_COLUMN_LIKE = re.compile(r"`(?P<q>[^`\s]{1,120})`|(?P<n>\b[A-Za-z_][\w\-]*(?:[._][\w\-]+)+\b)")
_WORD = re.compile(r"[a-z][a-z0-9']*")
_SPELLED = {"==": "=", "is null": "does-not-exist", "is not null": "exists"}


@dataclass(frozen=True)
class Meaning:
    """What a concept word means: a filter, a column and/or a statistic, as the prompt states them.

    ``filter`` is ``(column, op, value)``; a column written as ``@parent`` is the concept's column
    (root spans). ``column`` is a name as written, ``words`` the stemmed words of an unnamed
    column ("sessions" -> ``("session",)``): the schema resolves both when a question is read.
    """

    filter: tuple[str, str, Any] | None = None
    column: str | None = None
    words: tuple[str, ...] = ()
    op: str | None = None


def _singular(word: str) -> str:
    """``ids`` -> ``id``: a plural the stemmer keeps (short words)."""
    return word[:-1] if len(word) > 2 and word.endswith("s") and not word.endswith("ss") else word


def _value(raw: str | None) -> Any:
    if raw is None:
        return None
    if raw[:1] in "'\"":
        return raw[1:-1]
    low = raw.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(raw) if re.fullmatch(r"-?\d+", raw) else float(raw)
    except ValueError:
        return raw


def _concept(lhs: str) -> str | None:
    """The one concept the terms of the left side name (``Errors, failures, failed`` -> error), else None."""
    found: set[str] = set()
    for raw in re.split(r",|/|\band\b|\bor\b", lhs.lower()):
        term = " ".join(stem(w) for w in _WORD.findall(raw) if w not in _ARTICLES)
        if len(term.split()) > 3:
            return None  # prose, not a list of terms
        found |= {name for name, terms in TERMS.items() if term in terms}
    return found.pop() if len(found) == 1 else None


def _op(text: str) -> str | None:
    for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text):
        if (op := OPS.get(w.lower())) is not None:
            return str(op)
    return None


def _filter(text: str) -> tuple[str, str, Any] | None:
    for m in _FILTER.finditer(text):
        op = _SPELLED.get(m["op"].lower(), m["op"].lower())
        value = _value(m["val"]) if op not in ("exists", "does-not-exist") else None
        if op not in ("exists", "does-not-exist") and (value is None or str(value).lower() in OPS):
            continue  # "(revenue = SUM)": a statistic, not a filter
        return m["col"].strip("`"), op, value
    return None


def meaning(clause: str) -> tuple[str, Meaning] | None:
    """The concept a statement is about and what it says that concept means, or None."""
    m = _COUNT_AS.match(clause.strip()) or _SPLIT.match(clause.strip())
    if m is None or len(m["lhs"].split()) > 8 or (concept := _concept(m["lhs"])) is None:
        return None
    rhs = m["rhs"].strip().rstrip(".")
    main, _, aside = rhs.partition("(")
    op = _op(main) or _op(aside)
    if found := _filter(main):
        return concept, Meaning(filter=found, op=op if op != "COUNT" else None)
    stems = [_singular(stem(w)) for w in _WORD.findall(main.lower())]
    if set(stems) & ROOT_WORDS:
        return concept, Meaning(filter=("@parent", "does-not-exist", None), op=op)
    if named := _COLUMN_LIKE.search(main):
        return concept, Meaning(column=named["q"] or named["n"], op=op)
    rest = tuple(w for w in stems if w not in _FILLER and w.upper() not in OPS.values() and w not in OPS)
    if op is None and not rest:
        return None
    return concept, Meaning(words=rest[:3], op=op)


def read_meanings(clauses: list[str]) -> tuple[tuple[str, Meaning], ...]:
    """Every (concept, meaning) the clauses state, in order (a later statement wins)."""
    out = []
    for clause in clauses:
        if found := meaning(clause):
            out.append(found)
    return tuple(out)
