"""Few-shot example sets: loading, saving, validation against a dataset.

An example set is ``prompts/examples/<name>.yaml``::

    description: optional text
    examples:
      - question: how many errors per service in the last hour
        query: {"calculations": [{"op": "COUNT"}], "breakdowns": ["service.name"], ...}
        note: optional, never rendered

Each query is validated against the dataset's schema (``validate_examples``);
an invalid example is reported with its findings and never selected. Which examples
go into a prompt is ``prompt.example_selection``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError
from workbench.core.findings import Finding, has_errors
from workbench.core.paths import prompts_dir
from workbench.core.yamlio import dump_yaml, line_of, read_yaml, scalar, unknown_key_error
from workbench.schema.columns import Schema

__all__ = ["Example", "ExampleSet", "available_example_sets", "load_example_set", "validate_examples"]

_SET_KEYS = ("name", "description", "examples")
_EXAMPLE_KEYS = ("question", "query", "note")


@dataclass(frozen=True)
class Example:
    """One question with the query that answers it."""

    question: str
    query: dict[str, Any]
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"question": self.question, "query": self.query}
        if self.note:
            out["note"] = self.note
        return out

    def render(self) -> str:
        """``Q: ...`` / ``A: <compact JSON>``: the example as it appears in the prompt."""
        question = " ".join(self.question.split())
        answer = json.dumps(self.query, separators=(",", ":"), ensure_ascii=False)
        return f"Q: {question}\nA: {answer}"


@dataclass(frozen=True)
class ExampleSet:
    """A named, ordered list of examples (read from and saved to YAML)."""

    name: str
    examples: tuple[Example, ...]
    path: Path | None = None
    description: str = ""

    def __len__(self) -> int:
        return len(self.examples)

    def __iter__(self):
        return iter(self.examples)

    @cached_property
    def content_hash(self) -> str:
        """sha256 of the examples' canonical JSON (what the prompt can contain)."""
        data = [e.to_dict() for e in self.examples]
        return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    def validate(self, schema: Schema) -> dict[int, list[Finding]]:
        return validate_examples(self, schema)

    def usable(self, schema: Schema) -> list[Example]:
        """The examples whose query is valid against ``schema`` (what selection may pick)."""
        bad = validate_examples(self, schema)
        return [e for i, e in enumerate(self.examples) if i not in bad]

    def to_yaml(self) -> str:
        """YAML text: one example per block, the query as one JSON line (diffs line by line)."""
        head = {}
        if self.description:
            head["description"] = self.description
        lines = [dump_yaml(head).rstrip("\n")] if head else []
        lines.append("examples:")
        for ex in self.examples:
            lines.append(f"  - question: {scalar(ex.question)}")
            lines.append(f"    query: {_flow_query(ex.query)}")
            if ex.note:
                lines.append(f"    note: {scalar(ex.note)}")
        return "\n".join(lines) + "\n"

    def save(self, path: str | Path | None = None) -> Path:
        """Write the set back as YAML (to ``path``, else where it was read from)."""
        target = Path(path) if path is not None else self.path
        if target is None:
            target = prompts_dir() / "examples" / f"{self.name}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.to_yaml(), encoding="utf-8")
        return target


def _flow_query(query: dict[str, Any]) -> str:
    """The query as a one-line JSON flow mapping, if YAML reads it back identically."""
    text = json.dumps(query, ensure_ascii=False)
    import yaml

    try:
        if yaml.safe_load(f"q: {text}")["q"] == query:
            return text
    except yaml.YAMLError:
        pass
    return scalar(query)  # YAML flow style: exact for values JSON would spell ambiguously (e.g. 1e-05)


# --------------------------------------------------------------------------- loading


def resolve_example_set_path(name_or_path: str | Path, base_dir: Path | None = None) -> Path:
    """A name (``core``) means ``examples/core.yaml`` beside the variant (``base_dir``), else in ``prompts/``.

    Anything with a suffix or slash is a path.
    A relative path is looked up in the current folder, then ``base_dir`` (the variant's folder),
    then ``prompts/``.
    """
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text or "\\" in text or text.endswith((".yaml", ".yml")):
        p = Path(text).expanduser()
        if p.is_absolute() or p.exists():
            return p
        for folder in (base_dir, prompts_dir()):
            if folder is not None and (folder / p).exists():
                return folder / p
        return p
    beside = base_dir / "examples" / f"{text}.yaml" if base_dir is not None else None
    if beside is not None and beside.exists():
        return beside
    return prompts_dir() / "examples" / f"{text}.yaml"


def available_example_sets() -> list[str]:
    folder = prompts_dir() / "examples"
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def load_example_set(name_or_path: str | Path, base_dir: Path | None = None) -> ExampleSet:
    """Read an example set by name (``core``) or path. Raises ``ConfigError`` with the file and key."""
    path = resolve_example_set_path(name_or_path, base_dir)
    if not path.exists():
        known = available_example_sets()
        fix = f"available sets: {', '.join(known)}" if known else "create it, e.g. prompts/examples/core.yaml"
        raise ConfigError(f"example set not found: {name_or_path} ({path})", fix)
    data, node = read_yaml(path, "example set")
    src = str(path)
    if not isinstance(data, dict) or not isinstance(data.get("examples"), list):
        raise ConfigError(
            f"{src}: expected a mapping with an 'examples' list", "write examples: [{question, query}, ...]"
        )
    for key in data:
        if key not in _SET_KEYS:
            raise unknown_key_error(f"{src} line {line_of(node, [key])}", "", str(key), _SET_KEYS)
    examples = tuple(_example(item, i, src, node) for i, item in enumerate(data["examples"]))
    return ExampleSet(
        name=str(data.get("name") or path.stem),
        examples=examples,
        path=path,
        description=str(data.get("description") or ""),
    )


def _example(item: Any, i: int, src: str, node: Any) -> Example:
    def fail(problem: str, fix: str) -> ConfigError:
        return ConfigError(f"{src} line {line_of(node, ['examples', i])}: examples[{i}]{problem}", fix)

    if not isinstance(item, dict):
        raise fail(": expected a mapping with question and query", "fix the entry")
    for key in item:
        if key not in _EXAMPLE_KEYS:
            raise unknown_key_error(
                f"{src} line {line_of(node, ['examples', i, key])}", f"examples[{i}]", str(key), _EXAMPLE_KEYS
            )
    question, query = item.get("question"), item.get("query")
    if not isinstance(question, str) or not question.strip():
        raise fail(".question: missing or empty", "write the question as text")
    if isinstance(query, str):
        try:
            query = json.loads(query)
        except json.JSONDecodeError as exc:
            raise fail(f".query: not valid JSON: {exc.msg}", "fix the JSON") from None
    if not isinstance(query, dict):
        raise fail(".query: expected a query specification mapping", "fix the query")
    note = item.get("note")
    return Example(question=question.strip(), query=query, note=str(note) if note else None)


# --------------------------------------------------------------------------- validation


def validate_examples(
    example_set: ExampleSet | Sequence[Example], schema: Schema
) -> dict[int, list[Finding]]:
    """The invalid examples: index -> every finding of its query (it has at least one error).

    Examples with only warnings are usable and not listed.
    """
    from workbench.spec.validate.layers import validate

    bad: dict[int, list[Finding]] = {}
    for i, ex in enumerate(example_set):
        findings = list(validate(ex.query, schema).findings)
        if has_errors(findings):
            bad[i] = findings
    return bad
