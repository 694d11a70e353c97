"""The offline model's decision: which reading to answer with, or which sentence to say instead.

``answer(view, rng)`` runs the guard (requests it cannot serve), reads the
schema block and learns from the examples (both cached per prompt text, so a
stable system prompt is read once), enumerates candidate readings, and picks
one: the best at temperature 0, else a sample from softmax(score / T) within
the ``top_p`` nucleus. On a repair turn (the conversation already holds an
answer to this question and feedback after it) it avoids the columns the
feedback names and the answer it gave before.
"""

from __future__ import annotations

import functools
import json
import math
import random
import re
import time
from dataclasses import dataclass
from typing import Any

from workbench.offline.fewshot import Example, adapt, learn, parse_examples, spec_columns
from workbench.offline.guard import decline_text, example_question, refusal_kind
from workbench.offline.instructions import NONE, Conventions, read_conventions
from workbench.offline.lexicon import Lexicon
from workbench.offline.request import PromptView
from workbench.offline.schema_text import read_columns
from workbench.offline.understand import Knowledge, Reading, readings


@dataclass(frozen=True)
class Answer:
    """The model's reply before formatting: a query spec, or a text (a decline or an explanation)."""

    spec: dict[str, Any] | None
    text: str | None = None
    candidates: int = 1


@functools.lru_cache(maxsize=32)
def lexicon(schema_text: str, system_text: str = "") -> Lexicon:
    """The columns the prompt lists (its ``## Columns`` section, else any common layout in ``system_text``)."""
    return Lexicon.build(read_columns(schema_text, system_text))


def view_lexicon(view: PromptView) -> Lexicon:
    return lexicon(view.schema_text or "", view.instructions)


@functools.lru_cache(maxsize=32)
def knowledge(
    lex: Lexicon, examples_text: str, now: int, conv: Conventions = NONE
) -> tuple[tuple[Example, ...], Knowledge]:
    """The examples and what they teach, read under the prompt's conventions."""
    examples = tuple(parse_examples(examples_text))
    return examples, learn(list(examples), lex, now, conv)


def clock(view: PromptView) -> int:
    """The prompt's ``now`` (epoch seconds); the wall clock when the prompt has no clock line."""
    return view.now if view.now is not None else int(time.time())


def candidates(view: PromptView) -> list[Reading]:
    """Every scored reading of the view's question, best first."""
    lex = view_lexicon(view)
    now = clock(view)
    conv = read_conventions(view.instructions)
    examples, know = knowledge(lex, view.examples_text or "", now, conv)
    found = readings(view.question, lex, know, now, conv=conv)
    best = found[0]
    adapted = adapt(view.question, list(examples), lex, best)
    if adapted is not None:
        same = next((r for r in found if r.key == adapted.key), None)
        if same is not None:
            same.score = max(same.score, adapted.score) + 0.3
        else:
            found.append(adapted)
        found.sort(key=lambda r: -r.score)
    return found


def answer(view: PromptView, rng: random.Random) -> Answer:
    lex = view_lexicon(view)
    examples = parse_examples(view.examples_text)
    example = example_question([e.question for e in examples], lex)
    kind = refusal_kind(view.question, view.table)
    if kind:
        return Answer(None, decline_text(kind, view.table, example))
    if not lex.cols:
        return Answer(None, decline_text("no_schema", view.table, example))
    found = candidates(view)
    best = found[0]
    if best.spec is None or best.understood == 0:
        return Answer(None, decline_text("meaningless", view.table, example))
    if best.unknown:
        return Answer(None, decline_text("missing", view.table, example, _dedupe(best.unknown)))
    found = [r for r in found if r.spec is not None and not r.unknown]
    if view.previous:
        repaired = _repair(view, found, lex)
        if isinstance(repaired, Answer):
            return repaired
        found = repaired
    pick = sample(found, view.temperature, view.top_p, rng)
    return Answer(pick.spec, candidates=len(found))


#: how peaked the reading distribution is: at temperature 1 an option 0.7 below the best (P95 for
#: "slow") is sampled about 1 time in 6 against it, roughly how often a real model strays.
SHARPNESS = 2.5


def sample(found: list[Reading], temperature: float, top_p: float, rng: random.Random) -> Reading:
    """The best reading at temperature 0; else softmax(SHARPNESS * score / temperature) within top_p."""
    if temperature <= 1e-6 or len(found) == 1:
        return found[0]
    top = max(r.score for r in found)
    weights = [math.exp(SHARPNESS * (r.score - top) / temperature) for r in found]
    total = sum(weights)
    probs = sorted(zip(found, (w / total for w in weights), strict=True), key=lambda rp: -rp[1])
    kept, mass = [], 0.0
    for r, p in probs:
        kept.append((r, p))
        mass += p
        if mass >= top_p - 1e-9:
            break
    x = rng.random() * sum(p for _, p in kept)
    for r, p in kept:
        x -= p
        if x <= 0:
            return r
    return kept[-1][0]


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


_QUOTED = re.compile(r"['\"`]([^'\"`\s]{1,80})['\"`]")


def _previous_spec(message: dict[str, Any]) -> dict[str, Any] | None:
    calls = message.get("tool_calls") or []
    text = calls[0].get("function", {}).get("arguments") if calls else message.get("content")
    if isinstance(text, list):
        text = "".join(str(p.get("text", "")) for p in text if isinstance(p, dict))
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _repair(view: PromptView, found: list[Reading], lex: Lexicon) -> list[Reading] | Answer:
    """Another reading that avoids what the feedback flagged, or a sentence saying what is missing."""
    before = [s for s in (_previous_spec(m) for m in view.previous) if s is not None]
    flagged = {name for name in _QUOTED.findall(view.feedback) if name not in lex.by_name}
    before_keys = {
        json.dumps({k: v for k, v in s.items() if v not in (None, [])}, sort_keys=True) for s in before
    }
    literals = {term for r in found for term, _ in r.literals}
    missing = sorted(
        (flagged & literals) or {c for s in before for c in spec_columns(s) if c not in lex.by_name}
    )
    keep = [
        r
        for r in found
        if r.key not in before_keys and not (spec_columns(r.spec or {}) & (flagged | set(missing)))
    ]
    if keep:
        return keep
    if missing:
        example = example_question([], lex)
        return Answer(None, decline_text("missing", view.table, example, missing))
    return found
