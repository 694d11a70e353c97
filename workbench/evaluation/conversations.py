"""Conversation sets: chains of follow-up turns, each with its gold (README, "Conversation sets").

The YAML format (DESIGN.md)::

    name: conversations                 # optional
    description: ...                    # optional
    conversations:
      - id: c001
        tags: [drilldown]               # optional
        turns:
          - question: errors by service yesterday
            gold: {...}                 # the whole query after this turn, as in question sets
            accept: [{...}]             # optional: other right readings
          - question: only the payment service
            gold: {...}

A chain has 1 to 10 turns (the shipped set: 2 to 4). ``as_question_set`` flattens the turns into
a ``QuestionSet`` (ids ``c001.1``, ``c001.2``...) so the question-set checks (golds that fail or
return nothing, leaks into example sets) screen conversation sets the same way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError
from workbench.core.paths import shipped_dir
from workbench.core.yamlio import display_path, read_yaml, unknown_key_error
from workbench.evaluation.questions import Question, QuestionSet, _parse_question

__all__ = ["Chain", "ConversationSet", "is_conversation_file", "load_conversation_set", "load_questions"]

_TOP_KEYS = ("name", "description", "conversations")
_CHAIN_KEYS = ("id", "tags", "turns")
MAX_TURNS = 10


@dataclass(frozen=True)
class Chain:
    """One conversation: its turns as ``Question`` objects (id ``<chain>.<n>``), in order."""

    id: str
    turns: tuple[Question, ...]
    tags: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.turns)


@dataclass(frozen=True)
class ConversationSet:
    """A named list of chains."""

    name: str
    chains: tuple[Chain, ...]
    path: Path | None = None
    description: str = ""

    def __iter__(self) -> Iterator[Chain]:
        return iter(self.chains)

    def __len__(self) -> int:
        return len(self.chains)

    @property
    def n_turns(self) -> int:
        return sum(len(c) for c in self.chains)

    @property
    def hash(self) -> str:
        """sha256 of the chains' content (questions, golds, accepts), for the run log."""
        data = [[c.id, [t.to_dict() for t in c.turns]] for c in self.chains]
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def select(self, ids: list[str] | None = None) -> ConversationSet:
        if not ids:
            return self
        known = {c.id for c in self.chains}
        missing = [i for i in ids if i not in known]
        if missing:
            raise ConfigError(
                f"{self.name}: no conversation {missing[0]!r}", f"known ids: {', '.join(sorted(known))}"
            )
        return ConversationSet(
            self.name, tuple(c for c in self.chains if c.id in ids), self.path, self.description
        )

    def as_question_set(self) -> QuestionSet:
        """Every turn as a question (``c001.2``), for the question-set checks."""
        questions = tuple(t for c in self.chains for t in c.turns)
        return QuestionSet(name=self.name, questions=questions, path=self.path, description=self.description)

    @classmethod
    def from_dict(cls, data: Any, *, path: Path | None = None) -> ConversationSet:
        """Build a set from parsed YAML; raises a one-line ``ConfigError`` on a bad shape."""
        where = display_path(path) if path else "conversation set"
        if not isinstance(data, Mapping) or "conversations" not in data:
            raise ConfigError(
                f"{where}: expected a mapping with a 'conversations' list",
                "start the file with 'conversations:'",
            )
        unknown = [k for k in data if k not in _TOP_KEYS]
        if unknown:
            raise unknown_key_error(where, "", str(unknown[0]), _TOP_KEYS)
        items = data["conversations"]
        if not isinstance(items, list) or not items:
            raise ConfigError(
                f"{where}: 'conversations' must be a non-empty list", "add at least one conversation"
            )
        chains = tuple(_parse_chain(item, i, where) for i, item in enumerate(items))
        seen: set[str] = set()
        for c in chains:
            if c.id in seen:
                raise ConfigError(
                    f"{where}: duplicate conversation id {c.id!r}", "give every conversation its own id"
                )
            seen.add(c.id)
        name = data.get("name") or (path.stem if path else "conversations")
        return cls(str(name), chains, path, str(data.get("description") or ""))


def _parse_chain(item: Any, index: int, where: str) -> Chain:
    if not isinstance(item, Mapping):
        raise ConfigError(
            f"{where}: conversations[{index}] must be a mapping", "write each as 'id: ..., turns: [...]'"
        )
    cid = item.get("id")
    label = f"conversation {cid!r}" if cid is not None else f"conversations[{index}]"
    unknown = [k for k in item if k not in _CHAIN_KEYS]
    if unknown:
        raise unknown_key_error(f"{where}: {label}", "", str(unknown[0]), _CHAIN_KEYS)
    if not isinstance(cid, str | int) or isinstance(cid, bool) or cid == "":
        raise ConfigError(f"{where}: {label}: missing key 'id'", "give every conversation an id like c001")
    turns = item.get("turns")
    if not isinstance(turns, list) or not 1 <= len(turns) <= MAX_TURNS:
        raise ConfigError(
            f"{where}: {label}: 'turns' must be a list of 1 to {MAX_TURNS} turns",
            "write turns: [{question: ..., gold: {...}}, ...]",
        )
    parsed = []
    for n, turn in enumerate(turns, 1):
        if isinstance(turn, Mapping) and "id" in turn:
            raise ConfigError(f"{where}: {label}: turn {n} has an 'id'", "turns are numbered by their order")
        body = {"id": f"{cid}.{n}", **turn} if isinstance(turn, Mapping) else turn
        parsed.append(_parse_question(body, n - 1, f"{where}: {label}"))
    tags = item.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ConfigError(f"{where}: {label}: key 'tags' must be a list of strings", "write tags: [a, b]")
    return Chain(str(cid), tuple(parsed), tuple(dict.fromkeys(tags)))


def is_conversation_file(path: str | Path) -> bool:
    """True when a YAML file holds a conversation set (a top-level ``conversations:`` key)."""
    p = _resolve(path)
    data, _ = read_yaml(p, "question set")
    return isinstance(data, Mapping) and "conversations" in data


def load_questions(path: str | Path) -> QuestionSet:
    """A question set, or a conversation set's every turn as a question (each with its gold): what the
    checks that walk every shipped file's golds need."""
    if is_conversation_file(path):
        return load_conversation_set(path).as_question_set()
    from workbench.evaluation.questions import load_question_set

    return load_question_set(path)


def load_conversation_set(path: str | Path) -> ConversationSet:
    """Read a conversation set (``questions/conversations.yaml`` or ``conversations``); one-line errors."""
    p = _resolve(path)
    data, _ = read_yaml(p, "conversation set")
    return ConversationSet.from_dict(data, path=p)


def _resolve(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists() and not p.is_absolute():
        shipped = shipped_dir("questions")
        candidate = shipped / (p.name if p.suffix else f"{p.name}.yaml") if shipped is not None else None
        if candidate is not None and candidate.exists() and p.parent.name in ("", "questions"):
            return candidate
    return p


def check_conversation_set(
    conversations: ConversationSet,
    dataset: Any | None = None,
    example_sets: Any = (),
    *,
    run: bool = True,
    model_cases: Any = (),
) -> Any:
    """``evaluation.check.check_question_set`` over every turn (golds that fail or are empty, leaks).

    Follow-up turns ("only android", "per hour") recur across chains by nature: the near-duplicate
    check applies to the opening turns only. A follow-up whose gold answers like the previous turn's
    proves nothing (a model that changes nothing counts as correct): the same spec is an error, the
    same executed result a warning.
    """
    from dataclasses import replace

    from workbench.evaluation.check import check_question_set

    report = check_question_set(
        conversations.as_question_set(), dataset, example_sets, run=run, model_cases=model_cases
    )
    opening = {c.turns[0].id for c in conversations.chains}
    same = _unchanged_followups(conversations, dataset if run else None)
    kept = tuple(
        q
        if q.id in opening
        else replace(
            q, findings=(*(f for f in q.findings if f.code != "near_duplicate"), *same.get(q.id, ()))
        )
        for q in report.questions
    )
    return replace(report, questions=kept)


def _same_answer(before: Any, turn: Any, gold: dict[str, Any]) -> bool:
    """Whether the previous turn's result is graded correct against this turn's gold (as the eval grades)."""
    from workbench.spec.matching import results_match, spec_is_ordered

    return (
        before is not None and turn is not None and results_match(before, turn, ordered=spec_is_ordered(gold))
    )


def _unchanged_followups(conversations: ConversationSet, dataset: Any | None) -> dict[str, list[Any]]:
    from workbench.core.errors import WorkbenchError
    from workbench.core.findings import error, warning
    from workbench.spec.query import parse_spec

    out: dict[str, list[Any]] = {}
    results: dict[str, Any] = {}

    def result(turn: Question) -> Any:
        if turn.id not in results:
            from workbench.sql.execute import run_query

            try:
                results[turn.id] = run_query(dataset, turn.gold)
            except WorkbenchError:
                results[turn.id] = None
        return results[turn.id]

    for chain in conversations.chains:
        for before, turn in zip(chain.turns, chain.turns[1:], strict=False):
            if parse_spec(before.gold).to_dict() == parse_spec(turn.gold).to_dict():
                finding = error(
                    "followup_gold_unchanged",
                    "the gold is the previous turn's gold",
                    path="gold",
                    suggestion="write the whole query after this turn's change",
                )
            elif dataset is not None and _same_answer(result(before), result(turn), turn.gold):
                finding = warning(
                    "followup_same_answer",
                    "the gold's answer equals the previous turn's: a model that changes nothing counts as correct",
                    path="gold",
                    suggestion="pick a follow-up whose change shows in the data",
                )
            else:
                continue
            out.setdefault(turn.id, []).append(finding)
    return out
