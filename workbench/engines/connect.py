"""Open an engine from a DSN (``clickhouse://``, ``chdb://``, ``postgresql://``)."""

from __future__ import annotations

from workbench.engines.base import Engine, parse_dsn

__all__ = ["open_engine"]


def open_engine(text: str, *, writable: bool = False) -> Engine:
    """The engine a DSN names, connected; ``writable`` only for loading data (Postgres)."""
    dsn = parse_dsn(text)
    if dsn.kind in ("clickhouse", "chdb"):
        from workbench.engines.clickhouse import ClickHouseEngine

        return ClickHouseEngine(dsn)
    from workbench.engines.postgres import PostgresEngine

    return PostgresEngine(dsn, writable=writable)
