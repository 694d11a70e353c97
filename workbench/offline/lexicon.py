"""What the prompt's schema block tells the offline model: columns, their words and their values.

Built only from the ``## Columns`` block of the request (read back with
``schema_format.parse_schema_block``). A column that is not in the block does
not exist for the model. Words of a question are matched to columns through
the column's name parts, its description and a small table of general
synonyms; literal values (``android``, ``/api/checkout``) through the value
domains and sample values the block shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from workbench.offline.text import GENERIC_PARTS, SYNONYMS, stem
from workbench.offline.vocabulary import concepts, entry, table, word_sets, words
from workbench.schema.format import ParsedColumn

_SPLIT = re.compile(r"[._\-/\s]+|(?<=[a-z])(?=[A-Z])")
_WORDS = re.compile(r"[a-z][a-z0-9]+")
_SEGMENTS = re.compile(r"[a-z][a-z0-9]{2,}")
_DEPRECATED = re.compile(r"\b(deprecated|no longer (?:written|used|sent)|legacy|unused|obsolete)\b", re.I)
_NUMERIC = ("integer", "float")


@dataclass
class Col:
    """A column as the prompt shows it."""

    name: str
    type: str
    description: str
    values: tuple[Any, ...] | None
    examples: tuple[Any, ...] | None
    pos: int
    parts: frozenset[str] = frozenset()
    desc_words: frozenset[str] = frozenset()
    head: frozenset[str] = frozenset()  # what the description says an opaquely named column holds
    row_concepts: frozenset[str] = frozenset()  # concepts the description says of the row itself
    deprecated: bool = False

    @property
    def numeric(self) -> bool:
        return self.type in _NUMERIC

    @property
    def unit_seconds(self) -> float | None:
        """Seconds per unit of a duration column (``duration_ms`` → 0.001), else ``None``."""
        low = self.name.lower()
        text = f"{low} {self.description.lower()}"
        if low.endswith(("_ms", ".ms", "millis")) or "millisecond" in text:
            return 0.001
        if low.endswith(("_us", "micros")) or "microsecond" in text:
            return 0.000001
        if low.endswith(("_ns", "nanos")) or "nanosecond" in text:
            return 1e-9
        if low.endswith(("_s", "_sec", "_seconds")) or re.search(r"\bseconds\b", text):
            return 1.0
        return None

    def all_values(self) -> tuple[Any, ...]:
        return tuple(self.values or ()) + tuple(
            v for v in self.examples or () if v not in (self.values or ())
        )


def _infer_type(pc: ParsedColumn) -> str:
    if pc.type:
        return pc.type
    vals = [v for v in (pc.values or ()) + (pc.examples or ())]
    if vals and all(isinstance(v, bool) for v in vals):
        return "boolean"
    if vals and all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return "integer"
    if vals and all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
        return "float"
    low = pc.name.lower()
    if low.endswith(("_ms", "_count", "_usd", "_bytes", "_seconds")):
        return "float"
    if low in ("error", "timestamp") or low.startswith(("is_", "has_")):
        return "boolean" if low != "timestamp" else "timestamp"
    return "string"


_HEAD_SKIP = words("lexicon.head_skip")
_HEAD_END = words("lexicon.head_end")


def description_head(description: str) -> frozenset[str]:
    """The stemmed words naming what a column holds: ``Name of the service that emitted the span`` → service.

    Leading determiners and "name/id/type of" are skipped; the head ends at the first word that starts
    a clause or a qualifier (that, which, in, for, when...). At most three words.
    """
    found = _WORDS.findall(description.lower())
    i = 0
    while i < len(found) and (found[i] in _HEAD_SKIP or (i + 1 < len(found) and found[i + 1] == "of")):
        i += 2 if i + 1 < len(found) and found[i + 1] == "of" else 1
    head = []
    for w in found[i:]:
        if w in _HEAD_END or len(head) == 3:
            break
        head.append(stem(w))
    return frozenset(head)


def _opaque_head(name: str, description: str) -> frozenset[str]:
    """The description's head when the name says something else (``component.name``: the service), else none.

    A name that shares a word with its description's head already says what it holds.
    """
    head = description_head(description)
    return head if not head & name_parts(name) else frozenset()


_ROW = r"(?:(?:the|this|that|each|every|a|an)\s+)?(?:" + "|".join(sorted(words("lexicon.row_nouns"))) + r")"
_ROW_DESCRIPTIONS = {
    concept: re.compile(
        r"\b(?:" + "|".join(p.replace(" ", r"\s+").replace("{row}", _ROW) for p in patterns) + r")\b"
    )
    for concept, patterns in table("lexicon.row_descriptions").items()
}
_ROW_WEIGHT = float(entry("lexicon.row_weight"))


def row_concepts(description: str) -> frozenset[str]:
    """Concepts a description says of the row itself: ``How long the span took, in ms`` → duration."""
    low = description.lower()
    return frozenset(concept for concept, pattern in _ROW_DESCRIPTIONS.items() if pattern.search(low))


def name_parts(name: str) -> frozenset[str]:
    return frozenset(stem(p) for p in _SPLIT.split(name) if p)


def _norm(value: Any) -> str:
    return str(value).strip().lower()


# Conventions every analyst knows (DESIGN.md "Question conventions"), stated as the *kind*
# of column they refer to; which column that is comes from the schema block.
CONCEPTS: dict[str, tuple[dict[str, float], tuple[str, ...]]] = concepts()
#: Name parts of a configured setting rather than a measurement (``latency_budget_ms``,
#: ``timeout_ms``, ``max_items``): a question about how slow or how big things were means the
#: measured column, so these rank well below it for measured concepts.
_SETTING_PARTS = words("lexicon.setting_parts")
_MEASURED = words("lexicon.measured")

_CONCEPT_EXCLUDE = word_sets("lexicon.concept_exclude")
#: concepts a description alone may name (a typed column whose description says it), and that weight
_DESC_WEIGHT: dict[str, float] = {k: float(v) for k, v in table("lexicon.description_weight").items()}
_DESC_TERMS = {name: frozenset(stem(w) for w in CONCEPTS[name][0]) for name in _DESC_WEIGHT}


@dataclass(eq=False)  # hashed by identity: one per schema block text (model.lexicon caches it)
class Lexicon:
    """Columns of the schema block with indexes for words and values."""

    cols: list[Col]
    by_name: dict[str, Col] = field(default_factory=dict)
    vocabulary: frozenset[str] = frozenset()
    _exact: dict[str, list[tuple[Col, Any, float]]] = field(default_factory=dict)
    _segments: dict[str, list[tuple[Col, Any]]] = field(default_factory=dict)
    _cache: dict[tuple, list[tuple[Col, float]]] = field(default_factory=dict)
    _value_cache: dict[str, list[tuple[Col, Any, float]]] = field(default_factory=dict)

    @classmethod
    def build(cls, parsed: list[ParsedColumn]) -> Lexicon:
        cols = []
        for pos, pc in enumerate(parsed):
            desc = pc.description or ""
            cols.append(
                Col(
                    name=pc.name,
                    type=_infer_type(pc),
                    description=desc,
                    values=pc.values,
                    examples=pc.examples,
                    pos=pos,
                    parts=name_parts(pc.name),
                    desc_words=frozenset(stem(w) for w in _WORDS.findall(desc.lower())),
                    head=_opaque_head(pc.name, desc),
                    row_concepts=row_concepts(desc),
                    deprecated=bool(_DEPRECATED.search(desc)),
                )
            )
        lex = cls(cols=cols, by_name={c.name: c for c in cols})
        lex._index_values()
        vocab: set[str] = set()
        for c in cols:
            vocab |= c.parts | c.desc_words
        vocab |= set(lex._exact) | set(lex._segments)
        lex.vocabulary = frozenset(vocab)
        return lex

    def _index_values(self) -> None:
        for col in self.cols:
            if col.type in ("boolean", "timestamp"):
                continue
            domain = set(col.values or ())
            for value in col.all_values():
                if isinstance(value, bool) or value is None:
                    continue
                base = 1.0 if value in domain else 0.9
                key = _norm(value)
                self._exact.setdefault(key, []).append((col, value, base))
                if key.startswith("/") and len(key) > 1:
                    self._exact.setdefault(key.strip("/"), []).append((col, value, base - 0.1))
                if isinstance(value, str) and (words := _camel_words(value)):  # OutOfStockError
                    for form in {words, words.removesuffix(" error").removesuffix(" exception")}:
                        self._exact.setdefault(form, []).append((col, value, base - 0.15))
                if isinstance(value, str) and ("/" in key or " " not in key):
                    for seg in set(_SEGMENTS.findall(key)):
                        if seg != key and seg not in ("api", "get", "id"):
                            self._segments.setdefault(seg, []).append((col, value))

    # ------------------------------------------------------------------ columns

    def get(self, name: str) -> Col | None:
        return self.by_name.get(name)

    def knows(self, word: str) -> bool:
        """Whether a (stemmed) word appears in the block: a column name part, description word or value."""
        return word in self.vocabulary

    def rank_columns(self, words: list[str], role: str = "any") -> list[tuple[Col, float]]:
        """Columns for a noun phrase (stemmed content words), best first, with scores in [0, ~2].

        ``role``: ``numeric`` (a calculation's column), ``group`` (a breakdown) or ``any``.
        """
        key = (tuple(words), role)
        if key not in self._cache:
            self._cache[key] = self._rank(words, role)
        return self._cache[key]

    def _rank(self, words: list[str], role: str) -> list[tuple[Col, float]]:
        if not words:
            return []
        phrase = " ".join(words)
        scored = []
        for col in self.cols:
            if role == "numeric" and not col.numeric:
                continue
            if phrase == col.name.lower():
                scored.append((col, 2.0))
                continue
            total = 0.0
            matched_parts: set[str] = set()
            in_head = 0
            for w in words:
                best, part = _word_score(w, col)
                if best < 1.0 and (held := _head_score(w, col)):  # the description says the column holds it
                    best, in_head = max(best, held), in_head + 1
                total += best
                if part:
                    matched_parts.add(part)
            if total <= 0:
                continue
            coverage = total / len(words)
            informative = col.parts - GENERIC_PARTS or col.parts
            name_cover = 1.0 if in_head else len(matched_parts & informative) / len(informative)
            score = coverage * (0.75 + 0.25 * name_cover)
            score -= 0.3 if col.deprecated else 0.0
            score -= 0.01 * len(col.parts) + 0.0001 * col.pos
            if role == "group" and col.type == "float":
                score -= 0.15
            if role == "group" and col.values is not None and len(col.values) == 1:
                score -= 0.3  # its whole listed domain is one value: grouping by it gives one group
            scored.append((col, score))
        scored.sort(key=lambda cs: -cs[1])
        return scored[:6]

    def concept(self, name: str) -> list[tuple[Col, float]]:
        """Columns that hold a conventional concept (``duration``, ``error``, ``user``...), best first."""
        key = (("concept", name), "")
        if key in self._cache:
            return self._cache[key]
        weights, types = CONCEPTS[name]
        exclude = _CONCEPT_EXCLUDE.get(name, set())
        scored = []
        for col in self.cols:
            if col.type not in types or col.parts & exclude:
                continue
            low = col.name.lower()
            score = sum(w for p, w in weights.items() if p in col.parts or p in col.head or p == low)
            score += 0.15 * sum(1 for p in weights if p in col.desc_words)
            score += _ROW_WEIGHT if name in col.row_concepts else 0.0
            if (
                name in _DESC_WEIGHT and _DESC_TERMS[name] & col.desc_words
            ):  # "Error flag: true when it failed"
                score += _DESC_WEIGHT[name]
            if score < 0.6:
                continue
            score -= 0.3 if col.deprecated else 0.0
            score -= 0.5 if name in _MEASURED and col.parts & _SETTING_PARTS else 0.0
            score -= 0.02 * len(col.parts) + 0.0001 * col.pos
            scored.append((col, score))
        scored.sort(key=lambda cs: -cs[1])
        self._cache[key] = scored[:4]
        return self._cache[key]

    # ------------------------------------------------------------------ values

    def values_for(self, text: str) -> list[tuple[Col, Any, float]]:
        """Columns whose values equal ``text`` (case-insensitive), or have it as a segment/prefix."""
        key = text.strip().lower()
        if not key:
            return []
        if key not in self._value_cache:  # every parse of a question asks again: answer once
            if len(self._value_cache) > 50_000:
                self._value_cache.clear()
            self._value_cache[key] = self._values_for(key)
        return list(self._value_cache[key])

    def _values_for(self, key: str) -> list[tuple[Col, Any, float]]:
        out = list(self._exact.get(key, ()))
        if not out and len(key) > 3 and stem(key) != key:
            out = [(c, v, s - 0.05) for c, v, s in self._exact.get(stem(key), ())]
        if out:
            return out
        if key in self._segments:
            return [(c, v, 0.6 if c.values else 0.54) for c, v in self._segments[key]]
        if len(key) > 3 and stem(key) in self._segments:
            return [(c, v, 0.55 if c.values else 0.5) for c, v in self._segments[stem(key)]]
        if len(key) >= 4 and key.isalpha():  # a clipping: "prod" for production, "droids" for android
            tail = stem(key)
            clippings = (
                (0.7, lambda k: k.startswith(key) and len(key) / len(k) >= 0.5),
                (0.6, lambda k: k != tail and k.endswith(tail) and len(tail) / len(k) >= 0.6),
            )
            for score, clipped in clippings:
                found = [(c, v, score) for k, got in self._exact.items() if clipped(k) for c, v, _ in got]
                if found:
                    return found
        if len(key) >= 5 and key.isalpha():
            return [
                (c, v, 0.5) for k, entries in self._exact.items() if _one_edit(key, k) for c, v, _ in entries
            ]
        return []


_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def _camel_words(value: str) -> str | None:
    """``OutOfStockError`` → ``out of stock error``; None for values that are not CamelCase words."""
    if " " in value or not re.fullmatch(r"[A-Za-z0-9]+", value) or value.islower() or value.isupper():
        return None
    parts = _CAMEL.findall(value)
    return " ".join(p.lower() for p in parts) if len(parts) > 1 else None


def _word_score(w: str, col: Col) -> tuple[float, str | None]:
    if w in col.parts:
        return (0.5 if w in GENERIC_PARTS else 1.0), w
    best, part = 0.0, None
    for syn, weight in SYNONYMS.get(w, {}).items():
        if syn in col.parts and weight > best:
            best, part = weight * (0.5 if syn in GENERIC_PARTS else 1.0), syn
    if best:
        return best, part
    if w in col.desc_words:
        return 0.45, None
    for syn, weight in SYNONYMS.get(w, {}).items():
        if syn in col.desc_words:
            return 0.3 * weight, None
    return 0.0, None


def _head_score(w: str, col: Col) -> float:
    """1 when the column's description head names ``w``, a synonym's weight when it names a synonym, else 0."""
    if w in col.head:
        return 1.0
    return max((weight for syn, weight in SYNONYMS.get(w, {}).items() if syn in col.head), default=0.0)


def _one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one insertion, deletion, substitution or transposition."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]
