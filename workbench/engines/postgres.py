"""PostgreSQL through psycopg 3: one connection, every query in a READ ONLY transaction with a statement timeout.

Credentials come from the DSN or libpq's usual variables (``PGUSER``, ``PGPASSWORD``,
``PGPASSFILE``, ``PGSERVICE``); the session runs in UTC and ``default_transaction_read_only``
is on from the first statement.
"""

from __future__ import annotations

import math
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.engines._guard import check_select
from workbench.engines.base import Dsn, Engine, QueryError, one_line, timeout_error

__all__ = ["PostgresEngine"]


class PostgresEngine(Engine):
    """One psycopg connection reused for every query (queries take turns)."""

    kind = "postgres"
    dialect = "postgres"

    def __init__(self, dsn: Dsn, *, writable: bool = False) -> None:
        super().__init__(dsn.redacted)
        self.dsn = dsn
        self.writable = writable
        self._conn: Any = None
        self._open()

    def _open(self) -> Any:
        try:
            import psycopg
        except ImportError:
            raise WorkbenchError(
                "PostgreSQL needs the psycopg package", "pip install 'query-workbench[engines]'"
            ) from None
        options = "-c TimeZone=UTC" + ("" if self.writable else " -c default_transaction_read_only=on")
        url = "postgresql://" + self.dsn.url.split("://", 1)[1]
        try:
            self._conn = psycopg.connect(url, options=options, connect_timeout=10)
        except psycopg.Error as exc:
            raise QueryError(
                f"cannot connect to {self.dsn.redacted}: {one_line(exc)}",
                "check the DSN and that the server runs",
            ) from None
        self._conn.read_only = not self.writable
        return self._conn

    def _run(
        self, sql: str, timeout_s: float | None, max_rows: int, params: dict[str, Any] | None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        import psycopg

        check_select(sql, "postgres")
        conn = self._conn if self._conn is not None and not self._conn.closed else self._open()
        millis = 0 if timeout_s is None else max(1, math.ceil(timeout_s * 1000))
        try:
            with conn.cursor() as cur:
                cur.execute(f"SET LOCAL statement_timeout = {int(millis)}")
                cur.execute(sql, params)
                names = [d.name for d in cur.description or ()]
                rows = cur.fetchmany(max_rows + 1)
            conn.rollback()
        except psycopg.errors.QueryCanceled:
            conn.rollback()
            raise timeout_error(timeout_s) from None
        except psycopg.Error as exc:
            if not conn.closed:
                conn.rollback()
            raise QueryError(
                f"query failed: {one_line(exc)}", "check the columns and values it uses"
            ) from None
        return names, [tuple(r) for r in rows]

    def execute(self, sql: str, rows: list[tuple[Any, ...]] | None = None) -> None:
        """Run a statement on a writable engine (loading data; never model output)."""
        if not self.writable:
            raise QueryError("this PostgreSQL engine is read-only", "open it with writable=True to load data")
        with self._lock, self._conn.cursor() as cur:
            if rows is None:
                cur.execute(sql)
            else:
                cur.executemany(sql, rows)
            self._conn.commit()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
