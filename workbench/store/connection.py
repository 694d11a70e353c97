"""The log's connection: one writer connection kept open, short-lived ones for readers."""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import duckdb

from workbench.core.errors import WorkbenchError, clip
from workbench.core.paths import runs_path
from workbench.store.migrations import migrate

#: how long opening the log to write waits for another process (a reader polling it) to let go of it.
LOCK_WAIT_SECONDS = 3.0
#: the same for a reader: short, since a running eval holds the log for its whole run and a polling
#: dashboard must not freeze while it waits.
READ_LOCK_WAIT_SECONDS = 0.5


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set lock" in text or "in use" in text)


def _is_disk_full(exc: BaseException) -> bool:
    return getattr(exc, "errno", None) == errno.ENOSPC or "no space left" in str(exc).lower()


def log_error(path: Path, exc: BaseException) -> WorkbenchError:
    """One line for a failure of the log file: in use, disk full, or damaged (never a traceback)."""
    if _is_disk_full(exc):
        return WorkbenchError(
            f"the disk holding the experiment log {path} is full (no space left on device)",
            "free some space, or pass --store with a log on another disk; finished trials were kept",
        )
    if _is_lock_error(exc):
        return WorkbenchError(
            f"the experiment log {path} is in use by another process",
            "wait for the running eval to finish, or close the notebook that writes to it",
        )
    first = clip(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, 200)
    return WorkbenchError(
        f"the experiment log {path} is damaged or unreadable: {first}",
        "restore it from a copy, or move it aside (a new log is created) or pass --store with another log",
    )


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

    def reopen(self) -> None:
        """Close the writer's connection and open a new one at once, when one is open: DuckDB keeps
        the memory of a connection's inserts (about 8 MB per 1,000 trials) until it is closed, and the
        file stays this process's meanwhile (closing alone would let another writer take it)."""
        with self._lock:
            if self._conn is not None:
                self.close()
                self._conn = self._open()

    # ----------------------------------------------------------------- connections

    def _open(self, wait_s: float | None = None) -> duckdb.DuckDBPyConnection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkbenchError(
                f"cannot create the folder of the experiment log {self.path}: {exc.strerror}",
                "pass --store with a writable path",
            ) from None
        conn = self._connect(LOCK_WAIT_SECONDS if wait_s is None else wait_s)
        try:
            migrate(conn, f"the experiment log {self.path}")
        except duckdb.Error as exc:
            conn.close()
            raise log_error(self.path, exc) from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect(self, wait_s: float) -> duckdb.DuckDBPyConnection:
        """Connect, waiting up to ``wait_s`` seconds while another process (a reader) holds the file."""
        deadline = time.monotonic() + wait_s
        pause = 0.02
        while True:
            try:
                return duckdb.connect(str(self.path))
            except duckdb.Error as exc:
                if not _is_lock_error(exc) or time.monotonic() + pause > deadline:
                    raise log_error(self.path, exc) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.25)

    @contextmanager
    def _reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The writer's connection if open, else a short-lived one (so readers do not hold the lock)."""
        with self._lock:
            if self._conn is not None:
                try:
                    yield self._conn
                except duckdb.Error as exc:
                    raise log_error(self.path, exc) from None
                return
            conn = self._open(READ_LOCK_WAIT_SECONDS)
            try:
                yield conn
            except duckdb.Error as exc:
                raise log_error(self.path, exc) from None
            finally:
                conn.close()

    @contextmanager
    def _writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            if self._conn is None:
                self._conn = self._open()
            try:
                yield self._conn
            except duckdb.Error as exc:
                self.close()  # a failed write (disk full) may leave the connection unusable: reopen next time
                raise log_error(self.path, exc) from None

    def sql(self, query: str, params: list[Any] | None = None) -> Any:
        """Run a read query over the log and return a pandas DataFrame (tables: runs, run_events,
        run_variants, run_questions, trials, migrations)."""
        with self._reading() as conn:
            return conn.execute(query, params or []).df()
