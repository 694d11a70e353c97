"""Time phrases resolve against the prompt's ``now`` (2026-11-20T12:00:00Z, a Friday)."""

from __future__ import annotations

import pytest

from workbench.offline.text import tokenize
from workbench.offline.timephrases import find_time

NOW = 1795176000
MID = NOW - NOW % 86400
DAY = 86400


def span(a: int, b: int) -> dict:
    return {"start_time": a, "end_time": b}


CASES = [
    ("in the last 15 minutes", {"time_range": 900}),
    ("last 6 hours", {"time_range": 21600}),
    ("past 24h", {"time_range": 86400}),
    ("over the last 3 days", {"time_range": 3 * DAY}),
    ("in the past hour", {"time_range": 3600}),
    ("past week", {"time_range": 7 * DAY}),
    ("last week", {"time_range": 7 * DAY}),
    ("previous week", span(MID - 4 * DAY - 7 * DAY, MID - 4 * DAY)),
    ("last couple of hours", {"time_range": 7200}),
    ("yesterday", span(MID - DAY, MID)),
    ("today", span(MID, MID + DAY)),
    ("the day before yesterday", span(MID - 2 * DAY, MID - DAY)),
    ("on nov 18", span(MID - 2 * DAY, MID - DAY)),
    ("November 18th", span(MID - 2 * DAY, MID - DAY)),
    ("18 nov", span(MID - 2 * DAY, MID - DAY)),
    ("on 2026-11-17", span(MID - 3 * DAY, MID - 2 * DAY)),
    ("from nov 10 to nov 12", span(MID - 10 * DAY, MID - 7 * DAY)),
    ("between nov 10 and nov 12", span(MID - 10 * DAY, MID - 7 * DAY)),
    ("nov 10-12", span(MID - 10 * DAY, MID - 7 * DAY)),
    ("right now", {"time_range": 3600}),
    ("currently", {"time_range": 3600}),
    ("this week", span(MID - 4 * DAY, NOW)),
    ("since monday", span(MID - 4 * DAY, NOW)),
    ("since yesterday", span(MID - DAY, NOW)),
    ("on tuesday", span(MID - 3 * DAY, MID - 2 * DAY)),
    ("last monday", span(MID - 4 * DAY, MID - 3 * DAY)),
    ("3 days ago", span(MID - 3 * DAY, MID - 2 * DAY)),
    ("over the weekend", span(MID - 6 * DAY, MID - 4 * DAY)),
    ("this morning", span(MID, MID + 12 * 3600)),
    ("yesterday between 2pm and 4pm", span(MID - DAY + 14 * 3600, MID - DAY + 16 * 3600)),
    ("on dec 25", span(MID - 330 * DAY, MID - 329 * DAY)),
]


@pytest.mark.parametrize(("phrase", "expected"), CASES, ids=[c[0] for c in CASES])
def test_phrase_resolves(phrase: str, expected: dict) -> None:
    found = find_time(tokenize(phrase), NOW)
    assert len(found) == 1, found
    assert found[0].options[0][1] == expected


@pytest.mark.parametrize(
    ("phrase", "labels"), [("this week", ["calendar", "rolling"]), ("last week", ["rolling", "calendar"])]
)
def test_ambiguous_phrases_keep_their_readings_best_first(phrase: str, labels: list[str]) -> None:
    (found,) = find_time(tokenize(phrase), NOW)
    assert [label for label, _, _ in found.options] == labels


@pytest.mark.parametrize(
    "text", ["p99 latency by service", "top 5 users", "version 5.3.0", "errors over 2 seconds"]
)
def test_no_time_phrase(text: str) -> None:
    assert find_time(tokenize(text), NOW) == []
