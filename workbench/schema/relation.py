"""A column mapping's derived table, narrowed to the columns a query reads (``engines.mapping`` builds it)."""

from __future__ import annotations

from sqlglot import exp

__all__ = ["prune_relation"]


def prune_relation(relation: exp.Expression, names: set[str]) -> exp.Expression:
    """A copy of a mapping's derived table keeping only the logical columns in ``names`` (the engine
    computes no others, and the SQL stays small: a wide mapping written out in full can pass the
    engine's query size limit when a query reads it more than once)."""
    pruned = relation.copy()
    inner = pruned.this
    kept = [e for e in inner.expressions if e.alias_or_name in names]
    inner.set("expressions", kept or inner.expressions[:1])  # count(*) reads no column
    return pruned
