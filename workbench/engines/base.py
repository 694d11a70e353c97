"""The engine interface, its errors, and DSNs (parsed, redacted: credentials never leave the process)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from workbench.core.errors import WorkbenchError

__all__ = [
    "DSN_SCHEMES",
    "Dsn",
    "Engine",
    "QueryError",
    "QueryTimeout",
    "is_dsn",
    "one_line",
    "parse_dsn",
    "timeout_error",
]

#: DSN scheme -> engine kind
DSN_SCHEMES = {
    "clickhouse": "clickhouse",
    "clickhouses": "clickhouse",
    "chdb": "chdb",
    "postgres": "postgres",
    "postgresql": "postgres",
}


class QueryTimeout(WorkbenchError):
    """A query ran longer than its timeout and was interrupted."""


class QueryError(WorkbenchError):
    """The database rejected a query (bad SQL, a write on a read-only dataset, a type error...)."""


def one_line(exc: BaseException) -> str:
    """The first non-empty line of an error, at most 300 characters."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def timeout_error(seconds: float | None) -> QueryTimeout:
    return QueryTimeout(f"query took longer than {seconds:g} s", "narrow the time range or raise the timeout")


def is_dsn(text: str) -> bool:
    """Whether ``text`` names an engine by DSN (``clickhouse://``, ``chdb://``, ``postgresql://``...)."""
    scheme, sep, _ = text.partition("://")
    return bool(sep) and scheme.lower() in DSN_SCHEMES


@dataclass(frozen=True)
class Dsn:
    """A parsed DSN: the engine kind, the table, the mapping file, and the rest for the client.

    ``redacted`` is the form recorded anywhere (runs, bundles, reports): no user, no password,
    no query parameters other than ``table`` and ``mapping``.
    """

    kind: str
    url: str  # the DSN without the workbench's own parameters (table, mapping), for the client
    table: str
    mapping: str | None
    redacted: str
    params: dict[str, str] = field(default_factory=dict)


def parse_dsn(text: str) -> Dsn:
    """Split a DSN into what the client needs and what the workbench reads (``table``, ``mapping``)."""
    if not is_dsn(text):
        raise WorkbenchError(
            f"not an engine DSN: {text!r}",
            "use clickhouse://host:8123/db?table=T, chdb:///path?table=T or postgresql://host/db?table=T",
        )
    parts = urlsplit(text)
    kind = DSN_SCHEMES[parts.scheme.lower()]
    params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    table = params.pop("table", "events") or "events"
    mapping = params.pop("mapping", None)
    query = "&".join(f"{k}={v}" for k, v in params.items())
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    shown = f"table={table}" + (f"&mapping={mapping}" if mapping else "")
    redacted = f"{parts.scheme}://{netloc}{unquote(parts.path)}?{shown}"
    return Dsn(kind=kind, url=url, table=table, mapping=mapping, redacted=redacted, params=params)


class Engine:
    """One open connection to a database, reused for every query; thread-safe (queries take turns).

    Subclasses set ``kind`` (``duckdb``, ``clickhouse``, ``chdb``, ``postgres``) and ``dialect``
    (the sqlglot dialect the compiler writes for it) and implement ``_run``.
    """

    kind = "duckdb"
    dialect = "duckdb"

    def __init__(self, redacted: str) -> None:
        self.redacted = redacted
        self._lock = threading.Lock()

    def query(
        self, sql: str, *, timeout_s: float | None, max_rows: int, params: dict[str, Any] | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and at most ``max_rows + 1`` rows of one read-only SELECT.

        Raises:
            QueryTimeout: the query ran past ``timeout_s``.
            QueryError: the engine rejected it (one line).
        """
        with self._lock:
            return self._run(sql, timeout_s, max_rows, params)

    def _run(
        self, sql: str, timeout_s: float | None, max_rows: int, params: dict[str, Any] | None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        raise NotImplementedError

    def close(self) -> None:
        """Close the connection (the engine opens it again on the next query)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.redacted})"
