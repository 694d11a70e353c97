"""Write flat span events into the OpenTelemetry Collector ClickHouse exporter's ``otel_traces`` schema.

The table follows the exporter's traces DDL (``exporter/clickhouseexporter``: ``Timestamp
DateTime64(9)``, ``Duration UInt64`` in nanoseconds, ``ParentSpanId = ''`` for root spans,
``SpanKind``/``StatusCode`` as the exporter spells them, attributes as text in
``Map(LowCardinality(String), String)``; the nested ``Events``/``Links`` are left out). Resource
attributes (``host.*``, ``k8s.*``, ``cloud.*``, ``service.*``...) go to ``ResourceAttributes``, the
rest to ``SpanAttributes``; a missing (NULL) value is a missing key. ``mappings/otel_traces.yaml``
reads it back in logical names.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlglot import exp

from workbench.engines.load import copy_table, ident

__all__ = ["OTEL_TRACES_DDL", "RESOURCE_PREFIXES", "copy_otel_traces", "write_otel_traces"]

OTEL_TRACES_DDL = """(
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1))
) ENGINE = MergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)"""

RESOURCE_PREFIXES = ("service.", "host.", "k8s.", "cloud.", "deployment.", "telemetry.", "os.", "process.",
                     "container.")  # fmt: skip
#: logical columns stored in the table's own columns (not in a Map)
_OWN = {"timestamp", "trace.trace_id", "trace.span_id", "trace.parent_id", "name", "span.kind",
        "service.name", "duration_ms", "error"}  # fmt: skip
_ABSENT = "\x00"


def _attributes(keys: Sequence[str]) -> str:
    """``mapFilter`` of ``map('key', toString(col) or the absent mark, ...)``: missing values are missing keys."""
    if not keys:
        return "map()"
    pairs = ", ".join(
        f"{exp.Literal.string(k).sql('clickhouse')}, ifNull(toString({ident(k, 'clickhouse')}), '{_ABSENT}')"
        for k in keys
    )
    return f"mapFilter((k, v) -> v != '{_ABSENT}', map({pairs}))"


def write_otel_traces(
    engine: Any, flat_table: str, columns: Sequence[str], target: str = "otel_traces"
) -> None:
    """Create ``target`` (replaced) on a ClickHouse engine from the flat table ``flat_table``."""
    resource = [c for c in columns if c not in _OWN and c.startswith(RESOURCE_PREFIXES)]
    span = [c for c in columns if c not in _OWN and c not in resource]
    name = ident(target, "clickhouse")

    def col(logical: str) -> str:
        return ident(logical, "clickhouse")

    kind = col("span.kind")
    engine.command(f"DROP TABLE IF EXISTS {name}")
    engine.command(f"CREATE TABLE {name} {OTEL_TRACES_DDL}")
    engine.command(
        f"INSERT INTO {name} (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, "
        "ResourceAttributes, SpanAttributes, Duration, StatusCode) SELECT "
        f"{col('timestamp')}, ifNull({col('trace.trace_id')}, ''), ifNull({col('trace.span_id')}, ''), "
        f"ifNull({col('trace.parent_id')}, ''), ifNull({col('name')}, ''), "
        f"concat(upper(substring(ifNull({kind}, 'unspecified'), 1, 1)), substring(ifNull({kind}, ''), 2)), "
        f"ifNull({col('service.name')}, ''), {_attributes(resource)}, {_attributes(span)}, "
        f"toUInt64(round(ifNull({col('duration_ms')}, 0) * 1000000)), "
        f"if({col('error')}, 'Error', 'Unset') FROM {ident(flat_table, 'clickhouse')}"
    )


def copy_otel_traces(path: Path, engine: Any, target: str = "otel_traces") -> int:
    """Copy the ``events`` table of the DuckDB file ``path`` into ClickHouse as ``target`` in the otel schema."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as source:
        columns = [r[0] for r in source.execute("DESCRIBE events").fetchall()]
    staging = f"_{target}_flat"
    rows = copy_table(path, "events", engine, target=staging)
    try:
        write_otel_traces(engine, staging, columns, target)
    finally:
        engine.command(f"DROP TABLE IF EXISTS {ident(staging, 'clickhouse')}")
    return rows
