"""Generation speed, file size and peak memory of the embedded telemetry dataset.

Run: ``python benchmarks/bench_dataset.py`` (1,000,000 rows; add ``--big`` for 10,000,000 too,
or ``--rows N`` for other sizes). Each size is generated in a fresh child process, so the
peak resident memory reported is that run's alone (DuckDB's memory included).

Printed per size: wall seconds, CPU seconds (all threads; on a shared machine CPU/2 is the
best wall time two idle cores could reach), rows per second, seconds per phase (traces,
spans, metadata, checkpoint), file size, peak RSS; then the time to open the dataset and
build its schema, and one typical query (P99 latency by route for Android users on one day).
Targets: 1M rows in under 30 s on 2 cores; 10M rows within the default 2 GB DuckDB limit.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = """
import json, resource, sys, time
from workbench.dataset.generate.build import generate
timings = {}
c0, t0 = time.process_time(), time.perf_counter()
generate(sys.argv[1], rows=int(sys.argv[2]), seed=42, timings=timings)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0, "phases": timings, "peak_rss_mb": peak}))
"""
QUERY = """
SELECT "http.route", quantile_cont(duration_ms, 0.99) AS p99, count(*) AS n FROM events
WHERE "app.platform" = 'android' AND "timestamp" >= TIMESTAMP '2026-11-19' AND "timestamp" < TIMESTAMP '2026-11-20'
  AND "http.route" IS NOT NULL
GROUP BY 1 ORDER BY p99 DESC LIMIT 5
"""


def run(rows: int, folder: Path) -> dict:
    path = folder / f"telemetry-{rows}.duckdb"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(rows)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result.update(rows=rows, bytes=path.stat().st_size, path=path)
    return result


def open_and_query(path: Path) -> tuple[float, float, list]:
    from workbench.dataset.source import open_dataset

    t0 = time.perf_counter()
    ds = open_dataset(path)
    schema = ds.schema()
    opened = time.perf_counter() - t0
    assert len(schema) >= 400
    with ds.connect() as con:
        con.execute(QUERY).fetchall()  # warm
        t1 = time.perf_counter()
        top = con.execute(QUERY).fetchall()
        queried = time.perf_counter() - t1
    return opened, queried, top


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="also generate 10,000,000 rows")
    parser.add_argument("--rows", type=int, action="append", help="row counts to generate (repeatable)")
    parser.add_argument("--keep", type=Path, default=None, help="write the files here and keep them")
    args = parser.parse_args()
    sizes = args.rows or ([1_000_000, 10_000_000] if args.big else [1_000_000])
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="bench-dataset-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for rows in sizes:
            r = run(rows, folder)
            phases = ", ".join(f"{k} {v:.1f}s" for k, v in r["phases"].items())
            print(
                f"{rows:>11,} rows: {r['wall']:6.1f} s wall, {r['cpu']:6.1f} s CPU, "
                f"{rows / r['wall']:>9,.0f} rows/s, {r['bytes'] / 1e6:7.1f} MB, peak RSS {r['peak_rss_mb']:,.0f} MB"
            )
            print(f"{'':>17}phases: {phases}")
            opened, queried, top = open_and_query(r["path"])
            print(
                f"{'':>17}open + schema {opened * 1000:.0f} ms; android P99 by route yesterday {queried * 1000:.0f} ms"
            )
            print(f"{'':>17}slowest: " + ", ".join(f"{route} {p99:.0f} ms" for route, p99, _ in top[:3]))
            print(f"{'':>17}load average now: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
