"""Check a question set before trusting its numbers: golds that are invalid, fail, or prove nothing, and leaks.

An evaluation is only as honest as its question set. Three things quietly make it lie:

- a gold (or accepted alternative) that does not validate or run on the dataset: every
  prediction is scored against an error;
- a gold whose answer is empty or all zero on the dataset: a wrong query that matches
  nothing gets the same answer and counts as correct;
- a question that (nearly) appears in a few-shot example set: the model is shown the
  answer, and the eval measures recall of the prompt, not understanding. Near-duplicates
  inside the set also count twice;
- a question that (nearly) appears among the offline model's own test cases
  (``tests/fixtures/offline_cases.yaml``): the built-in model was tested on it.

``check_question_set`` finds them as findings (``workbench.core.findings``), per question.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.findings import Finding, error, warning

__all__ = [
    "OFFLINE_CASES",
    "QuestionCheck",
    "QuestionSetCheck",
    "check_question_set",
    "load_offline_cases",
    "near_duplicate",
]

#: the offline model's own question -> spec test cases (in a checkout; a wheel has none)
OFFLINE_CASES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "offline_cases.yaml"

_TOKEN = re.compile(r"[a-z0-9]+(?:[./_-][a-z0-9{}]+)*")
#: two questions are near-duplicates at this word overlap (Jaccard) or character similarity
JACCARD_NEAR = 0.8
RATIO_NEAR = 0.9


def _normalize(text: str) -> str:
    return " ".join(_TOKEN.findall(text.lower()))


def near_duplicate(a: str, b: str) -> tuple[bool, float, float]:
    """Whether two questions are the same question in other words: (near, word Jaccard, character ratio).

    Case, punctuation and spacing are ignored; one changed number ("6 hours" / "5 hours") still
    counts as the same question.
    """
    na, nb = _normalize(a), _normalize(b)
    ta, tb = set(na.split()), set(nb.split())
    jaccard = len(ta & tb) / len(ta | tb) if ta | tb else 1.0
    ratio = difflib.SequenceMatcher(None, na, nb).ratio()
    return (na == nb or jaccard >= JACCARD_NEAR or ratio >= RATIO_NEAR), jaccard, ratio


@dataclass(frozen=True)
class QuestionCheck:
    """One question's findings, and how many rows its gold returned (``None`` if it did not run)."""

    id: str
    question: str
    findings: tuple[Finding, ...] = ()
    gold_rows: int | None = None

    @property
    def ok(self) -> bool:
        return not self.findings


@dataclass(frozen=True)
class QuestionSetCheck:
    """The findings of a whole set, per question, plus what it was checked against."""

    name: str
    dataset: str | None
    example_sets: tuple[str, ...]
    questions: tuple[QuestionCheck, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for q in self.questions for f in q.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for q in self.questions for f in q.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dataset": self.dataset,
            "example_sets": list(self.example_sets),
            "errors": self.errors,
            "warnings": self.warnings,
            "questions": [
                {"id": q.id, "question": q.question, "gold_rows": q.gold_rows,
                 "findings": [f.to_dict() for f in q.findings]}
                for q in self.questions
            ],
        }  # fmt: skip


def check_question_set(
    questions: Any,
    dataset: Any | None = None,
    example_sets: Sequence[Any] = (),
    *,
    run: bool = True,
    model_cases: Sequence[str] = (),
) -> QuestionSetCheck:
    """Validate (and run) every gold and accepted spec, and look for leaks into ``example_sets``.

    Args:
        questions: a ``QuestionSet``.
        dataset: an opened dataset; without one only the structural rules and the leaks are checked.
        example_sets: ``ExampleSet`` objects whose questions must not (nearly) appear in the set.
        run: execute the golds on the dataset (read-only) to find empty and failing ones.
        model_cases: the offline model's own test questions (``load_offline_cases``), which no
            question may (nearly) repeat.
    """
    schema = dataset.schema() if dataset is not None else None
    validated = questions.validate_against(schema)
    examples = [(s.name, e.question) for s in example_sets for e in s.examples]
    checks = []
    seen: list[tuple[str, str]] = []
    for q in questions:
        findings = [f for f in validated.get(q.id, []) if f.severity in ("error", "warning")]
        findings += _leaks(q.question, examples)
        findings += _tested(q.question, model_cases)
        findings += _twins(q.question, seen)
        seen.append((q.id, q.question))
        rows = None
        if run and dataset is not None and not any(f.severity == "error" for f in findings):
            rows, ran = _run_specs(q, dataset)
            findings += ran
        checks.append(QuestionCheck(q.id, q.question, tuple(findings), rows))
    return QuestionSetCheck(
        name=questions.name,
        dataset=getattr(dataset, "identity", None),
        example_sets=tuple(s.name for s in example_sets),
        questions=tuple(checks),
    )


def _leaks(question: str, examples: Iterable[tuple[str, str]]) -> list[Finding]:
    out = []
    for set_name, example in examples:
        near, jaccard, ratio = near_duplicate(question, example)
        if near:
            out.append(error(
                "example_leak",
                f"the example set {set_name!r} holds nearly this question: {example!r} "
                f"(word overlap {jaccard:.2f}, similarity {ratio:.2f}); the model is shown the answer",
                suggestion="reword or drop the question, or remove the example from the set",
            ))  # fmt: skip
    return out


def load_offline_cases(path: Path = OFFLINE_CASES) -> list[str]:
    """The questions of the offline model's own test cases; none when the file is absent (a wheel)."""
    import yaml

    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [str(c["question"]) for c in data.get("cases") or [] if isinstance(c, dict) and "question" in c]


def _tested(question: str, cases: Iterable[str]) -> list[Finding]:
    return [
        error(
            "offline_case_leak",
            f"the offline model's own test cases hold nearly this question: {case!r}; "
            "the built-in model was tested on it, so its score here measures nothing",
            suggestion="reword or drop the question, or the case in tests/fixtures/offline_cases.yaml",
        )
        for case in cases
        if near_duplicate(question, case)[0]
    ]


def _twins(question: str, seen: Iterable[tuple[str, str]]) -> list[Finding]:
    return [
        warning(
            "near_duplicate",
            f"nearly the same as {qid} ({other!r}): it counts twice in every metric",
            suggestion="reword one of them so they test different things, or drop one",
        )
        for qid, other in seen
        if near_duplicate(question, other)[0]
    ]


def _run_specs(q: Any, dataset: Any) -> tuple[int | None, list[Finding]]:
    from workbench.sql.execute import run_query

    findings: list[Finding] = []
    rows: int | None = None
    for label, spec in (("gold", q.gold), *((f"accept[{i}]", s) for i, s in enumerate(q.accept))):
        try:
            result = run_query(dataset, spec)
        except Exception as exc:  # a failing gold is a finding about the set, never a crash
            findings.append(error("gold_failed", f"{label} did not run: {exc}", path=label,
                                  suggestion="fix the spec so it runs on this dataset"))  # fmt: skip
            continue
        if label == "gold":
            rows = len(result.rows)
            if _nothing(result):
                findings.append(warning(
                    "empty_gold",
                    "the gold's answer is empty or all zero on this dataset: a wrong query that matches "
                    "nothing gets the same answer and counts as correct",
                    path="gold",
                    suggestion="ask about something the data holds, or check the gold's filters and time",
                ))  # fmt: skip
    return rows, findings


def _nothing(result: Any) -> bool:
    """No rows, or every calculated cell empty or zero (breakdown labels aside)."""
    if not result.rows:
        return True
    calc = [i for i, c in enumerate(result.columns) if "(" in c or c.isupper()]
    cells = [row[i] for row in result.rows for i in calc] if calc else [v for row in result.rows for v in row]
    return all(v is None or v == 0 for v in cells)
