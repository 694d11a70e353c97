"""Per-column metadata computed from the data, the way Honeycomb's columns API reports it.

Two scans for any number of columns: the first gets, for every column at once,
its non-null count, the newest ``timestamp`` with a value (``last_written``)
and an approximate distinct count (HyperLogLog; for booleans the exact number
of trues); the second gets every value of the low-cardinality columns, most
frequent first (their complete domain), and the top values of the others from
a 10% sample.
"""

from __future__ import annotations

from typing import Any

#: columns with at most this many distinct values get their complete domain.
DOMAIN_MAX = 25
#: complete value lists are computed below this approximate distinct count (HLL is ~2% off).
HISTOGRAM_MAX = 40
SAMPLE_COUNT = 5
#: aggregates per SELECT (DuckDB copes with thousands, but keep statements moderate).
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
    """The column as an aggregate argument (nested types as text)."""
    return (
        f"{quote(name)}::VARCHAR"
        if typ.endswith("]") or typ.startswith(("STRUCT", "MAP", "UNION"))
        else quote(name)
    )


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    return str(value)


def compute_metadata(con, table: str, descriptions: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One dict per column of ``table`` (in table order) with the ``column_metadata`` fields."""
    descriptions = descriptions or {}
    cols = [(r[0], r[1]) for r in con.execute(f"DESCRIBE {quote(table)}").fetchall()]
    names = [n for n, _ in cols]
    if "timestamp" not in names:
        raise ValueError("no timestamp column")
    total = con.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()[0]
    stats: dict[str, tuple[int, Any, int]] = {}
    tops: dict[str, list[Any]] = {}
    for i in range(0, len(cols), BATCH):
        batch = cols[i : i + BATCH]
        aggs = []
        for name, typ in batch:
            q = quote(name)
            # CASE, not FILTER: hundreds of FILTER clauses in one SELECT are very slow.
            aggs += [
                f"count({q})",
                f'max(CASE WHEN {q} IS NOT NULL THEN "timestamp" END)',
                # booleans: the number of trues gives the exact domain and order for free
                f"coalesce(count_if({q}), 0)"
                if honeycomb_type(typ) == "boolean"
                else f"approx_count_distinct({_value(name, typ)})",
            ]
        row = con.execute(f"SELECT {', '.join(aggs)} FROM {quote(table)}").fetchone()
        for j, (name, typ) in enumerate(batch):
            count, last, third = row[3 * j : 3 * j + 3]
            if honeycomb_type(typ) == "boolean":
                freq = sorted([(True, third), (False, count - third)], key=lambda kv: -kv[1])
                tops[name] = [v for v, n in freq if n > 0]
                third = len(tops[name])
            stats[name] = (count, last, third)

    def wanted(n: str, t: str) -> bool:
        return bool(stats[n][0]) and honeycomb_type(t) not in ("timestamp", "boolean")

    small = [(n, t) for n, t in cols if wanted(n, t) and stats[n][2] <= HISTOGRAM_MAX]
    large = [(n, t) for n, t in cols if wanted(n, t) and stats[n][2] > HISTOGRAM_MAX]
    # approx_top_k keeps exact counts while a column has fewer distinct values than k, so for
    # small domains it returns every value, most frequent first. It runs on one thread: the
    # order of equally frequent values then depends only on the data, not on the machine.
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    con.execute("SET threads = 1")
    try:
        for group, k, source in (
            (small, HISTOGRAM_MAX + 1, quote(table)),
            # A sample is plenty for "a few frequent values" of high-cardinality columns.
            # (system sampling picks whole vectors: it does not read the other 90%).
            (large, SAMPLE_COUNT, f"(SELECT * FROM {quote(table)} USING SAMPLE 10% (system, 7))"
             if total > 200_000 else quote(table)),
        ):  # fmt: skip
            for i in range(0, len(group), BATCH):
                batch = group[i : i + BATCH]
                exprs = [f"approx_top_k({_value(n, t)}, {k})" for n, t in batch]
                row = con.execute(f"SELECT {', '.join(exprs)} FROM {source}").fetchone()
                for (name, _), top in zip(batch, row, strict=True):
                    tops[name] = [v for v in (top or []) if v is not None]
    finally:
        con.execute(f"SET threads = {int(threads)}")
    exact = {n for n, t in cols if (n, t) in small or honeycomb_type(t) == "boolean"}

    out = []
    for name, typ in cols:
        count, last, approx = stats[name]
        htype = honeycomb_type(typ)
        if name in exact and len(tops.get(name, [])) <= HISTOGRAM_MAX:
            values = tops[name]
            distinct = len(values)
            samples = [_as_text(v) for v in values[:SAMPLE_COUNT]]
            domain = [_as_text(v) for v in values] if distinct <= DOMAIN_MAX else None
        else:
            distinct = min(int(approx or 0), count)
            samples = [_as_text(v) for v in tops.get(name, [])]
            domain = None
        out.append({
            "key_name": name,
            "type": htype,
            "description": descriptions.get(name, ""),
            "last_written": last,
            "distinct_count": distinct,
            "sample_values": samples,
            "domain": domain,
            "null_fraction": (1.0 - count / total) if total else 1.0,
        })  # fmt: skip
    return out


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
