"""Output and CTE names (ClickHouse is stricter than DuckDB about repeats), and the kept-groups test of a series."""

from __future__ import annotations

from sqlglot import exp

__all__ = ["aliased", "distinct_names", "in_kept", "prefix_ctes"]


def aliased(expr: exp.Expression, alias: str) -> exp.Expression:
    """``expr AS "alias"``, or just the column when it already has that name."""
    if isinstance(expr, exp.Column) and not expr.table and expr.name == alias:
        return expr
    return exp.alias_(expr, alias, quoted=True)


def distinct_names(labels: list[str], dialect: str = "clickhouse") -> list[str]:
    """``labels`` with repeats numbered (``COUNT``, ``COUNT #2``) on ClickHouse, which refuses two output
    columns of one name (results keep the labels); other dialects get ``labels`` as they are."""
    if dialect != "clickhouse":
        return list(labels)
    seen: set[str] = set()
    out = []
    for label in labels:
        name, n = label, 1
        while name in seen:
            n += 1
            name = f"{label} #{n}"
        seen.add(name)
        out.append(name)
    return out


def prefix_ctes(select: exp.Select, prefix: str) -> exp.Select:
    """Rename the CTEs of ``select`` (and every reference to them) to ``prefix`` + name.

    The top-groups summary is nested as a CTE inside a series that has CTEs of the same names
    (``filtered``, ``grouped``, ``hm0``...); ClickHouse resolves such names across levels.
    """
    names = {cte.alias for cte in select.ctes}
    if not names:
        return select
    for node in list(select.walk()):
        if isinstance(node, exp.Table) and not node.args.get("db") and node.name in names:
            node.set("this", exp.to_identifier(prefix + node.name, quoted=True))
        elif isinstance(node, exp.Column) and node.table in names:
            node.set("table", exp.to_identifier(prefix + node.table, quoted=True))
    for cte in select.ctes:
        cte.set("alias", exp.TableAlias(this=exp.to_identifier(prefix + cte.alias, quoted=True)))
    return select


def in_kept(events: list[exp.Expression], dialect: str) -> exp.Expression:
    """The event's group (its breakdown columns ``events``) is one the summary kept (the CTE ``top``,
    keys ``k0..``), NULL-safe: ``(events) IN (SELECT k0, .. FROM top)`` on ClickHouse (the engine sets
    ``transform_null_in=1``: NULL IN (NULL) is true), an ``EXISTS`` of NULL-safe equalities elsewhere."""
    if dialect == "clickhouse":
        kept = exp.select(*(exp.column(f"k{i}") for i in range(len(events))), copy=False).from_(
            exp.to_table("top"), copy=False
        )
        left = events[0] if len(events) == 1 else exp.Tuple(expressions=events)
        return exp.In(this=left, query=exp.Subquery(this=kept))
    same = [
        exp.NullSafeEQ(this=exp.column(f"k{i}", table="top"), expression=event)
        for i, event in enumerate(events)
    ]
    return exp.Exists(
        this=exp.select(exp.Literal.number(1), copy=False)
        .from_(exp.to_table("top"), copy=False)
        .where(exp.and_(*same), copy=False)
    )
