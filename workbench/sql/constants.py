"""Constants the compiler and its passes share (a leaf: ``compiler`` and ``passes`` both import it)."""

from __future__ import annotations

from sqlglot import exp

__all__ = [
    "AUTO_BUCKETS",
    "AUTO_STEPS",
    "DEFAULT_LIMIT",
    "DIALECTS",
    "DURATION_COLUMN",
    "HEATMAP_BUCKETS",
    "RATE_AGGS",
    "SERIES_TIME",
    "TIMESTAMP_COLUMN",
]

DIALECTS: tuple[str, ...] = ("duckdb", "clickhouse", "bigquery", "postgres", "trino")
DEFAULT_LIMIT = 1000
HEATMAP_BUCKETS = 30
TIMESTAMP_COLUMN = "timestamp"
DURATION_COLUMN = "duration_ms"
SERIES_TIME = "time"
#: bucket sizes auto granularity picks from: the smallest giving at most AUTO_BUCKETS buckets.
AUTO_STEPS: tuple[int, ...] = (
    1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800,
)  # fmt: skip
AUTO_BUCKETS = 200
#: the aggregate a RATE_* calculation differentiates, per bucket
RATE_AGGS: dict[str, type[exp.Func]] = {"RATE_AVG": exp.Avg, "RATE_SUM": exp.Sum, "RATE_MAX": exp.Max}
