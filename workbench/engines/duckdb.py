"""The embedded engine: DuckDB through a locked-down connection (``dataset.lockdown``), opened once.

The dataset hands the engine a function that opens its locked, read-only connection; the engine
opens it on first use and gives every query its own *cursor* (a connection to the same
instance: cheap, usable from its own thread, interruptible), so repeated queries skip the
30-80 ms it takes to build a private instance and attach the file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import duckdb

from workbench.engines.base import Engine, QueryError, one_line, timeout_error

__all__ = ["DuckDBEngine", "check_statement", "run_on"]

_ALLOWED_STATEMENTS = ("SELECT", "EXPLAIN")


def check_statement(conn: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Refuse anything but a single SELECT or EXPLAIN (a one-line ``QueryError``)."""
    try:
        statements = conn.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(f"the SQL does not parse: {one_line(exc)}", "fix the SQL") from None
    if len(statements) != 1:
        raise QueryError(
            f"expected one SQL statement, got {len(statements)}",
            "run a single SELECT, without ';'-separated parts",
        )
    kind = statements[0].type.name
    if kind not in _ALLOWED_STATEMENTS:
        raise QueryError(
            f"only SELECT queries may run on a dataset, not {kind}",
            "datasets are read-only; query them with SELECT",
        )


def run_on(
    conn: Any, sql: str, timeout_s: float | None, max_rows: int
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one checked SELECT on a DuckDB connection, interrupted after ``timeout_s``."""
    timer = None
    timed_out = threading.Event()
    if timeout_s is not None:

        def interrupt() -> None:
            timed_out.set()
            conn.interrupt()

        timer = threading.Timer(timeout_s, interrupt)
        timer.daemon = True
    try:
        check_statement(conn, sql)
        if timer is not None:
            timer.start()
        conn.execute(sql)
        names = [d[0] for d in conn.description or ()]
        rows = conn.fetchmany(max_rows + 1)
    except duckdb.Error as exc:
        if timed_out.is_set() or isinstance(exc, duckdb.InterruptException):
            raise timeout_error(timeout_s) from None
        raise QueryError(f"query failed: {one_line(exc)}", "check the columns and values it uses") from None
    finally:
        if timer is not None:
            timer.cancel()
    return names, rows


class DuckDBEngine(Engine):
    """A DuckDB dataset: one locked connection opened on first use, one cursor per query."""

    kind = "duckdb"
    dialect = "duckdb"

    def __init__(self, connect: Callable[[], Any], redacted: str) -> None:
        super().__init__(redacted)
        self._connect = connect
        self._base: Any = None
        self._database = ""

    def cursor(self) -> Any:
        """A cursor on the shared connection, in the dataset's database (close it when done)."""
        with self._lock:
            if self._base is None:
                try:
                    base = self._connect()
                except duckdb.Error as exc:
                    raise QueryError(
                        f"cannot open the dataset: {one_line(exc)}", "check the dataset path"
                    ) from None
                (self._database,) = base.execute("SELECT current_database()").fetchone()
                self._base = base
            cursor = self._base.cursor()
        try:
            cursor.execute('USE "' + self._database.replace('"', '""') + '"')
        except Exception:
            cursor.close()
            raise
        return cursor

    def query(
        self, sql: str, *, timeout_s: float | None, max_rows: int, params: dict[str, Any] | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        cursor = self.cursor()
        try:
            return run_on(cursor, sql, timeout_s, max_rows)
        finally:
            cursor.close()

    def close(self) -> None:
        with self._lock:
            if self._base is not None:
                self._base.close()
                self._base = None
