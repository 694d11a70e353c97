"""Generate the embedded telemetry dataset: span events of an online shop, in DuckDB SQL.

Everything is computed inside DuckDB from ``range()`` and ``hash()``: a row's
values are pure functions of ``(seed, trace number, span index)``, so the same
``(seed, rows, now)`` always gives the same table, whatever the thread count.
Python only writes the SQL (span tree shapes from ``trace_shapes.py``, the
long-tail column catalogue from ``tail_columns.py``).

How the data is shaped:

* Traces. Each trace is one request to an endpoint (``trace_shapes.ENDPOINTS``),
  drawn by weight; its span tree depends on the platform (web traces start at
  ``frontend``), cache hit or miss, and 401s at the auth check. Spans are
  written depth-first; root spans have ``trace.parent_id`` NULL.
* Time. Traces are laid out in order over the 14 days before ``now`` following
  a diurnal curve (peak 16:00 UTC, trough 04:00 UTC, weekends 20% lower), so
  the table is (nearly) sorted by ``timestamp`` and time filters skip row groups.
* Users. A skewed population (a few heavy users) with a stable platform,
  region, tier, device, experiment arms and feature flags per user.
* Latency. Every span's own time is log-normal (Box-Muller on hashed
  uniforms) with a median per span template, scaled per region; a span's
  ``duration_ms`` is the sum of its subtree's own times, and children start
  when the work before them has finished.
* Errors. At most one fault per trace, chosen by rules (401 token expired,
  404s, 409s, 429s, rare 5xx, and the incidents below). The faulty span gets
  the fault's status code and exception; its ancestors fail too (502/500 or
  the same 4xx), with ``exception.type = UpstreamServiceError`` and the like.
  ``error`` is true exactly on those spans; 4xx and 5xx are both errors.

Planted incidents (times for the default ``now`` = 2026-11-20T12:00:00Z; they
move with ``now``):

1. Bad mobile release: app version 5.3.0 reaches Android on 2026-11-17 09:00
   UTC (iOS on 2026-11-18 09:00, web all at once on 2026-11-17 09:00) and
   ramps up (6% of users, +14 points a day, max 65%). On Android 5.3.0 only,
   ``GET /api/products/{id}`` (the catalog span and its ``SELECT products``),
   ``search.rank`` and ``model.predict`` are 20x slower. For Android users on
   2026-11-19 ("yesterday") the slowest endpoints by P99 are ``/api/search``
   (~1.5 s vs ~150 ms on iOS/web) and ``/api/recommendations`` (~1.3 s vs
   ~120 ms), ahead of the always-slow ``/api/checkout`` (~0.6 s; incident 3 is on
   the day before, so that it does not hide this one); ``/api/products/{id}``
   goes from ~30 ms to ~400 ms P99 (median 9 ms -> 94 ms on 5.3.0). iOS and web
   5.3.0 are fine; ``app.catalog.include`` shows the new
   ``reviews,variants,bundles`` request.
2. Payment error burst: 2026-11-18 14:00-17:00 UTC, an EU flash sale sends
   eu-west-1 checkout and payment traffic up 8x and the payment provider
   times out: 70% of ``adyen`` and 25% of ``stripe``/``paypal`` payments in
   eu-west-1 fail. The provider client span ends with 504 and
   ``TimeoutError`` after ~10 s; ``payment``, ``checkout`` and the gateway
   return 502 (``UpstreamServiceError``). Routes ``/api/checkout`` and
   ``/api/payments``; other regions are unaffected.
3. Slow dependency: 2026-11-18 08:00-11:00 UTC, postgresql ``SELECT orders``
   spans are 12x slower in every region, and 3% hit the 5 s statement timeout
   (``QueryCanceledError``, HTTP 500 upstream). Routes ``/api/orders/{id}``,
   ``/api/checkout`` and ``/api/payments`` slow down with them.
4. Bad deploy: 2026-11-16 09:30-12:30 UTC the ``cart`` service runs
   ``service.version`` 2.14.0 (new pods, see ``k8s.pod.name``); half of the
   cart requests (``GET /api/cart``, ``POST``/``PUT /api/cart/items`` and
   checkout's ``cart.CartService/GetCart``) fail with HTTP 500
   ``java.lang.NullPointerException``; rolled back to 2.13.4 at 12:30.

The long tail (``tail_columns.py``) adds about 400 mostly sparse columns,
including deprecated ones last written on 2026-11-09..12 (more than 7 days
before ``now``) and two declared-but-never-written columns.
"""

from __future__ import annotations

import itertools
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from workbench.dataset.generate.shop import CORE_COLUMNS, INCIDENTS
from workbench.dataset.generate.spans import create_table_sql, descriptions, dims_sql, spans_sql
from workbench.dataset.generate.sql import setup_sql, shape_tables_sql, traces_sql

__all__ = [
    "CORE_COLUMNS",
    "DEFAULT_NOW",
    "DEFAULT_ROWS",
    "DEFAULT_SEED",
    "GENERATOR_VERSION",
    "INCIDENTS",
    "create_table_sql",
    "descriptions",
    "generate",
]

DEFAULT_ROWS = 500_000
DEFAULT_SEED = 42
DEFAULT_NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
#: Bump whenever the generated data changes for the same rows, seed and now: it is part of the
#: dataset identity (runs and artifacts compare datasets by it), and an embedded dataset written by
#: another version is regenerated. tests/test_generate.py holds a fingerprint per version.
#: 3: exact column metadata (distinct counts, values by count then value), the same on every DuckDB.
GENERATOR_VERSION = "4"
#: rows per INSERT statement: bounds memory for big datasets.
CHUNK_ROWS = 1_000_000


def _now_epoch(now: datetime | int | float) -> int:
    if isinstance(now, datetime):
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        return int(now.timestamp())
    return int(now)


def generate(
    path: str | Path,
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    now: datetime | int = DEFAULT_NOW,
    *,
    memory_limit: str = "2GB",
    threads: int | None = None,
    timings: dict[str, float] | None = None,
) -> Path:
    """Write the telemetry DuckDB file at ``path`` (table ``events`` + metadata); return the path.

    The file is built next to ``path`` under a temporary name and renamed when
    complete, so an interrupted run never leaves a half-written dataset.
    ``memory_limit`` bounds DuckDB's memory (spans are inserted in chunks of
    ``CHUNK_ROWS``, so 10M rows fit in 2 GB); ``timings``, when given, receives
    seconds per phase (traces, spans, metadata, checkpoint).
    """
    import duckdb

    from workbench.dataset.metadata import write_metadata

    if rows < 1:
        raise ValueError("rows must be >= 1")
    path = Path(path).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    now_s = _now_epoch(now)
    for p in (tmp, Path(f"{tmp}.wal")):
        p.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute("SET enable_progress_bar = false")
            con.execute(f"SET memory_limit = '{memory_limit}'")
            con.execute("SET preserve_insertion_order = true")
            if threads:
                con.execute(f"SET threads = {int(threads)}")
            con.execute(f"SET temp_directory = '{tmp.parent / (tmp.name + '.tmpdir')}'")
            clock = _Clock(timings)
            _fill(con, rows, seed, now_s, clock)
            write_metadata(
                con, "events", descriptions(), now_s,
                info={"now": datetime.fromtimestamp(now_s, UTC).isoformat().replace("+00:00", "Z"),
                      "seed": str(seed), "rows": str(rows), "generator_version": GENERATOR_VERSION,
                      "source": "generated"},
            )  # fmt: skip
            clock.lap("metadata")
            con.execute("CHECKPOINT")
            clock.lap("checkpoint")
        finally:
            con.close()
        os.replace(tmp, path)
    finally:
        for p in (tmp, Path(f"{tmp}.wal")):
            p.unlink(missing_ok=True)
        tmpdir = tmp.parent / (tmp.name + ".tmpdir")
        if tmpdir.exists():
            import shutil

            shutil.rmtree(tmpdir, ignore_errors=True)
    return path


class _Clock:
    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[name] = self.timings.get(name, 0.0) + now - self.last
        self.last = now


def _fill(con, rows: int, seed: int, now_s: int, clock: _Clock) -> None:
    for stmt in setup_sql(seed, rows, now_s) + shape_tables_sql() + dims_sql(seed, rows):
        con.execute(stmt)
    # Trace times depend on how many traces fit in ``rows`` (n_keep), and how many fit depends on
    # the time-dependent endpoint mix: iterate to the fixed point (2-3 rounds; the sale is short).
    n_keep = max(1, int(rows / 6.8))
    n_gen = int(n_keep * 1.25) + 200
    for _ in range(12):
        kept, covered = con.execute(traces_sql(seed, rows, now_s, n_keep, n_gen, count_only=True)).fetchone()
        if covered < rows:
            n_gen *= 2
            continue
        if kept == n_keep:
            break
        n_keep = kept
        n_gen = max(n_gen, int(n_keep * 1.25) + 200)
    con.execute(traces_sql(seed, rows, now_s, n_keep, n_gen))
    clock.lap("traces")
    con.execute(create_table_sql())
    bounds = con.execute(f"SELECT min(t) FROM traces GROUP BY off // {CHUNK_ROWS} ORDER BY 1").fetchall()
    starts = [b[0] for b in bounds] + [n_gen]
    for lo, hi in itertools.pairwise(starts):
        con.execute(spans_sql(seed, rows, now_s, lo, hi))
    con.execute("DROP TABLE traces")
    clock.lap("spans")
