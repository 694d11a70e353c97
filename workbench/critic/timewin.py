"""The time a question states, as acceptable ``(start, end)`` windows, and the check of a spec against it.

Read from general English: relative windows ("last 6 hours", "past week", "over the last day"),
calendar days in UTC ("yesterday", "today", "on nov 18", "from nov 10 to nov 12", "since monday"),
"right now" and no time at all (the conventions' windows). A time phrase the reader does not
understand ("this morning", "3 hours ago", "before the deploy") disables the check: the critic
only says what it is sure of.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from workbench.core.findings import Finding, warning
from workbench.critic.text import NUMBER_WORDS, human_seconds, unit_seconds

DAY = 86400
_NUM = r"(?:\d+(?:\.\d+)?|" + "|".join(NUMBER_WORDS) + r")"
_UNIT = r"(?:min(?:ute)?s?|m|h|hrs?|hours?|days?|d|weeks?|wks?|w|seconds?|secs?)"
_REL = re.compile(
    rf"\b(?:last|past|previous|prior|recent|trailing)\s+(?:(?P<n>{_NUM})\s*)?(?P<u>{_UNIT})\b"
    rf"|\b(?P<n2>\d+)(?P<u2>m|h|d|w)\b(?!\s*(?:ms|xx))"
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = (
    r"(?P<{}>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?P<{}>\d{{1,2}})(?:st|nd|rd|th)?\b"
)
_DATE = re.compile(r"\b" + _MONTH.format("m", "d"))
_RANGE = re.compile(
    r"\b(?:from|between)\s+" + _MONTH.format("m1", "d1") + r"\s+(?:to|and|until|through|-)\s+"
    r"(?:" + _MONTH.format("m2", "d2") + r"|(?P<d3>\d{1,2})(?:st|nd|rd|th)?\b)"
)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SINCE = re.compile(
    r"\bsince\s+(?:(?P<w>" + "|".join(_WEEKDAYS) + r"|yesterday)\b|" + _MONTH.format("sm", "sd") + ")"
)
_ON_WEEKDAY = re.compile(r"\bon\s+(?P<w>" + "|".join(_WEEKDAYS) + r")\b")
_NOW = re.compile(r"\b(?:right now|currently|at the moment|at present|just now)\b")
#: time words this reader does not turn into a window: when present, the time is not checked
_UNKNOWN = re.compile(
    r"\b(?:ago|morning|afternoon|evening|night|tonight|noon|midnight|\d{1,2}\s*(?:am|pm)|\d{1,2}:\d{2}|"
    r"weekend|since|until|before|after|during|between|earlier|recently|latest|"
    r"month|months|quarter|year|hour of|deploy|incident|outage|window|period|so far)\b"
)


@dataclass(frozen=True)
class TimeConstraint:
    """What the question says about time: acceptable windows, in words, and how to write the fix."""

    phrase: str
    windows: tuple[tuple[int, int], ...]
    suggestion: str
    relative: bool


def _midnight(now: int) -> int:
    return now - now % DAY


def _day_of(month: str, day: str, now: int) -> int | None:
    today = datetime.fromtimestamp(now, UTC)
    try:
        d = datetime(today.year, _MONTHS.index(month[:3]) + 1, int(day), tzinfo=UTC)
    except ValueError:
        return None
    if d > today:
        d = d.replace(year=d.year - 1)
    return int(d.timestamp())


def _weekday(name: str, now: int) -> int:
    today = datetime.fromtimestamp(_midnight(now), UTC)
    back = (today.weekday() - _WEEKDAYS.index(name)) % 7
    return int((today - timedelta(days=back)).timestamp())


def _abs(start: int, end: int, phrase: str) -> TimeConstraint:
    return TimeConstraint(phrase, ((start, end),), f"start_time: {start}, end_time: {end}", False)


def _relative(seconds: int, now: int, phrase: str) -> TimeConstraint:
    return TimeConstraint(phrase, ((now - seconds, now),), f"time_range: {seconds}", True)


def read_time(question: str, now: int, conventions: Any) -> TimeConstraint | None:
    """The time constraint the question states (or the conventions' default); None when unsure."""
    q = question.lower()
    found: list[TimeConstraint] = []
    rest = q
    for m in _REL.finditer(q):
        n_text, unit = (m["n"], m["u"]) if m["u"] else (m["n2"], m["u2"])
        size = unit_seconds(unit)
        if size is None or (m["u2"] and size < 60):
            continue
        n = float(NUMBER_WORDS.get(n_text, 0) or n_text) if n_text else 1.0
        c = _relative(int(n * size), now, m.group(0))
        if not n_text and size == 7 * DAY and re.search(r"\blast week\b", m.group(0)):
            monday = _weekday("monday", now)  # "last week" is also the calendar week before this one
            c = TimeConstraint(c.phrase, (*c.windows, (monday - 7 * DAY, monday)), c.suggestion, True)
        found.append(c)
        rest = rest.replace(m.group(0), " ")
    midnight = _midnight(now)
    for word, start in (("yesterday", midnight - DAY), ("today", midnight)):
        if re.search(rf"\b{word}\b", rest) and not re.search(rf"since\s+{word}", rest):
            c = _abs(start, start + DAY, word)
            if word == "today":
                c = TimeConstraint(word, ((start, start + DAY), (start, now)), c.suggestion, False)
            found.append(c)
    if m := _SINCE.search(rest):
        start = (
            midnight - DAY
            if m["w"] == "yesterday"
            else _weekday(m["w"], now)
            if m["w"]
            else _day_of(m["sm"], m["sd"], now) or midnight
        )
        found.append(TimeConstraint(m.group(0), ((start, now), (start, midnight + DAY)),
                                    f"start_time: {start}, end_time: {now}", False))  # fmt: skip
        rest = rest.replace(m.group(0), " ")
    if m := _RANGE.search(rest):
        first = _day_of(m["m1"], m["d1"], now)
        last = _day_of(m["m2"] or m["m1"], m["d2"] or m["d3"], now)
        if first is not None and last is not None and last >= first:
            found.append(_abs(first, last + DAY, m.group(0)))
        rest = rest.replace(m.group(0), " ")
    for m in _DATE.finditer(rest):
        if (day := _day_of(m["m"], m["d"], now)) is not None:
            found.append(_abs(day, day + DAY, m.group(0)))
        rest = rest.replace(m.group(0), " ")
    if m := _ON_WEEKDAY.search(rest):
        day = _weekday(m["w"], now)
        found.append(_abs(day, day + DAY, m.group(0)))
        rest = rest.replace(m.group(0), " ")
    if re.search(r"\bthis week\b", rest):
        monday = _weekday("monday", now)
        found.append(TimeConstraint("this week", ((now - 7 * DAY, now), (monday, now), (monday, midnight + DAY)),
                                    f"time_range: {7 * DAY}", True))  # fmt: skip
        rest = rest.replace("this week", " ")
    if _NOW.search(rest) and getattr(conventions, "now_time_range", None):
        found.append(_relative(conventions.now_time_range, now, "right now"))
        rest = _NOW.sub(" ", rest)
    if _UNKNOWN.search(rest) or len(found) > 1:
        return None
    if found:
        return found[0]
    default = getattr(conventions, "default_time_range", None)
    return _relative(default, now, "no time given") if default else None


def _close(a: tuple[int, int], b: tuple[int, int], relative: bool) -> bool:
    length = max(1, b[1] - b[0])
    tol = max(60, int(0.01 * length)) if relative else 60
    return abs(a[0] - b[0]) <= tol and abs(a[1] - b[1]) <= tol


def describe_window(window: tuple[int, int], now: int) -> str:
    start, end = window
    if abs(end - now) <= 60:
        return f"the last {human_seconds(end - start)}"
    fmt = "%b %d %H:%M"
    a, b = (datetime.fromtimestamp(t, UTC) for t in window)
    if start % DAY == 0 and end % DAY == 0:
        last = b - timedelta(days=1)
        days = a.strftime("%b %d") if last == a else f"{a.strftime('%b %d')} to {last.strftime('%b %d')}"
        return f"{days} (UTC)"
    return f"{a.strftime(fmt)} to {b.strftime(fmt)} UTC"


def check_time(question: str, spec: Any, schema: Any, conventions: Any) -> list[Finding]:
    """A warning when the spec's window is not the one the question states (or the team's default)."""
    now = getattr(schema, "now_epoch", None)
    if now is None:
        return []
    tc = read_time(question, now, conventions)
    if tc is None:
        return []
    window = spec.time_window(now)
    if any(_close(window, w, tc.relative) for w in tc.windows):
        return []
    wanted = describe_window(tc.windows[0], now)
    path = "time_range" if spec.start_time is None and spec.end_time is None else "start_time"
    said = (
        "names no time, which by the team's convention means"
        if tc.phrase == "no time given"
        else (f"says {tc.phrase!r}:")
    )
    return [warning(
        "critic_time",
        f"the question {said} {wanted}, but the query covers {describe_window(window, now)}",
        path=path,
        suggestion=tc.suggestion,
    )]  # fmt: skip
