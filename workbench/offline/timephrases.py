"""Time phrases of a question, resolved against the prompt's clock line.

``find_time(tokens, now)`` returns every time phrase with the token span it
covers and its scored readings (``time_range`` seconds, or ``start_time`` /
``end_time`` epoch seconds of whole UTC days). Phrases that people read in
more than one way ("this week": the calendar week or the last 7 days; "last
week": the last 7 days or the previous calendar week) keep every reading,
best first, so the model can be wrong the way people and models are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from workbench.offline.days import (
    DAY,
    MONTHS,
    WEEK,
    WEEKDAYS,
    Fields,
    date_at,
    day_epoch,
    midnight,
    span,
    weekday_start,
)
from workbench.offline.text import TIME_UNITS, Tok
from workbench.offline.vocabulary import words

_RANGE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?-(\d{1,2})(?:st|nd|rd|th)?$")
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?(am|pm)?$")
_LEAD = words("timephrases.lead")


@dataclass
class TimeFind:
    """A time phrase: tokens ``[start, end)``, a key naming its kind, and its readings best first."""

    start: int
    end: int
    key: str
    options: list[tuple[str, Fields, float]]
    also: tuple[int, int] | None = None  # a second span the phrase covers ("yesterday ... 2pm to 4pm")


def _count_before_unit(toks: list[Tok], j: int) -> tuple[float, int] | None:
    """``N unit`` / ``Nunit`` / ``unit`` / ``a unit`` / ``couple of units`` at ``j``: (seconds, tokens)."""
    if j >= len(toks):
        return None
    t = toks[j]
    if t.kind == "num" and t.unit in TIME_UNITS and t.unit != "word":
        return (t.num or 0) * TIME_UNITS[t.unit], 1
    if t.kind == "num" and j + 1 < len(toks) and toks[j + 1].low in TIME_UNITS:
        return (t.num or 0) * TIME_UNITS[toks[j + 1].low], 2
    if t.low in ("a", "an", "one") and j + 1 < len(toks) and toks[j + 1].low in TIME_UNITS:
        return TIME_UNITS[toks[j + 1].low], 2
    if t.low in ("couple", "few", "several") and j + 1 < len(toks):
        k = j + 2 if toks[j + 1].low == "of" else j + 1
        if k < len(toks) and toks[k].low in TIME_UNITS:
            n = {"couple": 2, "few": 3, "several": 3}[t.low]
            return n * TIME_UNITS[toks[k].low], k - j + 1
    if t.low in TIME_UNITS and t.low not in ("m", "s", "d", "h", "w"):
        return TIME_UNITS[t.low], 1
    return None


def _clock(tok: Tok) -> int | None:
    """Seconds after midnight for ``3pm``, ``15:00``, ``9am``."""
    m = _CLOCK.match(tok.low)
    if not m or (m[3] is None and m[2] is None):
        return None
    hour, minute = int(m[1]), int(m[2] or 0)
    if m[3] == "pm" and hour < 12:
        hour += 12
    if m[3] == "am" and hour == 12:
        hour = 0
    return hour * 3600 + minute * 60 if hour < 24 and minute < 60 else None


def _match(toks: list[Tok], i: int, now: int, windows: tuple[int, int]) -> TimeFind | None:
    """The time phrase starting at token ``i``, if any (each kind of phrase is read by its own helper)."""
    return (
        _match_last(toks, i, now)
        or _match_days(toks, i, now)
        or _match_windows(toks, i, windows)
        or _match_dates(toks, i, now)
    )


def _match_last(toks: list[Tok], i: int, now: int) -> TimeFind | None:
    """``last 3 hours``, ``last week``, ``last monday``, ``last night``, ``last weekend``."""
    low = toks[i].low
    nxt = toks[i + 1].low if i + 1 < len(toks) else ""
    today = midnight(now)
    if low in ("last", "past", "previous", "recent", "trailing", "prior"):
        got = _count_before_unit(toks, i + 1)
        if got:
            seconds, used = got
            end = i + 1 + used
            unit_word = toks[end - 1].low
            seconds = int(seconds)
            if unit_word in ("week", "wk") and used == 1 and low in ("last", "previous", "prior"):
                monday = weekday_start(now, 0, strictly_before_today=False)
                prev = span(monday - WEEK, monday)
                if low == "last":
                    return TimeFind(
                        i,
                        end,
                        "last week",
                        [("rolling", {"time_range": WEEK}, 0.0), ("calendar", prev, -0.8)],
                    )
                return TimeFind(
                    i,
                    end,
                    "previous week",
                    [("calendar", prev, 0.0), ("rolling", {"time_range": WEEK}, -0.5)],
                )
            return TimeFind(i, end, "last N", [("range", {"time_range": seconds}, 0.0)])
        if nxt in WEEKDAYS:
            start = weekday_start(now, WEEKDAYS[nxt], strictly_before_today=True)
            return TimeFind(i, i + 2, "weekday", [("day", span(start, start + DAY), 0.0)])
        if nxt in ("night",):
            return TimeFind(
                i, i + 2, "last night", [("night", span(today - 6 * 3600, today + 6 * 3600), 0.0)]
            )
        if nxt == "weekend":
            sat = weekday_start(now, 5, strictly_before_today=True)
            return TimeFind(i, i + 2, "weekend", [("weekend", span(sat, sat + 2 * DAY), 0.0)])
    return None


def _match_days(toks: list[Tok], i: int, now: int) -> TimeFind | None:
    """``today``, ``yesterday``, ``this week/month/morning/hour``, ``the weekend``."""
    low = toks[i].low
    nxt = toks[i + 1].low if i + 1 < len(toks) else ""
    today = midnight(now)
    if low == "today" or (low == "so" and nxt == "far" and i + 2 < len(toks) and toks[i + 2].low == "today"):
        end = i + 1 if low == "today" else i + 3
        return TimeFind(
            i, end, "today", [("day", span(today, today + DAY), 0.0), ("to now", span(today, now), -0.6)]
        )
    if low == "yesterday":
        return TimeFind(i, i + 1, "yesterday", [("day", span(today - DAY, today), 0.0)])
    if low == "day" and nxt == "before" and i + 2 < len(toks) and toks[i + 2].low == "yesterday":
        return TimeFind(i, i + 3, "day before yesterday", [("day", span(today - 2 * DAY, today - DAY), 0.0)])
    if low == "this" and nxt in ("week", "month", "morning", "hour", "weekend", "afternoon"):
        if nxt == "week":
            monday = weekday_start(now, 0, strictly_before_today=False)
            return TimeFind(
                i, i + 2, "this week",
                [("calendar", span(monday, now), 0.0), ("rolling", {"time_range": WEEK}, -0.4)],
            )  # fmt: skip
        if nxt == "month":
            d = datetime.fromtimestamp(now, UTC)
            first = day_epoch(d.year, d.month, 1) or today
            return TimeFind(
                i,
                i + 2,
                "this month",
                [("calendar", span(first, now), 0.0), ("rolling", {"time_range": 30 * DAY}, -0.6)],
            )
        if nxt == "morning":
            return TimeFind(
                i, i + 2, "this morning", [("morning", span(today, min(now, today + DAY // 2)), 0.0)]
            )
        if nxt == "afternoon":
            return TimeFind(
                i, i + 2, "this afternoon", [("afternoon", span(today + DAY // 2, today + 18 * 3600), 0.0)]
            )
        if nxt == "hour":
            return TimeFind(
                i,
                i + 2,
                "this hour",
                [("hour", span(now - now % 3600, now), 0.0), ("range", {"time_range": 3600}, -0.4)],
            )
        sat = weekday_start(now, 5, strictly_before_today=False)
        return TimeFind(i, i + 2, "weekend", [("weekend", span(sat, sat + 2 * DAY), 0.0)])
    if low in ("weekend",) and i > 0 and toks[i - 1].low in ("the", "over"):
        sat = weekday_start(now, 5, strictly_before_today=True)
        return TimeFind(i, i + 1, "weekend", [("weekend", span(sat, sat + 2 * DAY), 0.0)])
    return None


def _match_windows(toks: list[Tok], i: int, windows: tuple[int, int]) -> TimeFind | None:
    """``right now``, ``currently``, ``recently``, ``all time``: the prompt's windows."""
    low = toks[i].low
    nxt = toks[i + 1].low if i + 1 < len(toks) else ""
    if (low == "right" and nxt == "now") or (
        low == "at" and nxt == "the" and i + 2 < len(toks) and toks[i + 2].low == "moment"
    ):
        return TimeFind(
            i, i + (2 if low == "right" else 3), "right now", [("range", {"time_range": windows[0]}, 0.0)]
        )
    if low in ("currently", "now"):
        return TimeFind(i, i + 1, "right now", [("range", {"time_range": windows[0]}, 0.0)])
    if low in ("recently", "lately"):
        return TimeFind(
            i,
            i + 1,
            "recently",
            [("range", {"time_range": windows[0]}, 0.0), ("day", {"time_range": DAY}, -0.6)],
        )
    if (
        (low == "all" and nxt == "time")
        or low == "ever"
        or (low in ("whole", "entire") and nxt in ("dataset", "period", "window", "time", "range"))
    ):
        return TimeFind(
            i, i + (1 if low == "ever" else 2), "all time", [("range", {"time_range": windows[1]}, 0.0)]
        )
    return None


def _match_dates(toks: list[Tok], i: int, now: int) -> TimeFind | None:
    """``since ...``, ``from ... to ...``, ``3 days ago``, weekdays, dates and date ranges."""
    low = toks[i].low
    today = midnight(now)
    if low == "since":
        return _since(toks, i, now)
    if low in ("from", "between"):
        found = _date_range(toks, i, now)
        if found:
            return found
    if toks[i].kind == "num" and i + 2 < len(toks) and toks[i + 2].low == "ago":
        got = _count_before_unit(toks, i)
        if got and got[1] == 2:
            seconds = int(got[0])
            if toks[i + 1].low in ("day", "days") and seconds >= DAY:
                start = today - seconds
                return TimeFind(
                    i,
                    i + 3,
                    "N days ago",
                    [("day", span(start, start + DAY), 0.0), ("range", {"time_range": seconds}, -0.6)],
                )
            return TimeFind(i, i + 3, "N ago", [("range", {"time_range": seconds}, 0.0)])
    if low in WEEKDAYS and len(low) > 3 and (i == 0 or toks[i - 1].low in ("on", "for", "of", ",")):
        start = weekday_start(now, WEEKDAYS[low], strictly_before_today=True)
        return TimeFind(i, i + 1, "weekday", [("day", span(start, start + DAY), 0.0)])
    date = date_at(toks, i, now)
    if date:
        day, used = date
        j = i + used
        if j + 1 < len(toks) and toks[j].low in ("to", "through", "until", "till", "-", "and"):
            second = date_at(toks, j + 1, now) or _bare_day(toks, j + 1, day)
            if second:
                return _range_find(i, j + 1 + second[1], day, second[0])
        return TimeFind(i, j, "date", [("day", span(day, day + DAY), 0.0)])
    if low in MONTHS and i + 1 < len(toks) and (m := _RANGE.match(toks[i + 1].low)):
        year = datetime.fromtimestamp(now, UTC).year
        a, b = day_epoch(year, MONTHS[low], int(m[1])), day_epoch(year, MONTHS[low], int(m[2]))
        if a is not None and b is not None:
            return _range_find(i, i + 2, a, b)
    return None


def _bare_day(toks: list[Tok], j: int, first: int) -> tuple[int, int] | None:
    """``nov 10 to 12``: a day number in the first date's month."""
    if j < len(toks) and toks[j].kind == "num" and toks[j].num and 1 <= toks[j].num <= 31:
        d = datetime.fromtimestamp(first, UTC)
        e = day_epoch(d.year, d.month, int(toks[j].num))
        return (e, 1) if e is not None else None
    return None


def _range_find(i: int, end: int, first: int, last: int) -> TimeFind:
    inclusive = span(first, last + DAY)
    return TimeFind(
        i, end, "date range", [("inclusive", inclusive, 0.0), ("exclusive", span(first, last), -0.8)]
    )


def _date_range(toks: list[Tok], i: int, now: int) -> TimeFind | None:
    date = date_at(toks, i + 1, now)
    if not date:
        return None
    j = i + 1 + date[1]
    if j + 1 < len(toks) and toks[j].low in ("to", "through", "until", "till", "and", "-"):
        second = date_at(toks, j + 1, now) or _bare_day(toks, j + 1, date[0])
        if second:
            return _range_find(i, j + 1 + second[1], date[0], second[0])
    return None


def _since(toks: list[Tok], i: int, now: int) -> TimeFind | None:
    if i + 1 >= len(toks):
        return None
    nxt = toks[i + 1]
    today = midnight(now)
    start: int | None = None
    used = 1
    if nxt.low == "yesterday":
        start = today - DAY
    elif nxt.low in ("today", "midnight", "this"):
        start = today
        used = 2 if nxt.low == "this" and i + 2 < len(toks) and toks[i + 2].low == "morning" else 1
    elif nxt.low in WEEKDAYS:
        start = weekday_start(now, WEEKDAYS[nxt.low], strictly_before_today=False)
    elif (clock := _clock(nxt)) is not None:
        start = today + clock if today + clock <= now else today - DAY + clock
    elif date := date_at(toks, i + 1, now):
        start, used = date
    elif nxt.kind == "num" and i + 3 < len(toks) and toks[i + 3].low == "ago":
        got = _count_before_unit(toks, i + 1)
        if got:
            return TimeFind(i, i + 4, "since N ago", [("range", {"time_range": int(got[0])}, 0.0)])
    elif nxt.low in ("last", "past") and i + 2 < len(toks) and toks[i + 2].low in WEEKDAYS:
        start = weekday_start(now, WEEKDAYS[toks[i + 2].low], strictly_before_today=True)
        used = 2
    if start is None:
        return None
    return TimeFind(
        i,
        i + 1 + used,
        "since",
        [("to now", span(start, now), 0.0), ("range", {"time_range": now - start}, -0.3)],
    )


def _hours(toks: list[Tok], i: int) -> tuple[int, int, int] | None:
    """``between 2pm and 4pm`` / ``from 14:00 to 16:00``: (start seconds, end seconds, tokens)."""
    if toks[i].low not in ("between", "from") or i + 3 >= len(toks):
        return None
    a, b = _clock(toks[i + 1]), _clock(toks[i + 3])
    if a is None or b is None or toks[i + 2].low not in ("and", "to", "until", "till", "-"):
        return None
    return a, b, 4


def find_time(toks: list[Tok], now: int, right_now: int = 3600, all_time: int = 30 * DAY) -> list[TimeFind]:
    """Every time phrase of the question, left to right, non-overlapping.

    ``right_now`` and ``all_time`` are the windows "right now" and "all time" cover (the
    prompt's conventions, else the model's priors).
    """
    found: list[TimeFind] = []
    hours: tuple[int, int, int, int] | None = None
    i = 0
    while i < len(toks):
        h = _hours(toks, i)
        if h:
            hours = (i, *h)
            i += h[2]
            continue
        f = _match(toks, i, now, (right_now, all_time))
        if f:
            while f.start > 0 and toks[f.start - 1].low in _LEAD and f.key not in ("right now",):
                f.start -= 1
            found.append(f)
            i = f.end
        else:
            i += 1
    if hours:
        i0, a, b, used = hours
        day = midnight(now)
        also = None
        for f in found:  # "yesterday between 2pm and 4pm": the hours of that day
            _label, fields, _ = f.options[0]
            if "start_time" in fields and fields["end_time"] - fields["start_time"] == DAY:
                day = fields["start_time"]
                also = (f.start, f.end)
                found.remove(f)
                break
        start, end = day + a, day + b
        found.append(
            TimeFind(
                i0,
                i0 + used,
                "hours",
                [("hours", span(start, end if end > start else end + DAY), 0.0)],
                also,
            )
        )
    return found
