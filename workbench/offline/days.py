"""Calendar days for time phrases: UTC midnights, weekdays, and dates written as ``nov 18``, ``11/18``, ``2026-11-18``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from workbench.offline.text import Tok
from workbench.offline.vocabulary import table

Fields = dict[str, int]

DAY = 86400
WEEK = 7 * DAY

MONTHS = table("timephrases.months")
WEEKDAYS = table("timephrases.weekdays")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_SLASH = re.compile(r"^(\d{1,2})/(\d{1,2})$")


def midnight(t: int) -> int:
    """The UTC midnight that starts the day of epoch ``t``."""
    return t - t % DAY


def span(start: int, end: int) -> Fields:
    """``start_time`` / ``end_time`` fields."""
    return {"start_time": int(start), "end_time": int(end)}


def day_epoch(year: int, month: int, day: int) -> int | None:
    """The epoch of a UTC date's midnight, or None for an impossible date."""
    try:
        return int(datetime(year, month, day, tzinfo=UTC).timestamp())
    except ValueError:
        return None


def date_at(toks: list[Tok], i: int, now: int) -> tuple[int, int] | None:
    """A calendar date starting at token ``i``: ``(day epoch, tokens used)``."""
    if i >= len(toks):
        return None
    year = datetime.fromtimestamp(now, UTC).year
    low = toks[i].low

    def fix(epoch: int | None) -> int | None:
        if epoch is not None and epoch > now:  # "nov 30" said on nov 20 means last year's
            moved = datetime.fromtimestamp(epoch, UTC)
            return day_epoch(moved.year - 1, moved.month, moved.day)
        return epoch

    if m := _ISO.match(low):
        e = day_epoch(int(m[1]), int(m[2]), int(m[3]))
        return (e, 1) if e is not None else None
    if m := _SLASH.match(low):
        e = fix(day_epoch(year, int(m[1]), int(m[2])))
        return (e, 1) if e is not None else None
    if low in MONTHS and i + 1 < len(toks) and toks[i + 1].kind == "num" and toks[i + 1].num:
        e = fix(day_epoch(year, MONTHS[low], int(toks[i + 1].num)))
        return (e, 2) if e is not None else None
    if toks[i].kind == "num" and toks[i].num and i + 1 < len(toks) and toks[i + 1].low in MONTHS:
        e = fix(day_epoch(year, MONTHS[toks[i + 1].low], int(toks[i].num)))
        return (e, 2) if e is not None else None
    if low == "the" and i + 1 < len(toks) and toks[i + 1].unit == "ordinal":
        today = datetime.fromtimestamp(now, UTC)
        e = fix(day_epoch(today.year, today.month, int(toks[i + 1].num or 0)))
        return (e, 2) if e is not None else None
    return None


def weekday_start(now: int, weekday: int, strictly_before_today: bool) -> int:
    """The midnight of the latest ``weekday`` (0 = Monday) at or before today."""
    today = midnight(now)
    current = datetime.fromtimestamp(now, UTC).weekday()
    back = (current - weekday) % 7
    if back == 0 and strictly_before_today:
        back = 7
    return today - back * DAY
