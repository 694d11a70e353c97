"""Question → scored candidate readings (query specs), the offline model's understanding.

A :class:`Parse` reads the question left to right in passes (time, granularity,
comparisons, statistics, ranking, breakdowns, values, concepts, exists), each
consuming the tokens it explains. Every decision with more than one plausible
answer ("slow" = P99 or P95, "this week" = calendar or rolling, which of two
similar columns a word means) goes through :meth:`Parse.choose`, which records
a choice point with scored options. The best reading takes the best option
everywhere; :func:`readings` then re-runs the parse with choice points flipped
to enumerate the alternatives, each scored by how much it gives up (its
*regret*, 0 for the best). Few-shot examples shift the option scores
(``fewshot.Knowledge``), so the examples in the prompt change the answers.
"""

from __future__ import annotations

from collections.abc import Callable

from workbench.offline import clauses, compare, conditions, groups, ranking, values
from workbench.offline.instructions import NONE, Conventions
from workbench.offline.lexicon import Lexicon
from workbench.offline.state import Knowledge, Parse, Reading

#: the passes, in order (sqlglot's optimizer style): each reads the state and consumes what it explains
PASSES: tuple[Callable[[Parse], None], ...] = (
    groups.learned_phrases,
    groups.time_and_granularity,
    ranking.top_n,
    compare.comparisons,
    values.status,
    clauses.statistics,
    ranking.ranking,
    groups.breakdown_slots,
    clauses.bare_measures,
    groups.entities,
    values.values,
    conditions.concepts,
    conditions.exists,
    groups.implicit_breakdowns,
    conditions.leftovers,
)


def run_passes(
    question: str,
    lex: Lexicon,
    know: Knowledge,
    now: int,
    policy: dict[str, str] | None = None,
    conv: Conventions = NONE,
) -> Parse:
    """A fresh parse state of ``question`` after every pass (what the question explains, unassembled)."""
    state = Parse(question, lex, know, now, policy, conv)
    for run_pass in PASSES:
        run_pass(state)
    return state


def parse(
    question: str,
    lex: Lexicon,
    know: Knowledge,
    now: int,
    policy: dict[str, str] | None = None,
    conv: Conventions = NONE,
) -> Reading:
    """One reading of the question: a fresh state run through every pass, then assembled."""
    state = run_passes(question, lex, know, now, policy, conv)
    return Reading(
        state.assemble(),
        state.regret,
        state.choices,
        literals=state.literals,
        unknown=state.unknown,
        understood=state.understood,
        unplaced=state.unplaced,
        conventional=state.conventional,
        placed=state.placed,
    )


#: how many alternative parses a question of up to SHORT characters may take (every one it needs)
MAX_ALTERNATIVES = 34
SHORT = 200


def parse_budget(length: int) -> int:
    """Alternative parses for a question of ``length`` characters: fewer for longer questions, so that
    the parse work (alternatives x length) stays under MAX_ALTERNATIVES x SHORT and time grows linearly."""
    return max(2, MAX_ALTERNATIVES * SHORT // max(SHORT, length))


def readings(
    question: str, lex: Lexicon, know: Knowledge, now: int, limit: int = 12, conv: Conventions = NONE
) -> list[Reading]:
    """The best reading and its alternatives (choice points flipped one or two at a time), best first."""
    first = parse(question, lex, know, now, conv=conv)
    found: dict[str, Reading] = {first.key: first}
    frontier: list[tuple[float, dict[str, str]]] = []
    for c in first.choices:
        for label, score in c.options:
            if label != c.chosen:
                best = max(s for _, s in c.options)
                frontier.append((score - best, {c.key: label}))
    frontier.sort(key=lambda fp: -fp[0])
    singles = frontier[: limit * 2]
    pairs = []
    for a in range(min(len(singles), 5)):
        for b in range(a + 1, min(len(singles), 5)):
            pa, pb = singles[a][1], singles[b][1]
            if not set(pa) & set(pb):
                pairs.append((singles[a][0] + singles[b][0], {**pa, **pb}))
    budget = parse_budget(len(question))
    for _, policy in sorted(singles + pairs, key=lambda fp: -fp[0])[:budget]:
        r = parse(question, lex, know, now, policy, conv)
        if r.key not in found or found[r.key].score < r.score:
            found[r.key] = r
        if len(found) >= limit:
            break
    return sorted(found.values(), key=lambda r: -r.score)
