"""The offline model's vocabulary and priors, read once from ``vocabulary.yaml`` (package data).

Every word list, phrase table and prior the parser uses lives in that one file, so
a reviewer reads the model's general English in one place. Keys are
``section.name``; each section belongs to the module of the same name.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml


@functools.cache
def _data() -> dict[str, Any]:
    text = (resources.files("workbench.offline") / "vocabulary.yaml").read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


def entry(key: str) -> Any:
    """The raw value at ``section.name``."""
    section, name = key.split(".", 1)
    return _data()[section][name]


def words(key: str) -> frozenset[str]:
    """A word list as a set."""
    return frozenset(str(w) for w in entry(key))


def table(key: str) -> dict[Any, Any]:
    """A mapping (word -> value)."""
    return dict(entry(key))


def word_sets(key: str) -> dict[str, frozenset[str]]:
    """A mapping of name -> word set."""
    return {k: frozenset(v) for k, v in entry(key).items()}


def phrases(key: str) -> tuple[tuple[str, ...], ...]:
    """A list of phrases, each as its tuple of words."""
    return tuple(tuple(p.split()) for p in entry(key))


def comparators(key: str) -> list[tuple[tuple[str, ...], str]]:
    """Comparison phrases (their words) and the operator each means."""
    return [(tuple(p.split()), op) for p, op in entry(key)]


def concepts() -> dict[str, tuple[dict[str, float], tuple[str, ...]]]:
    """Concept -> (name part -> weight, the column types it may have)."""
    return {k: (dict(v["words"]), tuple(v["types"])) for k, v in entry("lexicon.concepts").items()}


def prior(name: str) -> Any:
    """What the model does when the prompt states nothing (``priors`` section)."""
    return entry(f"priors.{name}")
