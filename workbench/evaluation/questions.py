"""Question sets: the questions a variant is measured on, each with its gold query.

The file format is DESIGN.md's::

    name: core                      # optional; defaults to the file name
    description: ...                # optional
    questions:
      - id: q001
        question: slow endpoints for android users yesterday
        gold: {calculations: [{op: P99, column: duration_ms}], ...}
        accept: [{...}]             # optional alternative correct specs
        tags: [latency, time]       # optional

Loading checks the shape and that every ``gold``/``accept`` reads as a query
spec (``workbench.spec.query.parse_spec``); a bad file gives one ``ConfigError``
line naming the file, the question id and the key. Honeycomb's structural
rules and the dataset's columns are checked separately, as findings, by
``QuestionSet.validate_against``. The content hash covers the normalized
content (not comments or formatting), so the experiment log can tell whether
two runs used the same questions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError, SpecError
from workbench.core.findings import Finding
from workbench.core.paths import shipped_dir
from workbench.core.yamlio import display_path, dump_yaml, read_yaml, unknown_key_error
from workbench.spec.query import parse_spec

__all__ = ["Question", "QuestionSet", "ensure_question_set", "load_question_set", "save_question_set"]

_TOP_KEYS = ("name", "description", "questions")
_QUESTION_KEYS = ("id", "question", "gold", "accept", "tags")


@dataclass(frozen=True)
class Question:
    """One question and its expected query.

    Args:
        id: unique within the set, e.g. ``q001``.
        question: the natural-language question, as a user would type it.
        gold: the query spec whose executed result is the right answer.
        accept: alternative specs whose results are also right (genuine ambiguity).
        tags: free labels for per-tag metrics (``latency``, ``time``, ``having``...).
    """

    id: str
    question: str
    gold: dict[str, Any]
    accept: list[dict[str, Any]] = field(default_factory=list)
    tags: tuple[str, ...] = ()

    @property
    def specs(self) -> list[dict[str, Any]]:
        """The gold spec first, then the accepted alternatives."""
        return [self.gold, *self.accept]

    @property
    def gold_columns(self) -> set[str]:
        """The columns the gold spec uses (for schema compression's column recall)."""
        return parse_spec(self.gold).columns_used()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "question": self.question, "gold": self.gold}
        if self.accept:
            out["accept"] = self.accept
        if self.tags:
            out["tags"] = list(self.tags)
        return out


@dataclass(frozen=True)
class QuestionSet:
    """A named list of questions loaded from (or saved to) a YAML file."""

    name: str
    questions: tuple[Question, ...]
    path: Path | None = None
    description: str = ""

    def __post_init__(self) -> None:
        _check_unique(self.questions, self.path)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def __len__(self) -> int:
        return len(self.questions)

    def __getitem__(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    @property
    def ids(self) -> list[str]:
        return [q.id for q in self.questions]

    @property
    def tags(self) -> dict[str, tuple[str, ...]]:
        """Question id -> tags (the mapping per-tag metrics take)."""
        return {q.id: q.tags for q in self.questions}

    @property
    def hash(self) -> str:
        """A short content hash: the same questions, golds and tags give the same hash."""
        canonical = json.dumps([q.to_dict() for q in self.questions], sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    def select(self, ids: Iterable[str] | None = None, tags: Iterable[str] | None = None) -> QuestionSet:
        """A subset: questions with one of ``ids`` and/or one of ``tags`` (set order kept)."""
        wanted_ids = set(ids) if ids is not None else None
        wanted_tags = set(tags) if tags is not None else None
        if wanted_ids is not None and (unknown := wanted_ids - set(self.ids)):
            raise ConfigError(
                f"question set {self.name!r} has no question {sorted(unknown)[0]!r}",
                "use one of its ids",
            )
        picked = tuple(
            q
            for q in self.questions
            if (wanted_ids is None or q.id in wanted_ids)
            and (wanted_tags is None or wanted_tags.intersection(q.tags))
        )
        return replace(self, questions=picked)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        out["questions"] = [q.to_dict() for q in self.questions]
        return out

    def to_yaml(self) -> str:
        return dump_yaml(self.to_dict(), width=110, flow=_one_line)

    def save(self, path: str | Path) -> Path:
        return save_question_set(self, path)

    def validate_against(self, schema: Any | None = None) -> dict[str, list[Finding]]:
        """Validate every gold and accepted spec; question id -> findings (empty list when clean).

        Uses ``workbench.spec.validate.layers.validate`` (structure always; semantics when a ``Schema`` is
        given). Each finding's path is prefixed with ``gold`` or ``accept[i]``.
        """
        from workbench.spec.validate.layers import validate  # lazy: validation is not needed to load a set

        out: dict[str, list[Finding]] = {}
        for q in self.questions:
            findings: list[Finding] = []
            for label, spec in (("gold", q.gold), *((f"accept[{i}]", s) for i, s in enumerate(q.accept))):
                result = validate(spec, schema)
                for f in getattr(result, "findings", result):
                    findings.append(replace(f, path=f"{label}.{f.path}" if f.path else label))
            out[q.id] = findings
        return out

    @classmethod
    def from_dict(cls, data: Any, *, name: str | None = None, path: Path | None = None) -> QuestionSet:
        """Build a set from parsed YAML/JSON; raises a one-line ``ConfigError`` on a bad shape."""
        where = display_path(path) if path else "question set"
        if not isinstance(data, Mapping):
            raise ConfigError(
                f"{where}: expected a mapping with a 'questions' list, got {type(data).__name__}",
                "start the file with 'questions:'",
            )
        unknown = [k for k in data if k not in _TOP_KEYS]
        if unknown:
            raise unknown_key_error(where, "", str(unknown[0]), _TOP_KEYS)
        items = data.get("questions")
        if not isinstance(items, list) or not items:
            raise ConfigError(f"{where}: 'questions' must be a non-empty list", "add at least one question")
        questions = tuple(_parse_question(item, i, where) for i, item in enumerate(items))
        set_name = data.get("name") or name or (path.stem if path else "questions")
        return cls(
            name=str(set_name),
            questions=questions,
            path=path,
            description=str(data.get("description") or ""),
        )


def load_question_set(path: str | Path) -> QuestionSet:
    """Read a question set YAML file. Raises ``ConfigError`` (one line) when it is missing or bad."""
    p = Path(path)
    if not p.exists() and not p.is_absolute():  # `questions/core.yaml` or `core` outside a checkout
        shipped = shipped_dir("questions")
        candidate = shipped / (p.name if p.suffix else f"{p.name}.yaml") if shipped is not None else None
        if candidate is not None and candidate.exists() and p.parent.name in ("", "questions"):
            p = candidate
    data, _node = read_yaml(p, "question set")
    return QuestionSet.from_dict(data, path=p)


def save_question_set(qs: QuestionSet, path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(qs.to_yaml(), encoding="utf-8")
    return p


def ensure_question_set(value: QuestionSet | str | Path) -> QuestionSet:
    """Accept a loaded set or a path to one."""
    return value if isinstance(value, QuestionSet) else load_question_set(value)


# --------------------------------------------------------------------------- parsing


def _parse_question(item: Any, index: int, where: str) -> Question:
    if not isinstance(item, Mapping):
        raise ConfigError(
            f"{where}: questions[{index}] must be a mapping, got {type(item).__name__}",
            "write each question as 'id: ..., question: ..., gold: {...}'",
        )
    qid = item.get("id")
    label = f"question {qid!r}" if qid is not None else f"questions[{index}]"
    for key in ("id", "question", "gold"):
        if item.get(key) in (None, ""):
            raise ConfigError(
                f"{where}: {label}: missing key {key!r}", "every question needs id, question and gold"
            )
    unknown = [k for k in item if k not in _QUESTION_KEYS]
    if unknown:
        raise unknown_key_error(f"{where}: {label}", "", str(unknown[0]), _QUESTION_KEYS)
    if not isinstance(qid, str | int) or isinstance(qid, bool):
        raise ConfigError(f"{where}: {label}: key 'id' must be a string", "use ids like q001")
    if not isinstance(item["question"], str):
        raise ConfigError(f"{where}: {label}: key 'question' must be a string", "quote the question text")
    gold = _parse_spec_value(item["gold"], where, label, "gold")
    accept_raw = item.get("accept")
    accept_raw = [] if accept_raw is None else accept_raw
    if not isinstance(accept_raw, list):
        raise ConfigError(
            f"{where}: {label}: key 'accept' must be a list of specs", "write accept: [{...}, ...]"
        )
    accept = [_parse_spec_value(s, where, label, f"accept[{i}]") for i, s in enumerate(accept_raw)]
    tags_raw = item.get("tags")
    tags_raw = [] if tags_raw is None else tags_raw
    if isinstance(tags_raw, str):
        tags_raw = [tags_raw]
    if not isinstance(tags_raw, list) or not all(isinstance(t, str) for t in tags_raw):
        raise ConfigError(f"{where}: {label}: key 'tags' must be a list of strings", "write tags: [a, b]")
    return Question(
        id=str(qid),
        question=item["question"].strip(),
        gold=gold,
        accept=accept,
        tags=tuple(dict.fromkeys(tags_raw)),
    )


def _parse_spec_value(value: Any, where: str, label: str, key: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{where}: {label}: key {key!r} must be a query spec object, got {type(value).__name__}",
            "write it as {calculations: [...], ...}",
        )
    try:
        parse_spec(dict(value))
    except SpecError as exc:
        raise ConfigError(f"{where}: {label}: key {key!r}: {exc.problem}", "fix the spec's shape") from None
    return _plain(value)


def _plain(value: Any) -> Any:
    """Plain dicts and lists (YAML may give other Mapping types)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _check_unique(questions: Iterable[Question], path: Path | None) -> None:
    seen: set[str] = set()
    for q in questions:
        if q.id in seen:
            where = display_path(path) if path else "question set"
            raise ConfigError(f"{where}: duplicate question id {q.id!r}", "give every question its own id")
        seen.add(q.id)


def _one_line(value: Any) -> bool:
    """Block style for the set and each question; flow style (one line) for specs."""
    if isinstance(value, dict):
        return "questions" not in value and "question" not in value
    return not any(isinstance(v, dict) and "question" in v for v in value)
