"""Datasets on an engine named by a DSN: ClickHouse (server or chdb) and PostgreSQL.

An :class:`EngineDataset` has the surface of :class:`~workbench.dataset.source.Dataset` that
queries and prompts use (``schema()``, ``now``, ``identity``, ``engine``, ``describe()``).
Its column metadata is computed by the engine itself with the same exact rules as for DuckDB
(``metadata.compute_metadata``: the DuckDB SQL it writes is transpiled by sqlglot), and cached
in the home's ``.cache/engines/`` by dataset identity. The DSN is kept only in memory; what
is recorded anywhere is ``engine.redacted`` (no user, no password).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlglot
from sqlglot import exp

from workbench.core import paths
from workbench.core.errors import DatasetError, WorkbenchError
from workbench.dataset.generate.build import DEFAULT_NOW
from workbench.dataset.metadata import column_info, compute_metadata, iso_utc, utc
from workbench.engines.base import Engine, parse_dsn
from workbench.engines.connect import open_engine
from workbench.engines.mapping import (
    DUCKDB_TYPES,
    column_types,
    discover_attributes,
    load_mapping,
    map_value,
)
from workbench.engines.types import duckdb_type
from workbench.schema.columns import ColumnInfo, Schema
from workbench.schema.relation import prune_relation

__all__ = ["EngineDataset", "open_dsn"]

_MAX_ROWS = 1_000_000
INFO_TABLE = "dataset_info"
METADATA_TABLE = "column_metadata"
_METADATA_FIELDS = ("key_name", "type", "description", "last_written", "distinct_count", "sample_values", "domain",
                    "null_fraction")  # fmt: skip


class _Rows:
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


def _engine_sql(sql: str, dialect: str, table: str, relation: exp.Expression | None) -> str:
    """DuckDB SQL in the engine's dialect; with a column mapping, ``table`` read through its relation."""
    if relation is None:
        return sqlglot.transpile(sql, read="duckdb", write=dialect)[0]
    tree = sqlglot.parse_one(sql, read="duckdb")
    everything = {e.alias_or_name for e in relation.this.expressions}
    for node in list(tree.find_all(exp.Table)):
        if node.name == table and not node.args.get("db"):
            scope = node.find_ancestor(exp.Select) or tree  # the columns the reading SELECT uses
            star = any(isinstance(s.parent, exp.Select) for s in scope.find_all(exp.Star))
            used = everything if star else {c.name for c in scope.find_all(exp.Column)}
            node.replace(prune_relation(relation, used))
    return tree.sql(dialect=dialect)


class _Transpiling:
    """A connection-like adapter: runs DuckDB SQL (from ``compute_metadata``) on an engine."""

    def __init__(
        self, engine: Engine, columns: list[tuple[str, str]], table: str, relation: exp.Expression | None
    ) -> None:
        self.engine, self.columns, self.table, self.relation = engine, columns, table, relation

    def execute(self, sql: str) -> _Rows:
        if sql.startswith("DESCRIBE "):
            return _Rows(list(self.columns))
        text = _engine_sql(sql, self.engine.dialect, self.table, self.relation)
        _, rows = self.engine.query(text, timeout_s=300, max_rows=_MAX_ROWS)
        return _Rows(rows)


@dataclass
class EngineDataset:
    """A table on ClickHouse or PostgreSQL, queried read-only through one reused connection."""

    engine: Engine
    table: str
    now: datetime
    identity: str
    info: dict[str, str] = field(default_factory=dict)
    relation: exp.Expression | None = field(default=None, repr=False)
    _columns: list[tuple[str, str]] = field(default_factory=list, repr=False)
    _schema: Schema | None = field(default=None, repr=False)
    _rows: int | None = field(default=None, repr=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect

    @property
    def source(self) -> str:
        return self.engine.kind

    @property
    def path(self) -> str:
        return self.engine.redacted

    def connect(self) -> Any:
        raise DatasetError(
            f"{self.engine.redacted} is not a DuckDB dataset",
            "run queries with workbench.sql.execute.run_sql",
        )

    def query(self, sql: str, timeout_s: float | None = 60) -> list[tuple[Any, ...]]:
        """Rows of one SELECT written in DuckDB SQL (transpiled to the engine's dialect)."""
        text = _engine_sql(sql, self.dialect, self.table, self.relation)
        return self.engine.query(text, timeout_s=timeout_s, max_rows=_MAX_ROWS)[1]

    def schema(self) -> Schema:
        """Column metadata computed by the engine (cached on disk by identity)."""
        if self._schema is None:
            rows = self._metadata()
            self._schema = Schema(
                columns=tuple(_column_info(r) for r in rows),
                now=self.now,
                identity=self.identity,
                table=self.table,
                relation=self.relation,
            )
        return self._schema

    def _metadata(self) -> list[dict[str, Any]]:
        if _catalog(self.engine, METADATA_TABLE):  # written beside the data by `data generate --to`
            names = {n for n, _ in self._columns}
            return [r for r in _stored_metadata(self.engine) if r["key_name"] in names]
        cache = paths.home() / ".cache" / "engines" / f"{self.identity}.json"
        if cache.exists():
            return json.loads(cache.read_text())
        rows = compute_metadata(
            _Transpiling(self.engine, self._columns, self.table, self.relation), self.table
        )
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(cache.name + ".partial")
        tmp.write_text(json.dumps(rows, default=_json_time))
        tmp.replace(cache)
        return json.loads(cache.read_text())

    def row_count(self) -> int:
        if self._rows is None:
            (self._rows,) = self.query(f"SELECT count(*) FROM {_q(self.table)}")[0]
        return int(self._rows)

    def describe(self) -> dict[str, Any]:
        """A summary for ``workbench data info`` (the DSN redacted)."""
        schema = self.schema()
        first, last = self.query(f'SELECT min("timestamp"), max("timestamp") FROM {_q(self.table)}')[0]
        types: dict[str, int] = {}
        for col in schema:
            types[col.type] = types.get(col.type, 0) + 1
        active = schema.active(7)
        return {
            "path": self.engine.redacted, "source": self.engine.kind, "files": [], "table": self.table,
            "identity": self.identity, "now": iso_utc(self.now), "now_epoch": int(self.now.timestamp()),
            "rows": self.row_count(), "columns": len(schema), "columns_active_7d": len(active),
            "columns_inactive_7d": len(schema) - len(active), "column_types": types,
            "first_event": iso_utc(utc(first)) if first else None, "last_event": iso_utc(utc(last)) if last else None,
            "file_bytes": None, "info": dict(self.info),
        }  # fmt: skip

    def close(self) -> None:
        self.engine.close()


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _json_time(value: Any) -> str:
    if isinstance(value, datetime):
        return utc(value).isoformat()
    return str(value)


def _column_info(row: dict[str, Any]) -> ColumnInfo:
    last = row.get("last_written")
    if isinstance(last, str):
        row = {**row, "last_written": datetime.fromisoformat(last)}
    return column_info(row)


def _catalog(engine: Engine, table: str) -> list[tuple[str, str]]:
    """``(name, DuckDB type)`` of the table's columns, in table order, from the engine's catalog."""
    if engine.dialect == "clickhouse":
        sql = (
            "SELECT name, type FROM system.columns WHERE database = currentDatabase() "
            "AND table = {table:String} ORDER BY position"
        )
    else:
        sql = (
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %(table)s "
            "AND table_schema = current_schema() ORDER BY ordinal_position"
        )
    _, rows = engine.query(sql, timeout_s=60, max_rows=100_000, params={"table": table})
    return [(str(n), duckdb_type(str(t), engine.dialect)) for n, t in rows]


def open_dsn(text: str) -> EngineDataset:
    """Open the table a DSN names (``?table=``, default ``events``) on its engine.

    Raises:
        DatasetError: the table is missing or has no ``timestamp`` column.
        WorkbenchError: the engine's client is not installed, or the server cannot be reached.
    """
    engine = open_engine(text)
    try:
        table = _table_of(text)
        columns = _catalog(engine, table)
        if not columns:
            raise DatasetError(
                f"no table `{table}` at {engine.redacted}", "name it with ?table=NAME in the DSN"
            )
        relation = None
        if (mapping_name := parse_dsn(text).mapping) is not None:
            columns, relation = _mapped(engine, table, mapping_name)
        types = dict(columns)
        if types.get("timestamp") != "TIMESTAMP":
            raise DatasetError(
                f"no `timestamp` time column in `{table}` at {engine.redacted}",
                "name the event time column timestamp",
            )
        dataset = EngineDataset(
            engine=engine, table=table, now=DEFAULT_NOW, identity="", relation=relation, _columns=columns
        )
        count, last = dataset.query(f'SELECT count(*), max("timestamp") FROM {_q(table)}')[0]
        info = _info(engine)
        if "now" in info:
            dataset.now = utc(datetime.fromisoformat(info["now"].replace("Z", "+00:00")))
        else:
            dataset.now = utc(last) if last else DEFAULT_NOW
        dataset.identity = hashlib.sha256(
            json.dumps([engine.kind, engine.redacted, columns, int(count), str(last)]).encode()
        ).hexdigest()[:12]
        dataset._rows = int(count)
        dataset.info = {**info, "engine": engine.kind, "dsn": engine.redacted}
        return dataset
    except WorkbenchError:
        engine.close()
        raise


def _info(engine: Engine) -> dict[str, str]:
    """The ``dataset_info`` table beside the data (written by ``workbench data generate``), if any."""
    if not _catalog(engine, INFO_TABLE):
        return {}
    _, rows = engine.query(f"SELECT key, value FROM {_q(INFO_TABLE)}", timeout_s=60, max_rows=10_000)
    return {str(k): str(v) for k, v in rows}


def _stored_metadata(engine: Engine) -> list[dict[str, Any]]:
    """The ``column_metadata`` rows copied beside the data (lists as JSON text)."""
    cols = ", ".join(_q(f) for f in _METADATA_FIELDS)
    _, rows = engine.query(f"SELECT {cols} FROM {_q(METADATA_TABLE)}", timeout_s=60, max_rows=_MAX_ROWS)
    out = []
    for row in rows:
        item = dict(zip(_METADATA_FIELDS, row, strict=True))
        for key in ("sample_values", "domain"):
            item[key] = json.loads(item[key]) if isinstance(item[key], str) else item[key]
        out.append(item)
    return out


def _table_of(text: str) -> str:
    return parse_dsn(text).table


def _mapped(engine: Engine, table: str, name: str) -> tuple[list[tuple[str, str]], exp.Expression]:
    """The logical ``(name, DuckDB type)`` columns a mapping gives the table, and the relation that reads them."""
    mapping = load_mapping(name, engine.dialect)
    known: dict[str, str] = {}
    if _catalog(engine, METADATA_TABLE):
        known = {str(r["key_name"]): str(r["type"]) for r in _stored_metadata(engine)}
    mapping = discover_attributes(mapping, engine, table, known)
    if mapping.attributes and engine.dialect == "clickhouse":  # stored columns no row holds yet
        for name in known.keys() - mapping.columns.keys():
            mapping.columns[name] = (map_value(mapping.attributes[0], name, known[name]), known[name])
    ours = set(DUCKDB_TYPES.values())
    columns = [
        (n, t if t in ours else duckdb_type(t, engine.dialect))
        for n, t in column_types(mapping, engine, table)
    ]
    return columns, mapping.relation(table)
