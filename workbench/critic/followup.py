"""The critic on follow-ups: a follow-up keeps the constraints of the current query it does not change.

``critique_followup(question, current, spec, ...)`` judges a follow-up's answer on what the
follow-up changed: the critic's question rules run as usual, but a finding about a part of the
spec that the current query already had unchanged (the follow-up inherited it; "only android"
says nothing about time) is left out. And a filter or time window of the current query that the
new spec dropped, where the follow-up never mentioned it, is a warning (``critic_dropped_context``)
with the suggestion to restore it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from workbench.core.findings import Finding, warning
from workbench.critic.critic import critique
from workbench.critic.text import name_tokens, singular, words
from workbench.spec.query import parse_spec
from workbench.spec.readback import filter_text as _filter
from workbench.spec.readback import time_text as _time

__all__ = ["critique_followup", "dropped_context", "followup_check"]

#: words that say a follow-up widens or changes the time window / the filters on purpose
_TIME_WORDS = re.compile(
    r"\b(?:time|window|range|period|today|yesterday|tonight|now|ago|since|until|before|after|"
    r"last|past|previous|this|hours?|hourly|days?|daily|weeks?|weekly|months?|minutes?|mins?|"
    r"mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\b"
)
_WIDEN = re.compile(
    r"\b(?:all|any|every|everything|everyone|overall|whole|entire|total|regardless|no longer|"
    r"not (?:just|only)|drop|remove|without the|clear|reset|start over)\b"
)


def _part(path: str) -> str:
    head = re.split(r"[\[.]", path, maxsplit=1)[0]
    return "time" if head in ("time_range", "start_time", "end_time", "time") else head


def _same_part(part: str, a: Any, b: Any) -> bool:
    if part == "time":
        return (a.time_range, a.start_time, a.end_time) == (b.time_range, b.start_time, b.end_time)
    if part in ("calculations", "filters", "breakdowns", "orders", "havings", "limit", "granularity"):
        return getattr(a, part) == getattr(b, part)
    return False


def _mentioned(question_words: set[str], f: Any) -> bool:
    values = f.value if isinstance(f.value, list | tuple) else [f.value]
    said = {str(v).lower() for v in values if v is not None}
    names = {singular(t) for t in name_tokens(f.column)}
    return bool(said & question_words) or bool(names & {singular(w) for w in question_words})


def dropped_context(question: str, current: Any, spec: Any, now: int | None = None) -> list[Finding]:
    """Warnings for filters / the time window of ``current`` that ``spec`` dropped and ``question`` never mentioned."""
    cur, new = parse_spec(current), parse_spec(spec)
    text = question.lower()
    if _WIDEN.search(text):
        return []
    said = set(words(text))
    out: list[Finding] = []
    kept = {_filter(f) for f in new.filters}
    replaced = {f.column for f in new.filters}  # "for ios instead": a filter on the column is still there
    for f in cur.filters:
        if _filter(f) in kept or f.column in replaced or _mentioned(said, f):
            continue
        out.append(
            warning(
                "critic_dropped_context",
                f"the follow-up does not mention {_filter(f)}, but the new query dropped that filter "
                "of the current query",
                path="filters",
                suggestion=f"filters[+]: {_filter(f)}",
            )
        )
    changed = (cur.time_range, cur.start_time, cur.end_time) != (new.time_range, new.start_time, new.end_time)
    if changed and not _TIME_WORDS.search(text):
        was = _time(cur, now)
        out.append(
            warning(
                "critic_dropped_context",
                f"the follow-up does not mention time, but the new query changed the window "
                f"of the current query ({was} -> {_time(new, now)})",
                path="time_range",
                suggestion=f"keep the window: {was}",
            )
        )
    return out


def critique_followup(
    question: str,
    current: Any,
    spec: Any,
    schema: Any,
    conventions: Any = None,
    result: Any = None,
) -> tuple[Finding, ...]:
    """``critique`` for a follow-up: inherited parts are not judged again; dropped context is a warning."""
    try:
        cur, new = parse_spec(current), parse_spec(spec)
    except Exception:  # an unreadable spec draws nothing: validation already said why
        return critique(question, spec, schema, conventions, result)
    base = critique(question, new, schema, conventions, result)
    kept = [f for f in base if not _same_part(_part(f.path), cur, new)]
    if _WIDEN.search(question.lower()):  # "not just android" lifts a filter: it asks for no negation
        kept = [f for f in kept if f.code != "critic_negation"]
    now = getattr(schema, "now_epoch", None)
    return (*kept, *dropped_context(question, cur, new, now))


def followup_check(current: Any, conventions: Any = None) -> Callable[[str, Any, Any], tuple[Finding, ...]]:
    """The follow-up critic as a judge check (``pipeline.judge.Check``), bound to the current query."""

    def check(question: str, spec: Any, schema: Any) -> tuple[Finding, ...]:
        return critique_followup(question, current, spec, schema, conventions)

    return check
