"""A tiny hand-made events table and a stub dataset, for compiler and executor tests.

Independent of ``workbench.dataset.source``: a few hundred deterministic rows with the
core columns of DESIGN.md, NULLs in most columns, booleans, numbers, strings
with quotes, ``%`` and ``_``, and two columns whose names hold quotes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from workbench.schema.columns import ColumnInfo, Schema

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
NOW_EPOCH = int(NOW.timestamp())
ROWS = 360

#: (name, DuckDB type, schema type)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("timestamp", "TIMESTAMP", "timestamp"),
    ("trace.trace_id", "VARCHAR", "string"),
    ("trace.span_id", "VARCHAR", "string"),
    ("trace.parent_id", "VARCHAR", "string"),
    ("service.name", "VARCHAR", "string"),
    ("name", "VARCHAR", "string"),
    ("span.kind", "VARCHAR", "string"),
    ("duration_ms", "DOUBLE", "float"),
    ("http.request.method", "VARCHAR", "string"),
    ("http.route", "VARCHAR", "string"),
    ("http.response.status_code", "INTEGER", "integer"),
    ("error", "BOOLEAN", "boolean"),
    ("exception.type", "VARCHAR", "string"),
    ("app.platform", "VARCHAR", "string"),
    ("user.id", "VARCHAR", "string"),
    ("app.cart.item_count", "INTEGER", "integer"),
    ("app.order.total_usd", "DOUBLE", "float"),
    ("app.cache_hit", "BOOLEAN", "boolean"),
    ('weird "quoted" col', "VARCHAR", "string"),
    ("it's", "INTEGER", "integer"),
)
SERVICES = ("frontend", "api-gateway", "cart", "checkout", "payment")
ROUTES = ("/api/products", "/api/cart", "/api/checkout", "/api/100%_off", '/it\'s/"quoted"', None)
PLATFORMS = ("android", "ios", "web", None)
STATUS = (200, 201, 404, 500, 503, None)
TEXTS = ("plain", "it's", 'say "hi"', "50% off_now", "'; DELETE FROM events; --", None)


def _maybe(rng: random.Random, value, p_null: float = 0.15):
    return None if rng.random() < p_null else value


def make_rows(seed: int = 42) -> list[tuple]:
    rng = random.Random(seed)
    rows = []
    for i in range(ROWS):
        # a third of the rows in the last 2 hours (Honeycomb's default window), the rest over 2 days
        back = rng.uniform(0, 7200) if i % 3 == 0 else rng.uniform(0, 2 * 86400)
        ts = (NOW - timedelta(seconds=round(back, 3))).replace(tzinfo=None)
        error = _maybe(rng, rng.random() < 0.25, 0.05)
        service = rng.choice(SERVICES)
        checkout = service == "checkout"
        rows.append(
            (
                ts,
                f"{rng.getrandbits(64):016x}",
                f"{rng.getrandbits(32):08x}",
                None if rng.random() < 0.3 else f"{rng.getrandbits(32):08x}",
                service,
                rng.choice(("GET /api/products", "POST /api/checkout", "SELECT orders")),
                rng.choice(("server", "client", "internal")),
                round(rng.lognormvariate(3.5, 1.0), 3),
                _maybe(rng, rng.choice(("GET", "POST", "DELETE")), 0.2),
                rng.choice(ROUTES),
                rng.choice(STATUS),
                error,
                rng.choice(("TimeoutError", "ValueError")) if error else None,
                rng.choice(PLATFORMS),
                f"user-{rng.randrange(25):03d}",
                _maybe(rng, rng.randrange(0, 8), 0.3),
                round(rng.uniform(5, 500), 2) if checkout and rng.random() < 0.8 else None,
                _maybe(rng, rng.random() < 0.5, 0.2),
                rng.choice(TEXTS),
                _maybe(rng, rng.randrange(-5, 5), 0.25),
            )
        )
    return rows


def make_events_db(path: Path, rows: list[tuple] | None = None) -> Path:
    """Write the events table to a new DuckDB file."""
    rows = make_rows() if rows is None else rows
    conn = duckdb.connect(str(path))
    cols = ", ".join(f'"{name.replace(chr(34), chr(34) * 2)}" {dtype}' for name, dtype, _ in COLUMNS)
    conn.execute(f"CREATE TABLE events ({cols})")
    marks = ", ".join("?" for _ in COLUMNS)
    conn.executemany(f"INSERT INTO events VALUES ({marks})", rows)
    conn.close()
    return path


def make_schema(now: datetime = NOW) -> Schema:
    return Schema(
        columns=tuple(
            ColumnInfo(name=name, type=stype, last_written=now, distinct_count=10)  # type: ignore[arg-type]
            for name, _, stype in COLUMNS
        ),
        now=now,
        identity="test-fixture",
    )


@dataclass
class StubDataset:
    """The part of ``workbench.dataset.source.Dataset`` that compile and execute use."""

    path: Path
    now: datetime = NOW
    table: str = "events"
    connections: list[duckdb.DuckDBPyConnection] = field(default_factory=list)

    def connect(self) -> duckdb.DuckDBPyConnection:
        conn = duckdb.connect(str(self.path), read_only=True)
        self.connections.append(conn)
        return conn

    def schema(self) -> Schema:
        return make_schema(self.now)

    def close(self) -> None:
        for conn in self.connections:
            conn.close()
        self.connections.clear()
