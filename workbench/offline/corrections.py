"""Which listed column an example shows a word means, when the model's own reading chose another.

A model copies an example's column choices: when an example answers "span count for every service"
with ``svc`` where the schema's best name match for "service" was ``rpc.service``, "service" means
``svc`` in this prompt. Used by ``fewshot.learn``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.offline.lexicon import Lexicon
    from workbench.offline.state import Knowledge, Reading


def corrections(
    best: Reading,
    theirs: set[str],
    missing_bd: list[str],
    missing_calc: list[str],
    missing_filters: list[dict[str, Any]],
    know: Knowledge,
    lex: Lexicon,
) -> frozenset[str]:
    """A word the reading matched to a column by name that the example answers with another column in the
    same place ("count per service": ``rpc.service`` read, ``svc`` answered): the example's column is what
    the word means in this team's prompt, the way a model copies an example's column choice. A column the
    answer confirms is recorded too. Writes ``know.columns``; returns the phrases corrected."""
    got = best.spec or {}
    corrected: set[str] = set()
    for phrase, col in best.placed:
        if phrase in know.columns:
            continue
        if col in theirs:  # confirmed: the word means this column with confidence ("routes ..." as a group)
            know.columns[phrase] = col
            continue
        # the same test on another column is a column choice; another test is a convention (_rewrite's)
        same_test = [
            f["column"]
            for f in missing_filters
            for g in got.get("filters") or []
            if g.get("column") == col and (g.get("op"), g.get("value")) == (f.get("op"), f.get("value"))
        ]
        places = (
            (set(got.get("breakdowns") or []), missing_bd),
            ({c.get("column") for c in got.get("calculations") or []}, missing_calc),
            ({f.get("column") for f in got.get("filters") or []}, same_test),
        )
        pool = next((pool for cols, pool in places if col in cols and pool), None)
        if pool and pool[0] in lex.by_name:  # a listed column only: the schema block had a reading of its own
            know.columns[phrase] = pool[0]
            corrected.add(phrase)
    return frozenset(corrected)
