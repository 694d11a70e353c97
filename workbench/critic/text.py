"""Low-level text for the critic: words, numbers, durations and naming columns from the schema.

Deliberately small and general: everything the critic knows about *this* dataset comes from
the schema (column names, descriptions, value domains) and the team's conventions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from workbench.core.text import singular
from workbench.schema.cache import SCHEMA_CACHE

WORD = re.compile(r"\$?[a-z0-9][a-z0-9_.\-/{}']*|[<>]=?", re.I)
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
}  # fmt: skip
UNIT_SECONDS = {
    "second": 1, "sec": 1, "s": 1, "minute": 60, "min": 60, "m": 60, "hour": 3600, "hr": 3600, "h": 3600,
    "day": 86400, "d": 86400, "week": 604800, "wk": 604800, "w": 604800,
}  # fmt: skip
#: general English words that name no column (never looked up in the schema)
STOP = frozenset({
    "the", "a", "an", "of", "for", "in", "on", "to", "and", "or", "by", "per", "each", "every", "with",
    "what", "which", "who", "how", "is", "are", "was", "were", "our", "my", "we", "did", "do", "does",
    "all", "any", "that", "this", "these", "those", "it", "its", "me", "show", "give", "list", "get",
    "from", "at", "as", "be", "been", "than", "there", "their", "them", "across", "over", "under",
    "last", "past", "today", "yesterday", "now", "time", "week", "day", "hour", "minute", "month",
})  # fmt: skip
#: a few general synonyms for telemetry nouns (English, not this dataset's phrasing)
SYNONYMS = {
    "endpoint": ("route", "path"), "url": ("path", "route"), "api": ("route",), "customer": ("user",),
    "browser": ("browser", "agent"), "os": ("os",), "machine": ("host",), "node": ("host", "node"),
    "tier": ("tier",), "plan": ("tier",), "status": ("status",), "code": ("code",),
}  # fmt: skip
DURATION_WORDS = frozenset({"latency", "latencies", "duration", "durations", "slow", "slowest", "slower",
                            "fast", "fastest", "faster", "response", "took", "long", "longest"})  # fmt: skip


_CONTRACTION = re.compile(r"\b(\w+)n't\b", re.I)
_IRREGULAR = {"wo": "will", "ca": "can", "ai": "is"}


def expand_contractions(text: str) -> str:
    """``isn't`` → ``is not``, ``don't`` → ``do not``: negation reads the same spelled either way."""
    return _CONTRACTION.sub(lambda m: f"{_IRREGULAR.get(m[1].lower(), m[1])} not", text)


def words(text: str) -> list[str]:
    """Lowercased word tokens; dots and slashes stay inside a token (``http.route``, ``/api/cart``)."""
    return [w.strip(".'") or w for w in WORD.findall(text.lower())]


def number(word: str) -> float | None:
    """``5`` → 5, ``five`` → 5, ``2.5`` → 2.5; anything else → None."""
    if word in NUMBER_WORDS:
        return float(NUMBER_WORDS[word])
    try:
        return float(word)
    except ValueError:
        return None


def unit_seconds(word: str) -> int | None:
    """Seconds in a time unit word: ``hours`` → 3600, ``min`` → 60; None when not a unit."""
    w = word.lower()
    for cand in (w, singular(w), w.rstrip("s")):
        if cand in UNIT_SECONDS:
            return UNIT_SECONDS[cand]
    return None


def human_seconds(seconds: int) -> str:
    """``3600`` → ``1 hour``, ``21600`` → ``6 hours``, ``90`` → ``90 seconds``."""
    for name, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            if name == "week" and n % 1 == 0 and n > 1:
                return f"{n * 7} days"
            return f"{n} {name}{'s' if n != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def name_tokens(column: str) -> list[str]:
    return [t for t in re.split(r"[._\-]", column.lower()) if t]


@dataclass(frozen=True)
class ColumnMatch:
    columns: tuple[str, ...]
    score: float


def resolve(phrase: Sequence[str], schema: Any, extra: dict[str, str] | None = None) -> ColumnMatch | None:
    """The schema columns a short noun phrase names (``payment provider`` → ``app.payment.provider``).

    Scores each column by the phrase's content words found in its name (1) or description (0.3),
    with general synonyms; ``extra`` maps words to columns (the conventions). Only the best-scoring
    columns are returned, and only when every content word matched something.
    """
    content = [singular(w) for w in phrase if w not in STOP and not w.isdigit()]
    if not content or schema is None:
        return None
    if extra and " ".join(content) in extra:
        return ColumnMatch((extra[" ".join(content)],), 2.0)
    scored: list[tuple[float, str]] = []
    for name, tokens, desc in _column_terms(schema):
        score = 0.0
        for w in content:
            alts = (w, *SYNONYMS.get(w, ()))
            if any(a in tokens for a in alts):
                score += 1.0
            elif any(a in desc for a in alts):
                score += 0.3
            else:
                score = -1.0
                break
        if score > 0:
            scored.append((score, name))
    top = max((sc for sc, _ in scored), default=0.0)
    # every column that matches as well by name is a candidate (the question cannot tell them apart)
    best = sorted((name for sc, name in scored if sc >= top - 1e-9), key=lambda n: len(name_tokens(n)))
    if not best or top < 0.9:
        return None
    return ColumnMatch(tuple(best), top)


def _column_terms(schema: Any) -> tuple[tuple[str, frozenset[str], frozenset[str]], ...]:
    """(name, its singular name tokens, its singular description words) of each column not
    deprecated: computed once per schema object (a ``Schema`` is immutable), else per call."""
    slot = per_schema(schema)
    terms = slot.get("critic_column_terms")
    if terms is None:
        terms = slot["critic_column_terms"] = tuple(
            (col.name, frozenset(singular(t) for t in name_tokens(col.name)),
             frozenset(singular(w) for w in words(col.description or "")))
            for col in columns_of(schema) if not (col.description or "").lower().startswith("deprecated")
        )  # fmt: skip
    return terms


def error_column_tokens(schema: Any) -> frozenset[str]:
    """Name tokens of the columns named with ``error`` (``error.code``): once per schema object."""
    slot = per_schema(schema)
    found = slot.get("critic_error_column_tokens")
    if found is None:
        names = (name_tokens(c.name) for c in columns_of(schema))
        found = slot["critic_error_column_tokens"] = frozenset(t for ts in names if "error" in ts for t in ts)
    return found


def per_schema(schema: Any) -> dict[Any, Any]:
    """A dict that lives as long as ``schema`` (``SCHEMA_CACHE``); a throw-away one for a plain list."""
    try:
        return SCHEMA_CACHE.slot(schema)
    except TypeError:  # not weakly referenceable (a list of columns): nothing to keep it with
        return {}


def columns_of(schema: Any) -> Iterable[Any]:
    return getattr(schema, "columns", schema) or ()


def column(schema: Any, name: str | None) -> Any:
    if not name or schema is None:
        return None
    for col in columns_of(schema):
        if col.name == name:
            return col
    return None
