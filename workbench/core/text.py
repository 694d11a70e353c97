"""Lexical question similarity for nearest-k example selection (DAIL-SQL style).

Questions are lower-cased, split into words, plural ``s`` trimmed, stop words
dropped, and numbers (``3``, ``500ms``, ``5.3.0``) and known values (``android``,
``stripe``) masked, a few domain synonyms merged (latency/slow -> duration, failures -> error), so "p99 latency for android users in the last 3 hours" and
"p99 latency for ios users in the last 6 hours" compare as the same shape.
Features are words and word pairs, weighted by TF-IDF over the candidate
questions; the score is cosine similarity. Ties keep the candidates' order,
so the ranking is deterministic.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Collection, Sequence

_WORD = re.compile(r"[\w/{}.\-]+")
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'|`[^`]*`")
_NUMBER = re.compile(r"^\d+(?:[.,:]\d+)*(?:ms|s|sec|secs|m|min|mins|h|hr|hrs|d|k|%|x)?$")
_STOP_TEXT = (
    "a an the of to in on at for and or by is are was were be been what which who how me my i we our "
    "us show give list tell find get please there that this those these it its with from as do does "
    "did any all can could would should"
)
_STOP = frozenset(_STOP_TEXT.split())


#: everyday words that mean the same thing in this domain (compared after plural trimming)
_SYNONYMS = {
    "latency": "duration", "slow": "duration", "slowest": "duration", "slower": "duration",
    "fast": "duration", "fastest": "duration", "long": "duration", "longest": "duration",
    "error": "error", "failure": "error", "fail": "error", "failed": "error", "failing": "error",
    "errored": "error", "exception": "error", "customer": "user", "people": "user",
    "sale": "revenue", "income": "revenue", "average": "avg", "mean": "avg", "median": "p50",
    "hourly": "hour", "daily": "day", "minutely": "minute", "weekly": "week",
    "count": "many", "number": "many", "total": "sum", "request": "span", "call": "span",
    "endpoint": "route", "biggest": "most", "highest": "most", "largest": "most",
}  # fmt: skip


#: words that carry a question's shape: never masked, even when some column has them as a value
_QUERY_TEXT = (
    "top bottom first last most least user trace span service route region version platform tier "
    "error exception cache hit miss count many sum total avg max min p50 p90 p95 p99 duration rate "
    "order revenue day hour minute week month time today yesterday now app session table home set "
    "select update insert delete get post put status code"
)
QUERY_WORDS = frozenset(_QUERY_TEXT.split())


def maskable(value: str) -> bool:
    """A value worth masking: a single word that is not query vocabulary (``android``, not ``error``)."""
    word = value.lower()
    if len(word) < 2 or " " in word or word in _STOP or _NUMBER.match(word):
        return False
    stem = singular(word)
    return (
        word not in QUERY_WORDS and stem not in QUERY_WORDS and _SYNONYMS.get(stem, stem) not in QUERY_WORDS
    )


def singular(word: str) -> str:
    """The plural-insensitive form: ``latencies`` → ``latency``, ``classes`` → ``class``, ``status`` stays."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes", "uses")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def stem(word: str) -> str:
    """A light English stemmer: plurals and -ing/-ed endings (``failing``, ``failed`` → ``fail``)."""
    word = singular(word)
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        return word[:-2]
    return word


def _lowered(mask_values: Collection[str]) -> frozenset[str]:
    return frozenset(v.lower() for v in mask_values)


@functools.lru_cache(maxsize=4096)
def _terms(text: str, masked: frozenset[str]) -> tuple[str, ...]:
    text = _QUOTED.sub(" __val__ ", text.lower())
    out: list[str] = []
    for raw in _WORD.findall(text):
        word = raw.strip(".-")
        if not word:
            continue
        if word in masked:
            out.append("__val__")
        elif _NUMBER.match(word):
            out.append("__num__")
        elif word not in _STOP:
            stem = singular(word)
            out.append(_SYNONYMS.get(stem, stem))
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _features(text: str, masked: frozenset[str]) -> Counter[str]:
    terms = _terms(text, masked)
    feats: Counter[str] = Counter(terms)
    feats.update(f"{a} {b}" for a, b in itertools.pairwise(terms))
    return feats


@functools.lru_cache(maxsize=64)
def _index(
    candidates: tuple[str, ...], masked: frozenset[str]
) -> tuple[dict[str, float], float, tuple[tuple[dict[str, float], float], ...]]:
    """The candidates' idf, the weight of a term none has, and each one's tf-idf vector and norm.

    It depends on the candidates only, so every question ranked against the same set reuses it.
    """
    feats = [_features(c, masked) for c in candidates]
    df: Counter[str] = Counter()
    for d in feats:
        df.update(d.keys())
    n = len(feats)
    idf = {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}
    docs = []
    for d in feats:
        v = {t: tf * idf[t] for t, tf in d.items()}
        docs.append((v, math.sqrt(sum(x * x for x in v.values())) or 1.0))
    return idf, math.log(1 + n) + 1.0, tuple(docs)


def rank_by_similarity(
    question: str, candidates: Sequence[str], mask_values: Collection[str] = ()
) -> list[tuple[int, float]]:
    """``(candidate position, cosine similarity)`` for every candidate, most similar first.

    ``mask_values`` given as a ``frozenset`` must already be lower-case (it is then used as is,
    and the candidates' features are cached across calls).
    """
    masked = mask_values if isinstance(mask_values, frozenset) else _lowered(mask_values)
    idf, unseen, docs = _index(tuple(candidates), masked)
    q = {t: tf * idf.get(t, unseen) for t, tf in _features(question, masked).items()}
    q_norm = math.sqrt(sum(v * v for v in q.values())) or 1.0
    scored = []
    for i, (v, norm) in enumerate(docs):
        dot = sum(w * v[t] for t, w in q.items() if t in v)
        scored.append((i, dot / (q_norm * norm)))
    scored.sort(key=lambda item: (-round(item[1], 12), item[0]))
    return scored
