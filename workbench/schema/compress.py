"""Schema compression: which columns go into the prompt, and how much about each.

``compress(schema, settings, question)`` runs the ``RULES`` in order. Each rule is a
small pure function ``(schema, ctx) -> RuleResult``: the schema it keeps (in priority
order) plus the columns it dropped and why.

1. ``drop_excluded``: excluded columns go, even when pinned (``excluded``).
2. ``keep_active``: Honeycomb's rule, columns written in the last ``window_days`` before
   the dataset's now; pinned columns stay even when inactive (``inactive``).
3. ``order_by_priority``: pinned columns first (in the order given), then the rest by
   relevance to the question (ties and ``relevance: none`` keep dataset order). With
   relevance on but no question, dataset order is used (a question-less preview).
4. ``limit_columns``: at most ``max_columns`` columns, pinned ones counted first and
   never dropped (``max_columns``).
5. ``fit_token_budget``: the schema block's tokens stay within ``token_budget``: pinned
   columns are counted first, then columns in priority order, skipping any that do not
   fit (``budget``). If the pinned columns alone exceed the budget they are kept and the
   result says ``over_budget``.

A column cut by rule 4 or 5 while relevance ranking was on and it matched nothing in the
question is reported as ``irrelevant`` instead. Unknown pinned or excluded names are
ignored and listed in ``notes``.

Speed: every schema object carries (by identity) a cache of rendered column lines and
their token counts per format and encoding, and of the relevance index, so a slider move
re-renders nothing it has seen; the final block is counted once, exactly.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from workbench.core.encodings import DEFAULT_ENCODING
from workbench.schema.cache import SCHEMA_CACHE, Lines, block_tokens, lines_for
from workbench.schema.columns import ColumnInfo, Schema
from workbench.schema.compressed import CompressedSchema, Packed, Results
from workbench.schema.format import SchemaFormat
from workbench.schema.relevance import embedding_scores, lexical_scores

__all__ = [
    "RULES",
    "CompressedSchema",
    "Context",
    "Rule",
    "RuleResult",
    "SchemaSettings",
    "compress",
]

DropReason = Literal["inactive", "excluded", "irrelevant", "max_columns", "budget"]


class SchemaSettings(BaseModel):
    """How the schema is compressed and written (``schema:`` in a prompt variant).

    Args:
        window_days: keep columns written in the last N days before the dataset's now
            (Honeycomb's rule); ``None`` keeps all. Pinned columns are kept regardless.
        pinned: always kept and listed first; never dropped by ``max_columns`` or the budget.
        excluded: never kept; excluded wins over pinned.
        relevance: rank columns by relevance to the question: ``lexical`` (BM25 over
            names, descriptions and values), ``embedding`` (needs a local model) or ``none``.
        max_columns: keep at most this many columns (pinned ones count first).
        token_budget: the schema block's token budget, filled by priority.
        format: ``lines``, ``json`` or ``ddl`` (see ``schema_format``).
        types, descriptions, domains, samples, domain_max: what each column line shows.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_days: float | None = Field(default=None, gt=0)
    pinned: list[str] = Field(default_factory=list)
    excluded: list[str] = Field(default_factory=list)
    relevance: Literal["none", "lexical", "embedding"] = "none"
    max_columns: int | None = Field(default=None, ge=0)
    token_budget: int | None = Field(default=None, ge=0)
    format: Literal["lines", "json", "ddl"] = "lines"
    types: bool = True
    descriptions: bool = True
    domains: bool = True
    samples: bool = True
    domain_max: int = Field(default=25, ge=0)

    def format_settings(self) -> SchemaFormat:
        """The ``SchemaFormat`` these settings write column lines with."""
        return SchemaFormat(
            format=self.format,
            types=self.types,
            descriptions=self.descriptions,
            domains=self.domains,
            samples=self.samples,
            domain_max=self.domain_max,
        )

    @property
    def depends_on_question(self) -> bool:
        """True when the kept columns depend on the question (relevance ranking is on)."""
        return self.relevance != "none"


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Context:
    """What rules may read besides the schema."""

    settings: SchemaSettings
    question: str | None
    encoding: str
    lines: Lines
    pinned: tuple[str, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)
    ranked: bool = False

    def reason(self, col: ColumnInfo, default: DropReason) -> DropReason:
        if self.ranked and self.scores.get(col.name, 0.0) <= 0.0:
            return "irrelevant"
        return default


@dataclass(frozen=True)
class RuleResult:
    """A rule's output: the schema it keeps (priority order) and what it dropped, with reasons."""

    schema: Schema
    dropped: dict[str, DropReason] = field(default_factory=dict)
    over_budget: bool = False


class Rule(Protocol):
    """A compression rule: schema in, schema out, plus reasons."""

    __name__: str

    def __call__(self, schema: Schema, ctx: Context) -> RuleResult: ...


def drop_excluded(schema: Schema, ctx: Context) -> RuleResult:
    """Excluded columns never stay (excluded wins over pinned)."""
    excluded = set(ctx.settings.excluded)
    if not excluded:
        return RuleResult(schema)
    dropped: dict[str, DropReason] = {c.name: "excluded" for c in schema.columns if c.name in excluded}
    return RuleResult(schema.select(c.name for c in schema.columns if c.name not in excluded), dropped)


def keep_active(schema: Schema, ctx: Context) -> RuleResult:
    """Honeycomb's rule: keep columns written in the last ``window_days`` before now (and pinned ones)."""
    days = ctx.settings.window_days
    if days is None:
        return RuleResult(schema)
    cutoff = schema.now - timedelta(days=days)
    pinned = set(ctx.pinned)
    keep = [c.name for c in schema.columns if c.name in pinned or c.active_since(cutoff)]
    kept = set(keep)
    dropped: dict[str, DropReason] = {c.name: "inactive" for c in schema.columns if c.name not in kept}
    return RuleResult(schema.select(keep), dropped)


def order_by_priority(schema: Schema, ctx: Context) -> RuleResult:
    """Pinned first (as listed), then by relevance score (ties and no ranking: dataset order)."""
    pinned = [n for n in ctx.pinned if n in schema]
    pinned_set = set(pinned)
    rest = [c.name for c in schema.columns if c.name not in pinned_set]
    if ctx.ranked:
        rest.sort(key=lambda n: -ctx.scores.get(n, 0.0))  # stable: ties keep dataset order
    return RuleResult(schema.select([*pinned, *rest]))


def limit_columns(schema: Schema, ctx: Context) -> RuleResult:
    """At most ``max_columns`` columns; pinned ones count first and are never dropped."""
    limit = ctx.settings.max_columns
    if limit is None or len(schema) <= limit:
        return RuleResult(schema)
    pinned = set(ctx.pinned)
    room = max(limit - sum(1 for c in schema.columns if c.name in pinned), 0)
    keep: list[str] = []
    dropped: dict[str, DropReason] = {}
    for col in schema.columns:
        if col.name in pinned:
            keep.append(col.name)
        elif room > 0:
            keep.append(col.name)
            room -= 1
        else:
            dropped[col.name] = ctx.reason(col, "max_columns")
    return RuleResult(schema.select(keep), dropped)


def fit_token_budget(schema: Schema, ctx: Context) -> RuleResult:
    """Fill ``token_budget`` by priority: pinned first, then each column that still fits.

    Filling uses cached per-line counts (line plus separator, an upper bound); the exact
    count of the block is then checked and, in the rare case it is still over, the
    lowest-priority columns are removed until it fits.
    """
    budget = ctx.settings.token_budget
    if budget is None:
        return RuleResult(schema)
    lines = ctx.lines
    pinned = set(ctx.pinned)
    used = lines.wrapper_tokens + sum(lines.tokens(c) for c in schema.columns if c.name in pinned)
    keep: list[ColumnInfo] = []
    dropped: dict[str, DropReason] = {}
    for col in schema.columns:
        if col.name in pinned:
            keep.append(col)
            continue
        cost = lines.tokens(col)
        if used + cost <= budget:
            keep.append(col)
            used += cost
        else:
            dropped[col.name] = ctx.reason(col, "budget")
    exact = lines.count(keep)
    while exact > budget:
        removable = [i for i, c in enumerate(keep) if c.name not in pinned]
        if not removable:
            break
        removed = 0
        while removable and removed < exact - budget:
            col = keep.pop(removable.pop())
            dropped[col.name] = ctx.reason(col, "budget")
            removed += lines.tokens(col)
        exact = lines.count(keep)
    return RuleResult(schema.select(c.name for c in keep), dropped, over_budget=exact > budget)


RULES: tuple[Rule, ...] = (drop_excluded, keep_active, order_by_priority, limit_columns, fit_token_budget)


# --------------------------------------------------------------------------- compress


_RESULTS_KEY = "compress_results"
_results_lock = threading.Lock()


#: the leading rules that read neither the question nor the scores (remembered per schema and settings)
_QUESTION_FREE: tuple[Rule, ...] = (drop_excluded, keep_active)


def _question_free(schema: Schema, ctx: Context) -> tuple[Schema, dict[str, DropReason]]:
    """The schema and drops after ``_QUESTION_FREE``, computed once per schema object and settings."""
    key = ("question_free", ctx.settings.model_dump_json())
    store = SCHEMA_CACHE.slot(schema)
    with _results_lock:
        hit = store.get(key)
    if hit is None:
        current, dropped = schema, {}
        for rule in _QUESTION_FREE:
            result = rule(current, ctx)
            current = result.schema
            dropped.update(result.dropped)
        hit = (None if current is schema else current, dropped)  # never a reference to its own key
        with _results_lock:
            store[key] = hit
    return (schema if hit[0] is None else hit[0]), hit[1]


def _scores(schema: Schema, settings: SchemaSettings, question: str) -> dict[str, float]:
    if settings.relevance == "embedding":
        return embedding_scores(schema, question)
    return lexical_scores(schema, question)


def _compress(
    schema: Schema, settings: SchemaSettings, question: str | None, encoding: str
) -> CompressedSchema:
    excluded = set(settings.excluded)
    pinned = tuple(n for n in dict.fromkeys(settings.pinned) if n in schema and n not in excluded)
    notes = [f"pinned column {n!r} is not in the schema" for n in settings.pinned if n not in schema]
    notes += [f"excluded column {n!r} is not in the schema" for n in settings.excluded if n not in schema]
    notes += [
        f"column {n!r} is both pinned and excluded: excluded wins" for n in settings.pinned if n in excluded
    ]
    ranked = settings.depends_on_question and bool(question and question.strip())
    scores = _scores(schema, settings, question or "") if ranked else {}
    ctx = Context(
        settings=settings,
        question=question,
        encoding=encoding,
        lines=lines_for(schema, settings.format_settings(), encoding),
        pinned=pinned,
        scores=scores,
        ranked=ranked,
    )
    current, dropped, over_budget, rules = schema, {}, False, RULES
    if rules[: len(_QUESTION_FREE)] == _QUESTION_FREE:  # their result is the same for every question
        current, dropped = _question_free(schema, ctx)
        dropped, rules = dict(dropped), rules[len(_QUESTION_FREE) :]
    for rule in rules:
        result = rule(current, ctx)
        current = result.schema
        dropped.update(result.dropped)
        over_budget = over_budget or result.over_budget
    text = ctx.lines.text(current.columns)
    ranked_scores = dict(sorted(((n, s) for n, s in scores.items() if s != 0.0), key=lambda kv: -kv[1]))
    return CompressedSchema(
        columns=current.columns,
        text=text,
        tokens=block_tokens(text, encoding),
        kept=tuple(current.names),
        dropped={n: dropped[n] for n in schema.names if n in dropped},
        depends_on_question=settings.depends_on_question,
        scores=ranked_scores,
        over_budget=over_budget,
        notes=tuple(notes),
    )


def compress(
    schema: Schema,
    settings: SchemaSettings,
    question: str | None = None,
    *,
    encoding: str = DEFAULT_ENCODING,
) -> CompressedSchema:
    """Compress ``schema`` for ``question`` by ``settings`` (deterministic; cached per schema object).

    Args:
        schema: the dataset's columns.
        settings: the variant's schema settings.
        question: the user's question; only used when ``settings.relevance`` is not ``none``
            (without one, ranked settings fall back to dataset order).
        encoding: the tokenizer the block is counted with.

    Example::

        result = compress(schema, SchemaSettings(window_days=7, token_budget=1500))
        assert result.tokens <= 1500 or result.over_budget
    """
    key = (settings.model_dump_json(), question if settings.depends_on_question else None, encoding)
    with _results_lock:
        results: Results = SCHEMA_CACHE.slot(schema).setdefault(_RESULTS_KEY, Results())
        packed = results.get(key)
    if packed is None:
        result = _compress(schema, settings, question, encoding)
        packed = Packed.pack(schema, result)
        with _results_lock:
            results.put(key, packed)
        return result
    # every call unpacks its own result, so editing one never corrupts the cache
    return packed.unpack(schema, settings, encoding)
