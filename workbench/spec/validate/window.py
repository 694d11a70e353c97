"""Structural rules for the query's window and size: time fields, granularity, limit, comparison offset.

Sources and choices: ``shared/QUERY_SPEC_RULES.md`` sections 7, 8, 10 and 12
(granularity 0 = auto, T/1000 <= g <= T with floor division as the provider
does, a warning above T/10; limit 1..1000).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from workbench.core.findings import Finding, error, warning
from workbench.spec.query import COMPARE_OFFSETS, DEFAULT_TIME_RANGE, MAX_LIMIT, QuerySpec
from workbench.spec.validate.shape import int64
from workbench.spec.validate.structure import StructureRule

#: epoch seconds above this are almost surely milliseconds (year 5138).
_EPOCH_MS_THRESHOLD = 10**11
#: the last second SQL engines and Python can write as a timestamp (9999-12-31T23:59:59Z); a query
#: window must lie between the Unix epoch and this, or it cannot be compiled.
MAX_EPOCH = 253_402_300_799


def _int_field(raw: dict[str, Any], key: str) -> int | None:
    """An integer field's value when it is a valid time value (integer >= 1)."""
    value = int64(raw.get(key))
    return value if value is not None and value >= 1 else None


def effective_range(raw: dict[str, Any]) -> int | None:
    """T, the query's span in seconds: ``time_range``, else ``end - start``, else 7200."""
    tr = _int_field(raw, "time_range")
    if tr is not None:
        return tr
    st, et = _int_field(raw, "start_time"), _int_field(raw, "end_time")
    if st is not None and et is not None:
        return et - st if et > st else None
    return DEFAULT_TIME_RANGE


# --------------------------------------------------------------------------- time, granularity, limit


def check_time(raw: dict[str, Any]) -> Iterator[Finding]:
    """Never all three time fields; integers >= 1; start_time <= end_time."""
    present = [k for k in ("time_range", "start_time", "end_time") if raw.get(k) is not None]
    for key in present:
        value = int64(raw[key])
        if value is not None and value < 1:
            yield error(
                "time_out_of_range",
                f"{key} must be at least 1, got {value}",
                key,
                "use a positive number of seconds" if key == "time_range" else "use Unix epoch seconds",
            )
    if len(present) == 3:
        yield error(
            "time_overconstrained",
            "specify at most two of time_range, start_time and end_time",
            "time_range",
            "drop time_range: start_time and end_time already fix the window",
        )
    st, et = _int_field(raw, "start_time"), _int_field(raw, "end_time")
    if st is not None and et is not None:
        if st > et:
            yield error("time_reversed", f"start_time {st} is after end_time {et}", "start_time", "swap them")
        elif st == et:
            yield error(  # an error, not a warning: no SQL can be compiled for an empty window
                "time_empty",
                "start_time equals end_time: the window is empty",
                "end_time",
                "end later than start",
            )
    yield from _window_in_range(raw)
    for key, value in (("start_time", st), ("end_time", et)):
        if value is not None and value > _EPOCH_MS_THRESHOLD:
            yield warning(
                "time_in_milliseconds",
                f"{key} {value} looks like milliseconds",
                key,
                f"use seconds: {value // 1000}",
            )


def _window_in_range(raw: dict[str, Any]) -> Iterator[Finding]:
    """Every time value, and the window they make, between 1970 and the year 9999 (what compiles)."""
    keys = ("time_range", "start_time", "end_time")
    if any(raw.get(k) is not None and _int_field(raw, k) is None for k in keys):
        return  # a value below 1 (or not an integer) has its own finding
    tr, st, et = (_int_field(raw, k) for k in keys)
    for key, value in (("time_range", tr), ("start_time", st), ("end_time", et)):
        if value is not None and value > MAX_EPOCH:
            yield error(
                "time_out_of_range",
                f"{key} {value} is past the year 9999",
                key,
                "use seconds, not milliseconds" if value // 1000 <= MAX_EPOCH else "use Unix epoch seconds",
            )
            return
    yield from window_bounds(window_of(tr, st, et, None), "start_time" if st is not None else "end_time")


def window_of(tr: int | None, st: int | None, et: int | None, now: int | None) -> tuple[int, int] | None:
    """The query window as ``QuerySpec.time_window`` computes it; None when it needs an unknown ``now``."""
    if st is None and et is None and now is None:
        return None
    return QuerySpec(time_range=tr, start_time=st, end_time=et).time_window(now or 0)


def window_bounds(window: tuple[int, int] | None, path: str) -> Iterator[Finding]:
    """An error when the window starts before 1970 or ends after the year 9999."""
    if window is None:
        return
    start, end = window
    if start < 0 or end > MAX_EPOCH:
        yield error(
            "time_out_of_range",
            f"the query window {start} to {end} reaches {'before 1970' if start < 0 else 'past the year 9999'}",
            path,
            "use a shorter time_range or times in Unix epoch seconds",
        )


def check_granularity(raw: dict[str, Any]) -> Iterator[Finding]:
    """Granularity is 0 (auto) or T/1000 <= g <= T (floor division, as the provider does); warn above T/10."""
    g = int64(raw.get("granularity"))
    if g is None or g == 0:
        return
    if g < 0:
        yield error(
            "granularity_out_of_range",
            f"granularity must be 0 (auto) or positive, got {g}",
            "granularity",
            "use 0 for automatic buckets",
        )
        return
    t = effective_range(raw)
    if t is None:
        return
    if g > t:
        yield error(
            "granularity_out_of_range",
            f"granularity {g}s is longer than the {t}s time range",
            "granularity",
            f"use at most {t}; {max(t // 10, 1)} gives 10 buckets",
        )
    elif g < t // 1000:
        yield error(
            "granularity_out_of_range",
            f"granularity {g}s is below time range/1000 ({t // 1000}s): more than 1000 buckets",
            "granularity",
            f"use at least {t // 1000}, or 0 for auto",
        )
    elif g * 10 > t:
        yield warning(
            "granularity_coarse",
            f"granularity {g}s gives fewer than 10 buckets over {t}s",
            "granularity",
            f"Honeycomb's docs recommend at most time range/10 = {t // 10}",
        )


def check_limit(raw: dict[str, Any]) -> Iterator[Finding]:
    """``limit`` is an integer 1..1000."""
    limit = int64(raw.get("limit"))
    if limit is None:
        return
    if limit > MAX_LIMIT:
        yield error(
            "limit_out_of_range",
            f"limit {limit} is above Honeycomb's maximum of {MAX_LIMIT}",
            "limit",
            f"use {MAX_LIMIT} or less; orders choose which groups are kept",
        )
    elif limit < 1:
        yield error(
            "limit_out_of_range",
            f"limit must be between 1 and {MAX_LIMIT}, got {limit}",
            "limit",
            "use a positive limit, or leave it out",
        )


def check_compare_offset(raw: dict[str, Any]) -> Iterator[Finding]:
    """``compare_time_offset_seconds`` is one of the allowed offsets (or T) and at least T."""
    offset = int64(raw.get("compare_time_offset_seconds"))
    if offset is None:
        return
    t = effective_range(raw)
    allowed = sorted(set(COMPARE_OFFSETS) | ({t} if t else set()))
    if offset not in allowed:
        fits = [a for a in allowed if t is None or a >= t]
        yield error(
            "compare_offset_invalid",
            f"compare_time_offset_seconds {offset} is not an allowed offset",
            "compare_time_offset_seconds",
            f"use one of {', '.join(map(str, fits or allowed))}",
        )
    elif t is not None and offset < t:
        yield error(
            "compare_offset_too_small",
            f"compare_time_offset_seconds {offset} is shorter than the {t}s time range",
            "compare_time_offset_seconds",
            f"use an offset of at least {t}",
        )


WINDOW_RULES: tuple[StructureRule, ...] = (check_time, check_granularity, check_limit, check_compare_offset)
