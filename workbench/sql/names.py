"""Output and CTE names for dialects stricter than DuckDB about repeats (ClickHouse)."""

from __future__ import annotations

from sqlglot import exp

__all__ = ["distinct_names", "in_kept", "prefix_ctes"]


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


def in_kept(events: list[exp.Expression]) -> exp.Expression:
    """``(event keys) IN (SELECT k0, .. FROM top)``: the event's group is one the summary kept."""
    kept = exp.select(*(exp.column(f"k{i}") for i in range(len(events))), copy=False).from_(
        exp.to_table("top"), copy=False
    )
    left = events[0] if len(events) == 1 else exp.Tuple(expressions=events)
    return exp.In(this=left, query=exp.Subquery(this=kept))
