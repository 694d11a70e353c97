"""Time windows and time buckets: the part of a query that depends only on the clock.

- Time window: ``timestamp >= start AND timestamp < end`` from ``QuerySpec.time_window(now)`` (UTC
  literals); no time fields = the 2 hours before ``now``.
- Buckets: ``time_bucket`` is the start of the ``g``-second bucket holding a time, buckets aligned
  to the Unix epoch, spelled per dialect. ``auto_granularity`` is the bucket size of granularity 0
  (auto) and of RATE_* summaries without a granularity: a round step giving at most
  ``AUTO_BUCKETS`` buckets over the window.
"""

from __future__ import annotations

import math

from sqlglot import exp

from workbench.sql.constants import AUTO_BUCKETS, AUTO_STEPS
from workbench.sql.filters import timestamp

__all__ = ["auto_granularity", "time_bucket", "window_conditions"]


def auto_granularity(seconds: int) -> int:
    """The bucket size for ``granularity`` 0 (auto): a round step giving at most 200 buckets."""
    for step in AUTO_STEPS:
        if seconds / step <= AUTO_BUCKETS:
            return step
    return max(1, math.ceil(seconds / AUTO_BUCKETS))


def window_conditions(ts: exp.Expression, window: tuple[int, int], dialect: str) -> list[exp.Expression]:
    """``ts >= start`` and ``ts < end``: the events of the window ``(start, end)`` (epoch seconds, end excluded)."""
    start, end = window
    return [ts.copy() >= timestamp(start, dialect), ts.copy() < timestamp(end, dialect)]


def time_bucket(ts: exp.Expression, g: int, dialect: str) -> exp.Expression:
    """Start of the ``g``-second bucket holding ``ts``, buckets aligned to the Unix epoch."""
    interval = exp.Interval(this=exp.Literal.string(str(g)), unit=exp.var("SECOND"))
    if dialect in ("duckdb", "postgres"):
        origin = exp.cast(exp.Literal.string("1970-01-01 00:00:00"), "TIMESTAMP")
        return exp.DateBin(this=interval, expression=ts, unit=origin)
    if dialect == "clickhouse":
        return exp.Anonymous(this="toStartOfInterval", expressions=[ts, interval])
    if dialect == "bigquery":
        seconds = exp.Anonymous(this="UNIX_SECONDS", expressions=[ts])
        whole = exp.Anonymous(this="DIV", expressions=[seconds, exp.Literal.number(g)])
        start = exp.Mul(this=whole, expression=exp.Literal.number(g))
        return exp.Anonymous(this="TIMESTAMP_SECONDS", expressions=[start])
    seconds = exp.Div(this=exp.TimeToUnix(this=ts), expression=exp.Literal.number(g))
    return exp.UnixToTime(this=exp.Mul(this=exp.Floor(this=seconds), expression=exp.Literal.number(g)))
