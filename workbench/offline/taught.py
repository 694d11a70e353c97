"""Conventions the examples show for a concept word the prompt states nothing about.

A team that counts traces as root spans writes its examples that way: "traces through search in the
last hour" answered with ``trace.parent_id does-not-exist``. With no statement in the prompt the
model reads "traces" with no filter (the prior), so the example's one extra filter is what the word
means here, provided every example that uses the word adds the same one (a reader who saw one
example with it and one without learns nothing). Used by ``fewshot.learn``; read by
``Parse.meant_filter`` after the prompt's own statements.

"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from workbench.offline.meanings import TERMS
from workbench.offline.text import tokenize

if TYPE_CHECKING:
    from workbench.offline.instructions import Conventions
    from workbench.offline.state import Reading

#: concepts whose words add no filter unless the prompt says so (errors have a prior filter of their own)
CONCEPTS = ("trace",)
_GROUPING = frozenset({"per", "by", "each", "every"})


def concept_lessons(
    question: str, best: Reading, answer: dict[str, Any], conv: Conventions
) -> tuple[tuple[str, str | None], ...]:
    """For each concept word the question uses as a condition and the prompt states nothing about:
    ``(concept, the JSON of the one filter the answer adds to the reading, or None when it adds none)``."""
    if best.unknown or best.unplaced or best.literals:
        return ()  # another word may explain an extra filter
    got = (best.spec or {}).get("filters") or []
    extra = [f for f in answer.get("filters") or [] if f not in got]
    if len(extra) > 1:
        return ()
    toks = tokenize(question)
    out = []
    for concept in CONCEPTS:
        if conv.meaning(concept) is not None:
            continue
        terms = {t for t in TERMS[concept] if " " not in t}
        named = any(
            t.stem in terms and (k == 0 or toks[k - 1].low not in _GROUPING) for k, t in enumerate(toks)
        )
        if named:
            out.append((concept, json.dumps(extra[0], sort_keys=True) if extra else None))
    return tuple(out)


def consistent(lessons: list[tuple[str, str | None]]) -> dict[str, dict[str, Any]]:
    """Concept -> filter, for the concepts whose every example adds the same filter."""
    seen: dict[str, set[str | None]] = {}
    for concept, found in lessons:
        seen.setdefault(concept, set()).add(found)
    return {c: json.loads(next(iter(f))) for c, f in seen.items() if len(f) == 1 and None not in f}
