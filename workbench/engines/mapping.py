"""Column mappings: the workbench's logical columns as SQL expressions over an engine's own table.

A mapping file (YAML) lets specs, prompts, examples and question sets keep their logical names
(``duration_ms``, ``http.route``) on a table with another schema, such as the OpenTelemetry
Collector's ``otel_traces``::

    columns:
      timestamp: Timestamp
      duration_ms: Duration / 1e6
      trace.parent_id: nullIf(ParentSpanId, '')        # root spans hold '' there
      error: {expr: "StatusCode = 'Error'", type: boolean}
      http.route: {map: SpanAttributes, key: http.route}
    attributes: [SpanAttributes, ResourceAttributes]   # every key found becomes a column

Expressions are parsed by sqlglot in the engine's dialect when the file is read (a bad one is a
one-line error) and never pasted as text. The compiler reads the table through one derived table
(``relation``) whose columns are the logical names, so every Honeycomb semantic holds unchanged.
A Map attribute is ``if(mapContains(M, 'key'), <typed value>, NULL)``: ``exists`` is
``mapContains``, a number is ``toInt64OrNull`` / ``toFloat64OrNull`` of the text, a boolean is
the text ``'true'``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot import exp

from workbench.core.errors import WorkbenchError
from workbench.core.paths import shipped_dir
from workbench.engines.base import Engine, one_line

__all__ = [
    "DUCKDB_TYPES",
    "ColumnMapping",
    "column_types",
    "discover_attributes",
    "load_mapping",
    "map_value",
    "parse_expression",
]

#: Honeycomb type -> the DuckDB type name the schema layer reads
DUCKDB_TYPES = {
    "string": "VARCHAR", "integer": "BIGINT", "float": "DOUBLE", "boolean": "BOOLEAN", "timestamp": "TIMESTAMP",
}  # fmt: skip
_MAX_FILE_BYTES = 1_000_000
#: functions that read other tables, files, URLs or servers: a mapping reads only its own table
_OUTSIDE = ("file", "url", "s3", "gcs", "azure", "hdfs", "remote", "cluster", "mysql", "postgres", "sqlite",
            "mongo", "redis", "jdbc", "odbc", "executable", "input", "dictget", "joinget", "dblink", "pg_read",
            "lo_")  # fmt: skip
_DISCOVER_ROWS = 1_000_000


@dataclass
class ColumnMapping:
    """Logical column -> (expression tree in the engine's dialect, Honeycomb type or None: ask the engine)."""

    name: str
    dialect: str
    columns: dict[str, tuple[exp.Expression, str | None]] = field(default_factory=dict)
    attributes: list[str] = field(default_factory=list)

    def relation(self, table: str) -> exp.Subquery:
        """``(SELECT <expr> AS "logical", ...) FROM table) AS table``: the FROM the compiler reads."""
        items = [exp.alias_(_typed(e, t, self.dialect), n, quoted=True) for n, (e, t) in self.columns.items()]
        inner = exp.select(*items, copy=False).from_(exp.to_table(_quoted(table)), copy=False)
        return exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(table, quoted=True)))


def _quoted(name: str) -> exp.Table:
    return exp.Table(this=exp.to_identifier(name, quoted=True))


def _typed(expr: exp.Expression, ctype: str | None, dialect: str) -> exp.Expression:
    if ctype == "boolean" and dialect == "clickhouse":  # a comparison is UInt8 there
        return exp.Anonymous(this="toBool", expressions=[expr.copy()])
    return expr.copy()


def map_value(map_column: str, key: str, ctype: str | None) -> exp.Expression:
    """``if(mapContains(M, key), <M[key] typed>, NULL)``: NULL when the attribute is absent (ClickHouse)."""
    column = exp.column(map_column, quoted=True)
    literal = exp.Literal.string(key)
    value: exp.Expression = exp.Bracket(this=column.copy(), expressions=[literal.copy()])
    if ctype == "integer":
        value = exp.Anonymous(this="toInt64OrNull", expressions=[value])
    elif ctype == "float":
        value = exp.Anonymous(this="toFloat64OrNull", expressions=[value])
    elif ctype == "boolean":
        value = exp.EQ(this=value, expression=exp.Literal.string("true"))
    elif ctype == "timestamp":
        utc = [exp.Literal.number(6), exp.Literal.string("UTC")]
        value = exp.Anonymous(this="parseDateTime64BestEffortOrNull", expressions=[value, *utc])
    present = exp.Anonymous(this="mapContains", expressions=[column, literal])
    return exp.If(this=present, true=value, false=exp.null())


def load_mapping(name: str, dialect: str) -> ColumnMapping:
    """Read a mapping by shipped name (``otel_traces``) or file path, parsing every expression.

    Raises:
        WorkbenchError: the file is missing or malformed, or an expression does not parse (one line).
    """
    path = _find(name)
    try:
        if path.stat().st_size > _MAX_FILE_BYTES:
            raise WorkbenchError(f"mapping {path} is larger than 1 MB", "keep mapping files small")
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise WorkbenchError(f"cannot read mapping {path}: {one_line(exc)}", "fix the YAML") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("columns"), dict):
        raise WorkbenchError(f"mapping {path} has no `columns:` table", "map logical names to expressions")
    mapping = ColumnMapping(name=path.stem, dialect=dialect)
    for logical, entry in raw["columns"].items():
        mapping.columns[str(logical)] = _entry(str(logical), entry, dialect, path)
    attributes = raw.get("attributes") or []
    if not isinstance(attributes, list) or not all(isinstance(a, str) for a in attributes):
        raise WorkbenchError(f"mapping {path}: `attributes` must be a list of Map columns", "fix the YAML")
    mapping.attributes = list(attributes)
    if "timestamp" not in mapping.columns:
        raise WorkbenchError(f"mapping {path} does not map `timestamp`", "map timestamp to the event time")
    return mapping


def _find(name: str) -> Path:
    path = Path(name).expanduser()
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise WorkbenchError(f"no mapping file {path}", "give a mapping YAML file or a shipped name")
        return path
    shipped = shipped_dir("mappings")
    candidate = shipped / f"{name}.yaml" if shipped is not None else None
    if candidate is None or not candidate.is_file() or "/" in name:
        known = sorted(p.stem for p in shipped.glob("*.yaml")) if shipped is not None else []
        raise WorkbenchError(f"no shipped mapping {name!r}", f"use a file path or one of {', '.join(known)}")
    return candidate


def _entry(logical: str, entry: Any, dialect: str, path: Path) -> tuple[exp.Expression, str | None]:
    where = f"mapping {path.name}, column {logical!r}"
    ctype = entry.get("type") if isinstance(entry, dict) else None
    if ctype is not None and ctype not in DUCKDB_TYPES:
        raise WorkbenchError(f"{where}: unknown type {ctype!r}", f"use one of {', '.join(DUCKDB_TYPES)}")
    if isinstance(entry, dict) and "map" in entry:
        return map_value(str(entry["map"]), str(entry.get("key", logical)), ctype), ctype
    text = entry.get("expr") if isinstance(entry, dict) else entry
    if not isinstance(text, str | int | float) or isinstance(text, bool):
        raise WorkbenchError(f"{where}: expected an SQL expression", "write `name: expression`")
    return parse_expression(str(text), dialect, where), ctype


def parse_expression(text: str, dialect: str, where: str) -> exp.Expression:
    """One scalar SQL expression parsed by sqlglot (no subqueries, no statements)."""
    try:
        tree = sqlglot.parse_one(text, read=dialect, into=exp.Condition)
    except (sqlglot.errors.SqlglotError, ValueError) as exc:
        raise WorkbenchError(
            f"{where}: {text!r} does not parse: {one_line(exc)}", "fix the expression"
        ) from None
    if tree is None or any(isinstance(n, exp.Query | exp.DDL | exp.DML) for n in tree.walk()):
        raise WorkbenchError(f"{where}: {text!r} is not a plain expression", "use columns and functions only")
    for node in tree.find_all(exp.Func):
        name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
        if name.startswith(_OUTSIDE):
            raise WorkbenchError(
                f"{where}: {text!r} calls {name}, which reads outside the table",
                "map to the table's own columns",
            )
    return tree


def discover_attributes(
    mapping: ColumnMapping, engine: Engine, table: str, known_types: dict[str, str]
) -> ColumnMapping:
    """Add a column for every key of the mapping's Map columns (the first Map holding a key wins).

    A key's type comes from ``known_types`` (stored metadata), else from its values: every value
    an integer -> integer, a number -> float (written as the engine writes that number back, so
    ``007`` or ``14.10`` stay text), ``true``/``false`` -> boolean, else string.
    """
    if not mapping.attributes or engine.dialect != "clickhouse":
        return mapping
    for map_column in mapping.attributes:
        m = exp.column(map_column, quoted=True).sql("clickhouse")
        sql = (
            "SELECT k, countIf(NOT ifNull(toString(toInt64OrNull(v)) = v, false)), "
            "countIf(NOT ifNull(toString(toFloat64OrNull(v)) = v, false)), "
            "countIf(v NOT IN ('true', 'false')) FROM (SELECT "
            f"{m} AS m FROM {_quoted(table).sql('clickhouse')} LIMIT {_DISCOVER_ROWS}) "
            "ARRAY JOIN mapKeys(m) AS k, mapValues(m) AS v GROUP BY k ORDER BY k"
        )
        _, rows = engine.query(sql, timeout_s=120, max_rows=100_000)
        for key, not_int, not_float, not_bool in rows:
            if key in mapping.columns:
                continue
            guess = (
                "integer"
                if not not_int
                else "float"
                if not not_float
                else "boolean"
                if not not_bool
                else "string"
            )
            ctype = known_types.get(key, guess)
            mapping.columns[key] = (map_value(map_column, key, ctype), ctype)
    return mapping


def column_types(mapping: ColumnMapping, engine: Engine, table: str) -> list[tuple[str, str]]:
    """``(logical name, type)`` of every mapped column: the declared type as DuckDB names it, else the
    engine's own type name (ClickHouse ``toTypeName``, PostgreSQL ``pg_typeof``) of the expression."""
    asked = [n for n, (_, t) in mapping.columns.items() if t is None]
    found: dict[str, str] = {}
    if asked:
        fn = "toTypeName" if engine.dialect == "clickhouse" else "pg_typeof"
        probes = [
            exp.alias_(
                exp.cast(exp.Anonymous(this=fn, expressions=[exp.column(n, quoted=True)]), "TEXT"), f"t{i}"
            )
            for i, n in enumerate(asked)
        ]
        select = (
            exp.select(*probes, copy=False).from_(mapping.relation(table), copy=False).limit(1, copy=False)
        )
        _, rows = engine.query(select.sql(engine.dialect), timeout_s=60, max_rows=1)
        found = dict(zip(asked, (str(v) for v in rows[0]), strict=True)) if rows else {}
    out = []
    for name, (_, ctype) in mapping.columns.items():
        out.append((name, DUCKDB_TYPES[ctype] if ctype else found.get(name, "String")))
    return out
