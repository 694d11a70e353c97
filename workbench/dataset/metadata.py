"""Per-column metadata computed from the data, the way Honeycomb's columns API reports it.

Everything is exact, so the metadata (and the schema text a model is shown) is the same on
every DuckDB release: no approximate aggregate, no sampling.

* One scan per :data:`BATCH` columns gets each column's non-null count and the newest
  ``timestamp`` with a value (``last_written``).
* One ``UNION ALL`` statement per value type groups every column by value: the number of
  groups is the exact distinct count, and the first :data:`TOP_K` groups in the documented
  order are the column's top values.

**Value order.** ``sample_values`` and ``domain`` list values by count, most frequent first;
equally frequent values are ordered by value, ascending, in the column's own type (numbers
numerically, strings by UTF-8 bytes, false before true; nested values as text). Values are
distinct, so the order is total. ``domain`` is the complete list when a column has at most
:data:`DOMAIN_MAX` distinct values; ``sample_values`` is its first :data:`SAMPLE_COUNT`.
Timestamp columns get a distinct count but no samples.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from workbench.schema.columns import ColumnInfo

#: columns with at most this many distinct values get their complete domain.
DOMAIN_MAX = 25
SAMPLE_COUNT = 5
#: values kept per column: enough for the complete domain and for the samples.
TOP_K = max(DOMAIN_MAX, SAMPLE_COUNT)
#: columns per statement (DuckDB copes with thousands, but keep statements moderate).
BATCH = 150

METADATA_DDL = (
    "CREATE TABLE column_metadata (key_name VARCHAR, type VARCHAR, description VARCHAR, "
    "last_written TIMESTAMP, distinct_count BIGINT, sample_values VARCHAR[], domain VARCHAR[], "
    "null_fraction DOUBLE)"
)
INFO_DDL = "CREATE TABLE dataset_info (key VARCHAR, value VARCHAR)"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def honeycomb_type(duckdb_type: str) -> str:
    """Honeycomb column type for a DuckDB type name."""
    t = duckdb_type.upper()
    if t == "BOOLEAN":
        return "boolean"
    if t.startswith(("TIMESTAMP", "DATE")):
        return "timestamp"
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
             "UBIGINT", "UHUGEINT"):  # fmt: skip
        return "integer"
    if t in ("FLOAT", "DOUBLE", "REAL") or t.startswith("DECIMAL"):
        return "float"
    return "string"


def _value(name: str, typ: str) -> str:
    """The column's values as grouped and ordered: in its own type, nested types as text."""
    nested = typ.endswith("]") or typ.startswith(("STRUCT", "MAP", "UNION"))
    return f"{quote(name)}::VARCHAR" if nested else quote(name)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


def compute_metadata(con, table: str, descriptions: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One dict per column of ``table`` (in table order) with the ``column_metadata`` fields.

    Works on any table or view with a ``timestamp`` column (no rowid or ordering assumed);
    the values are exact and ordered as the module docstring says.
    """
    descriptions = descriptions or {}
    cols = [(r[0], r[1]) for r in con.execute(f"DESCRIBE {quote(table)}").fetchall()]
    if "timestamp" not in (n for n, _ in cols):
        raise ValueError("no timestamp column")
    total = con.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()[0]
    stats = _counts(con, table, cols)
    tops = _top_values(con, table, [(n, t) for n, t in cols if stats[n][0]])
    out = []
    for name, typ in cols:
        count, last = stats[name]
        distinct, values = tops.get(name, (0, []))
        htype = honeycomb_type(typ)
        texts = [] if htype == "timestamp" else [_as_text(v) for v in values]
        out.append({
            "key_name": name,
            "type": htype,
            "description": descriptions.get(name, ""),
            "last_written": last,
            "distinct_count": distinct,
            "sample_values": texts[:SAMPLE_COUNT],
            "domain": texts if texts and distinct <= DOMAIN_MAX else None,
            "null_fraction": (1.0 - count / total) if total else 1.0,
        })  # fmt: skip
    return out


def _counts(con, table: str, cols: list[tuple[str, str]]) -> dict[str, tuple[int, Any]]:
    """``{column: (non-null count, last_written)}``, one scan per BATCH columns."""
    stats: dict[str, tuple[int, Any]] = {}
    for i in range(0, len(cols), BATCH):
        batch = cols[i : i + BATCH]
        # CASE, not FILTER: hundreds of FILTER clauses in one SELECT are very slow.
        aggs = [
            f'count({quote(n)}), max(CASE WHEN {quote(n)} IS NOT NULL THEN "timestamp" END)' for n, _ in batch
        ]
        row = con.execute(f"SELECT {', '.join(aggs)} FROM {quote(table)}").fetchone()
        for j, (name, _) in enumerate(batch):
            stats[name] = (row[2 * j], row[2 * j + 1])
    return stats


def _top_values(con, table: str, cols: list[tuple[str, str]]) -> dict[str, tuple[int, list[Any]]]:
    """``{column: (exact distinct count, first TOP_K values by count desc, then value asc)}``.

    One GROUP BY per column, in one UNION ALL statement per value type (a UNION needs one
    type, and values keep theirs so they sort and print as the column's type).
    """
    by_type: dict[str, list[tuple[int, str, str]]] = {}
    for i, (name, typ) in enumerate(cols):
        by_type.setdefault(typ, []).append((i, name, _value(name, typ)))
    rows: list[tuple[int, int, int, Any]] = []
    for group in by_type.values():
        for b in range(0, len(group), BATCH):
            branches = [
                f"SELECT {i} AS i, count(*) OVER () AS d, row_number() OVER (ORDER BY c DESC, v) AS r, v "
                f"FROM (SELECT {value} AS v, count(*) AS c FROM {quote(table)} "
                f"WHERE {quote(name)} IS NOT NULL GROUP BY 1) AS g QUALIFY r <= {TOP_K}"
                for i, name, value in group[b : b + BATCH]
            ]
            rows += con.execute(" UNION ALL ".join(f"({q})" for q in branches)).fetchall()
    tops: dict[str, tuple[int, list[Any]]] = {}
    for i, distinct, _, value in sorted(rows, key=lambda row: row[:3]):
        tops.setdefault(cols[i][0], (distinct, []))[1].append(value)
    return tops


def write_metadata(con, table: str, descriptions: dict[str, str] | None, now_s: int | None,
                   info: dict[str, str]) -> list[dict[str, Any]]:  # fmt: skip
    """Create and fill ``column_metadata`` and ``dataset_info`` on ``con``; return the metadata rows."""
    rows = compute_metadata(con, table, descriptions)
    con.execute("DROP TABLE IF EXISTS column_metadata")
    con.execute("DROP TABLE IF EXISTS dataset_info")
    con.execute(METADATA_DDL)
    # One statement: executemany goes row by row and takes seconds for 400+ rows.
    fields = ("key_name", "type", "description", "last_written", "distinct_count", "sample_values", "domain",
              "null_fraction")  # fmt: skip
    placeholders = ", ".join(["(?, ?, ?, ?::TIMESTAMP, ?, ?::VARCHAR[], ?::VARCHAR[], ?)"] * len(rows))
    params = [r[f] for r in rows for f in fields]
    if rows:
        con.execute(f"INSERT INTO column_metadata VALUES {placeholders}", params)
    con.execute(INFO_DDL)
    if info:
        con.execute(
            f"INSERT INTO dataset_info VALUES {', '.join(['(?, ?)'] * len(info))}",
            [x for k, v in info.items() for x in (k, str(v))],
        )
    return rows


def _typed(value: str, typ: str) -> Any:
    """A metadata value (stored as text) back in its column's Python type."""
    try:
        if typ == "integer":
            return int(value)
        if typ == "float":
            return float(value)
        if typ == "boolean":
            return value.lower() == "true"
    except (TypeError, ValueError):
        return value
    return value


def column_info(row: dict[str, Any]) -> ColumnInfo:
    """A ``column_metadata`` row as a :class:`ColumnInfo`."""
    typ = row["type"]
    domain = row.get("domain")
    return ColumnInfo(
        name=row["key_name"],
        type=typ,
        description=row.get("description") or "",
        last_written=utc(row["last_written"]) if row.get("last_written") else None,
        distinct_count=int(row.get("distinct_count") or 0),
        sample_values=tuple(_typed(v, typ) for v in (row.get("sample_values") or ())),
        values=tuple(_typed(v, typ) for v in domain) if domain is not None else None,
        null_fraction=float(row.get("null_fraction") or 0.0),
    )


def utc(dt: Any) -> Any:
    """A datetime in UTC (a naive one is taken as UTC)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def iso_utc(dt: datetime) -> str:
    """``2026-11-20T12:00:00Z``: ISO 8601 in UTC."""
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")
