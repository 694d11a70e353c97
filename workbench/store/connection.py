"""The log's connection: one writer connection kept open, short-lived ones for readers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import duckdb

from workbench.core.errors import WorkbenchError
from workbench.core.paths import runs_path
from workbench.store.migrations import migrate


class LogConnection:
    """The log file, its lock and its connections (see ``workbench.store.runs``)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else runs_path()
        self._lock = threading.RLock()
        self._conn: duckdb.DuckDBPyConnection | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # ----------------------------------------------------------------- connections

    def _open(self) -> duckdb.DuckDBPyConnection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = duckdb.connect(str(self.path))
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise WorkbenchError(
                    f"the experiment log {self.path} is in use by another process",
                    "wait for the running eval to finish, or close the notebook that writes to it",
                ) from None
            raise WorkbenchError(f"cannot open the experiment log {self.path}: {exc}") from None
        except duckdb.Error as exc:
            raise WorkbenchError(
                f"{self.path} is not a readable experiment log: {exc}", "point at a runs .duckdb file"
            ) from None
        try:
            migrate(conn, f"the experiment log {self.path}")
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def _reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The writer's connection if open, else a short-lived one (so readers do not hold the lock)."""
        with self._lock:
            if self._conn is not None:
                yield self._conn
                return
            conn = self._open()
            try:
                yield conn
            finally:
                conn.close()

    @contextmanager
    def _writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            if self._conn is None:
                self._conn = self._open()
            yield self._conn

    def sql(self, query: str, params: list[Any] | None = None) -> Any:
        """Run a read query over the log and return a pandas DataFrame (tables: runs, run_events,
        run_variants, run_questions, trials, migrations)."""
        with self._reading() as conn:
            return conn.execute(query, params or []).df()
