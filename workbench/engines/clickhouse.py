"""ClickHouse: a server over HTTP, or embedded (chdb), both through clickhouse-connect's one client API.

Every query runs with ``readonly=2`` (no writes, no DDL; settings may change per query), a
``max_execution_time`` and a ``max_result_rows`` cap, plus the settings that give the
compiler's SQL the same meaning as on DuckDB (see ``SEMANTICS``). Credentials come only from
the DSN or the usual ``CLICKHOUSE_USER`` / ``CLICKHOUSE_PASSWORD`` variables.
"""

from __future__ import annotations

import contextlib
import math
import os
from datetime import UTC, datetime
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.engines._guard import check_select
from workbench.engines.base import Dsn, Engine, QueryError, one_line, timeout_error

__all__ = ["SEMANTICS", "ClickHouseEngine"]

#: session settings the compiler's ClickHouse SQL relies on: NULL is a value in ``IN`` (the
#: top-groups condition keeps the NULL group), aggregates over no rows are NULL, outer joins fill
#: NULL (not 0), and times are read and shown in UTC.
SEMANTICS: dict[str, Any] = {
    "transform_null_in": 1,
    "aggregate_functions_null_for_empty": 1,
    "join_use_nulls": 1,
    "session_timezone": "UTC",
}
_TIMEOUT_CODES = ("TIMEOUT_EXCEEDED", "Code: 159")


def _client(dsn: Dsn) -> Any:
    try:
        import clickhouse_connect
    except ImportError:
        raise WorkbenchError(
            "ClickHouse needs the clickhouse-connect package", "pip install 'query-workbench[engines]'"
        ) from None
    if dsn.kind == "chdb":
        try:
            import chdb  # noqa: F401
        except ImportError:
            raise WorkbenchError(
                "embedded ClickHouse needs the chdb package", "pip install 'query-workbench[engines]'"
            ) from None
        return clickhouse_connect.get_client(dsn=dsn.url)
    extra: dict[str, Any] = {}
    if "@" not in dsn.url.split("://", 1)[1].split("/", 1)[0]:
        if os.environ.get("CLICKHOUSE_USER"):
            extra["username"] = os.environ["CLICKHOUSE_USER"]
        if os.environ.get("CLICKHOUSE_PASSWORD"):
            extra["password"] = os.environ["CLICKHOUSE_PASSWORD"]
    url = dsn.url.replace("clickhouses://", "https://", 1).replace("clickhouse://", "http://", 1)
    return clickhouse_connect.get_client(dsn=url, autogenerate_session_id=False, **extra)


def _plain(value: Any) -> Any:
    """Times as naive UTC (as DuckDB returns them); everything else unchanged."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


class ClickHouseEngine(Engine):
    """One clickhouse-connect client (HTTP or chdb) reused for every query."""

    dialect = "clickhouse"

    def __init__(self, dsn: Dsn) -> None:
        super().__init__(dsn.redacted)
        self.kind = dsn.kind
        self.dsn = dsn
        try:
            self.client = _client(dsn)
        except WorkbenchError:
            raise
        except Exception as exc:
            raise QueryError(
                f"cannot connect to {dsn.redacted}: {one_line(exc)}", "check the DSN and that the server runs"
            ) from None

    def settings(self, timeout_s: float | None, max_rows: int) -> dict[str, Any]:
        out: dict[str, Any] = {"readonly": 2, **SEMANTICS}
        if max_rows >= 0:
            out.update(max_result_rows=max_rows + 1, result_overflow_mode="break")
        if timeout_s is not None:
            out["max_execution_time"] = max(1, math.ceil(timeout_s))
        return out

    def _run(
        self, sql: str, timeout_s: float | None, max_rows: int, params: dict[str, Any] | None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        check_select(sql, "clickhouse")
        try:
            result = self.client.query(sql, parameters=params, settings=self.settings(timeout_s, max_rows))
        except Exception as exc:
            text = str(exc)
            if any(code in text for code in _TIMEOUT_CODES):
                raise timeout_error(timeout_s) from None
            raise QueryError(
                f"query failed: {one_line(exc)}", "check the columns and values it uses"
            ) from None
        rows = [tuple(_plain(v) for v in row) for row in result.result_rows[: max_rows + 1]]
        return list(result.column_names), rows

    def command(self, sql: str) -> Any:
        """Run a statement with writes allowed (loading data into an embedded engine, never queries)."""
        with self._lock:
            return self.client.command(sql)

    def close(self) -> None:
        with self._lock, contextlib.suppress(Exception):
            self.client.close()
