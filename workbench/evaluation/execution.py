"""Query execution during an eval: one read-only connection per run, each distinct query run once.

Two costs dominate a naive eval loop on DuckDB, and both are avoidable:

- ``Dataset.connect()`` builds a new private DuckDB instance per query (an in-memory
  database with the file attached read-only, about 30-80 ms). :class:`SharedDataset`
  opens one such connection per run and hands out *cursors*: each cursor is its own
  connection to the same read-only, configuration-locked instance, costs well under a
  millisecond, can be used from its own thread, can be interrupted (timeouts), and
  shares the instance's buffer cache.
- A question's gold (and accepted alternatives) is the same query for every trial
  and every variant, and at temperature 0 the model gives the same query on every
  trial. :class:`Executions` runs each distinct query (by canonical spec) once per run
  and shares the result; results above ``MEMO_MAX_ROWS`` rows are not kept, so
  memory stays bounded.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.core.findings import Finding, error
from workbench.spec.query import QuerySpec, parse_spec

__all__ = ["MEMO_BUDGET_ROWS", "MEMO_MAX_ROWS", "Execution", "Executions", "SharedDataset", "spec_key"]

#: results with more rows than this are executed again when needed instead of kept.
MEMO_MAX_ROWS = 2_000
#: rows all kept results of a run may hold together; past it, a new result is executed again
#: when needed instead of kept (each distinct prediction's result would otherwise stay for the run)
MEMO_BUDGET_ROWS = 500_000


class SharedDataset:
    """A dataset whose ``connect()`` returns a cursor on one read-only connection, opened on first use.

    It has the interface execution needs (``connect()``, ``schema()``, ``now``,
    ``identity``...: anything else is read from the wrapped dataset). ``close()`` closes
    the shared connection; use it as a context manager.
    """

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        self._lock = threading.Lock()
        self._base: Any = None
        self._database = ""

    def connect(self) -> Any:
        with self._lock:
            if self._base is None:
                self._base = self.dataset.connect()
                (self._database,) = self._base.execute("SELECT current_database()").fetchone()
            cursor = self._base.cursor()
        try:
            # a cursor starts in the instance's default database; use the one the dataset chose
            cursor.execute(f"USE {_identifier(self._database)}")
        except Exception:
            cursor.close()
            raise
        return cursor

    def schema(self) -> Any:
        return self.dataset.schema()

    def close(self) -> None:
        with self._lock:
            if self._base is not None:
                self._base.close()
                self._base = None

    def __enter__(self) -> SharedDataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "dataset":
            raise AttributeError(name)
        return getattr(self.dataset, name)

    def __repr__(self) -> str:
        return f"SharedDataset({self.dataset!r})"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def spec_key(spec: QuerySpec | dict[str, Any]) -> str:
    """The canonical text of a spec: two specs with the same key run the same SQL."""
    parsed = spec if isinstance(spec, QuerySpec) else parse_spec(spec)
    return json.dumps(parsed.to_dict(), sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class Execution:
    """One query's outcome: its result, or the finding that says why it did not run."""

    result: Any = None  # a QueryResult
    failure: Finding | None = None
    elapsed_ms: float = 0.0
    shared: bool = False  # served from the memo

    @property
    def sql(self) -> str | None:
        return None if self.result is None else self.result.sql


class _Once:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.value: Execution | None = None


class Executions:
    """Run specs read-only on a dataset, each distinct spec once; thread-safe.

    Args:
        dataset: a dataset (wrap it in :class:`SharedDataset` to reuse one connection).
        timeout_s: per query (summary and series together).
    """

    def __init__(self, dataset: Any, *, timeout_s: float | None = 10.0) -> None:
        self.dataset = dataset
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._memo: dict[str, _Once] = {}
        self.executed = 0
        self.shared = 0
        self.kept_rows = 0
        self.elapsed_ms = 0.0

    def run(self, spec: QuerySpec | dict[str, Any]) -> Execution:
        """Execute ``spec`` (or reuse the result of the same spec run earlier in this run)."""
        key = spec_key(spec)
        with self._lock:
            once = self._memo.setdefault(key, _Once())
        with once.lock:
            if once.value is not None:
                with self._lock:
                    self.shared += 1
                return Execution(once.value.result, once.value.failure, 0.0, shared=True)
            value = self._execute(spec)
            rows = 0 if value.result is None else len(value.result.rows)
            with self._lock:
                keep = rows <= MEMO_MAX_ROWS and self.kept_rows + rows <= MEMO_BUDGET_ROWS
                if keep:
                    self.kept_rows += rows
                else:
                    self._memo.pop(key, None)
            if keep:
                once.value = value
            return value

    def _execute(self, spec: QuerySpec | dict[str, Any]) -> Execution:
        from workbench.sql.execute import run_query

        t0 = time.perf_counter()
        try:
            result = run_query(self.dataset, spec, timeout_s=self.timeout_s)
        except WorkbenchError as exc:
            failure = error("execution_failed", str(exc), suggestion="narrow the query or check the dataset")
            outcome = Execution(None, failure)
        except Exception as exc:  # a compiler or driver bug must cost one trial, not the run
            outcome = Execution(None, error("execution_failed", f"internal error while executing: {exc!r}"))
        else:
            outcome = Execution(result)
        elapsed = (time.perf_counter() - t0) * 1000
        with self._lock:
            self.executed += 1
            self.elapsed_ms += elapsed
        return Execution(outcome.result, outcome.failure, elapsed)
