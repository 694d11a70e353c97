"""Example sets: YAML round trip, validation against a schema, selection and its reasons, token budget."""

from __future__ import annotations

import difflib
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from workbench.core.errors import ConfigError
from workbench.core.tokens import count_tokens
from workbench.prompt.example_selection import (
    ExampleSettings,
    SelectedExample,
    format_examples,
    select_examples,
)
from workbench.prompt.examples import Example, ExampleSet, load_example_set, validate_examples
from workbench.schema.columns import ColumnInfo, Schema

REPO = Path(__file__).resolve().parents[1]
CORE = REPO / "prompts" / "examples" / "core.yaml"
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def tiny_schema() -> Schema:
    recent = NOW - timedelta(hours=1)
    return Schema(
        columns=(
            ColumnInfo(
                "service.name", "string", "Service.", recent, 3, ("cart",), ("cart", "checkout", "search")
            ),
            ColumnInfo("duration_ms", "float", "Span duration in ms.", recent, 900, (12.0,)),
            ColumnInfo("error", "boolean", "True on failed spans.", recent, 2, (False, True), (False, True)),
            ColumnInfo(
                "app.platform", "string", "Client platform.", recent, 3, ("ios",), ("android", "ios", "web")
            ),
        ),
        now=NOW,
    )


HAND_MADE = ExampleSet(
    name="hand",
    examples=(
        Example("how many errors per service in the last hour",
                {"calculations": [{"op": "COUNT"}], "filters": [{"column": "error", "op": "=", "value": True}],
                 "breakdowns": ["service.name"], "time_range": 3600}),
        Example("p99 latency for android users yesterday",
                {"calculations": [{"op": "P99", "column": "duration_ms"}],
                 "filters": [{"column": "app.platform", "op": "=", "value": "android"}],
                 "start_time": 1795046400, "end_time": 1795132800}),
        Example("average duration by platform",
                {"calculations": [{"op": "AVG", "column": "duration_ms"}], "breakdowns": ["app.platform"]}),
        Example("count of spans from the cart service",
                {"calculations": [{"op": "COUNT"}], "filters": [{"column": "service.name", "op": "=", "value": "cart"}]}),
        Example("max duration for ios in the last 3 hours",
                {"calculations": [{"op": "MAX", "column": "duration_ms"}],
                 "filters": [{"column": "app.platform", "op": "=", "value": "ios"}], "time_range": 10800}),
    ),
)  # fmt: skip


# --------------------------------------------------------------------------- loading and saving


def test_core_set_loads_with_15_to_30_examples() -> None:
    core = load_example_set(CORE)
    assert core.name == "core"
    assert 15 <= len(core) <= 30
    assert len({e.question for e in core}) == len(core)
    assert re.fullmatch(r"[0-9a-f]{64}", core.content_hash)


def test_load_by_name_uses_prompts_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert load_example_set("core").examples == load_example_set(CORE).examples


def test_save_round_trip_is_identical(tmp_path: Path) -> None:
    core = load_example_set(CORE)
    out = core.save(tmp_path / "copy.yaml")
    again = load_example_set(out)
    assert again.examples == core.examples and again.description == core.description
    assert again.content_hash == core.content_hash
    assert out.read_text() == CORE.read_text()  # the shipped file is in save()'s own format


def test_save_keeps_order_notes_and_awkward_values(tmp_path: Path) -> None:
    odd = ExampleSet(
        name="odd",
        examples=(
            Example("z: first? #1", {"limit": 5, "calculations": [{"op": "COUNT"}]}, note="keeps: notes"),
            Example("'quoted' \"too\"", {"filters": [{"column": "x", "op": "=", "value": 1e-05}]}),
            Example("yes", {"filters": [{"column": "on", "op": "=", "value": "no"}]}),
        ),
    )
    path = odd.save(tmp_path / "odd.yaml")
    again = load_example_set(path)
    assert again.examples == odd.examples
    assert list(again.examples[0].query) == ["limit", "calculations"]
    assert yaml.safe_load(path.read_text())["examples"][0]["note"] == "keeps: notes"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("examples:\n  - question: q\n    querry: {}\n", "unknown key (did you mean 'query'?)"),
        ("examples:\n  - query: {}\n", "examples[0].question: missing or empty"),
        ("examples:\n  - question: q\n    query: [1]\n", "examples[0].query: expected a query specification"),
        ("exmples: []\n", "expected a mapping with an 'examples' list"),
        ("examples: []\nextra: 1\n", "extra: unknown key"),
        ("examples:\n  - question: q\n    query: {a: [\n", "YAML syntax error at line"),
    ],
)
def test_load_errors_name_file_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)) as info:
        load_example_set(path)
    assert "bad.yaml" in str(info.value)


def test_missing_set_lists_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    with pytest.raises(ConfigError, match=r"available sets: .*core"):
        load_example_set("no-such-set")


def test_a_set_named_in_a_variant_is_found_beside_the_variant_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shared experiment folder (variant + examples/) works from any working directory."""
    from workbench.prompt.render import Prompt

    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "core.yaml").write_text(
        "name: mine\nexamples:\n  - question: errors by service\n"
        "    query: {calculations: [{op: COUNT}], breakdowns: [service.name], filters: [{column: error, op: '=', value: true}]}\n"
    )
    variant = tmp_path / "v.yaml"
    variant.write_text(
        (REPO / "prompts" / "compact.yaml")
        .read_text()
        .replace("instructions_file: instructions/default.md", "instructions: Be brief.")
    )
    monkeypatch.chdir(REPO)  # the project has its own prompts/examples/core.yaml: the variant's wins
    prompt = Prompt(variant, tiny_schema())
    assert prompt.example_set is not None and prompt.example_set.name == "mine"
    assert load_example_set("core").name != "mine"


# --------------------------------------------------------------------------- validation


def test_invalid_example_is_reported_with_findings_and_never_selected() -> None:
    bad = Example(
        "p99 of a column that does not exist", {"calculations": [{"op": "P99", "column": "latency"}]}
    )
    broken = Example(
        "an op that does not exist", {"calculations": [{"op": "MEDIAN", "column": "duration_ms"}]}
    )
    example_set = ExampleSet("mixed", (*HAND_MADE.examples[:2], bad, broken))
    invalid = validate_examples(example_set, tiny_schema())
    assert sorted(invalid) == [2, 3]
    assert all(any(f.severity == "error" for f in fs) for fs in invalid.values())
    assert any("latency" in f.message for f in invalid[2])
    assert example_set.usable(tiny_schema()) == list(HAND_MADE.examples[:2])
    for selection in ("all", "first", "random", "nearest"):
        picked = select_examples(
            example_set, ExampleSettings(selection=selection, k=4), "p99 latency", exclude=invalid
        )
        assert {s.index for s in picked} == {0, 1}


# --------------------------------------------------------------------------- selection


def test_settings_are_strict_and_know_when_they_depend_on_the_question() -> None:
    with pytest.raises(ValidationError):
        ExampleSettings(selection="closest")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        ExampleSettings(kk=3)  # type: ignore[call-arg]
    assert set(ExampleSettings.model_fields) == {"set", "selection", "k", "seed", "token_budget"}
    assert ExampleSettings(selection="nearest").depends_on_question
    assert not ExampleSettings(selection="random").depends_on_question
    assert not ExampleSettings(set=None, selection="nearest").depends_on_question


def test_all_and_first() -> None:
    every = select_examples(HAND_MADE, ExampleSettings(selection="all", k=2), None)
    assert [s.index for s in every] == [0, 1, 2, 3, 4]
    first = select_examples(HAND_MADE, ExampleSettings(selection="first", k=2), None)
    assert [s.index for s in first] == [0, 1]
    assert first[0].reason == "first 2"
    assert select_examples(HAND_MADE, ExampleSettings(set=None), "q") == []


def test_random_is_deterministic_for_a_seed_and_varies_with_it() -> None:
    picks = {
        seed: [
            s.index for s in select_examples(HAND_MADE, ExampleSettings(selection="random", k=3, seed=seed))
        ]
        for seed in range(6)
    }
    again = [s.index for s in select_examples(HAND_MADE, ExampleSettings(selection="random", k=3, seed=3))]
    assert again == picks[3]
    assert len({tuple(p) for p in picks.values()}) > 1
    assert all(p == sorted(p) and len(p) == 3 for p in picks.values())  # prompt order = set order
    # pinned expectation: random.Random(seed).sample is the same in every process and platform
    assert picks[0] == sorted(__import__("random").Random(0).sample(range(5), 3))
    reason = select_examples(HAND_MADE, ExampleSettings(selection="random", k=1, seed=7))[0].reason
    assert reason == "random (seed 7)"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("p99 latency for ios users yesterday", [1, 4]),  # same shape, value masked
        ("how many errors per service in the last 2 hours", [0, 4]),  # then the same time phrase
        ("average duration per platform", [2]),
    ],
)
def test_nearest_returns_the_expected_neighbours(question: str, expected: list[int]) -> None:
    picked = select_examples(
        HAND_MADE,
        ExampleSettings(selection="nearest", k=len(expected)),
        question,
        mask_values=["android", "ios", "cart"],
    )
    assert [s.index for s in reversed(picked)] == expected  # most similar comes last, next to the question
    assert picked[-1].reason.startswith("nearest #1, similarity ")
    assert picked[-1].score == max(s.score for s in picked)


def test_nearest_is_deterministic_with_ties() -> None:
    twins = ExampleSet("twins", (HAND_MADE.examples[2], HAND_MADE.examples[2], HAND_MADE.examples[2]))
    picked = select_examples(twins, ExampleSettings(selection="nearest", k=2), "average duration by platform")
    assert [s.index for s in reversed(picked)] == [0, 1]


def test_nearest_needs_a_question() -> None:
    with pytest.raises(ConfigError, match="needs the question"):
        select_examples(HAND_MADE, ExampleSettings(selection="nearest"), None)


@pytest.mark.parametrize("budget", [0, 40, 90, 150, 400])
def test_token_budget_is_respected_and_drops_are_explained(budget: int) -> None:
    picked = select_examples(HAND_MADE, ExampleSettings(selection="all", token_budget=budget), None)
    block = format_examples(picked)
    assert count_tokens(block) <= budget
    assert len(picked) == len(HAND_MADE)  # dropped ones stay listed, with the reason
    for s in picked:
        assert s.included == (not s.reason.startswith("dropped: over token budget"))
        assert s.tokens == count_tokens(s.example.render())
    if budget >= count_tokens(format_examples(HAND_MADE.examples)):
        assert all(s.included for s in picked)


def test_format_examples_layout() -> None:
    kept = SelectedExample(HAND_MADE.examples[0], 0)
    dropped = SelectedExample(HAND_MADE.examples[1], 1, included=False, reason="dropped: over token budget")
    block = format_examples([kept, dropped, SelectedExample(HAND_MADE.examples[2], 2)])
    pairs = block.split("\n\n")
    assert len(pairs) == 2
    for pair, ex in zip(pairs, (HAND_MADE.examples[0], HAND_MADE.examples[2]), strict=True):
        q, a = pair.split("\n")
        assert q == f"Q: {ex.question}"
        assert a.startswith("A: {") and " " not in a.removeprefix("A: ").replace('", "', "")[:30]
        assert yaml.safe_load(a.removeprefix("A: ")) == ex.query
    assert format_examples([]) == ""


# --------------------------------------------------------------------------- the shipped core set


def test_every_core_example_is_valid_on_the_generated_dataset(small_schema) -> None:
    core = load_example_set(CORE)
    invalid = validate_examples(core, small_schema)
    assert invalid == {}, {core.examples[i].question: [str(f) for f in fs] for i, fs in invalid.items()}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def test_core_questions_are_distinct_from_the_evaluation_questions() -> None:
    data = yaml.safe_load((REPO / "questions" / "core.yaml").read_text())
    evaluation = [q["question"] for q in data["questions"]]
    golds = [json.dumps(q["gold"], sort_keys=True) for q in data["questions"]]
    examples = list(load_example_set(CORE))
    assert evaluation and examples  # both sets ship: an empty one would make this test vacuous
    for example in examples:
        for question in evaluation:
            a, b = example.question.lower(), question.lower()
            ratio = difflib.SequenceMatcher(None, a, b).ratio()
            jaccard = len(_words(a) & _words(b)) / max(len(_words(a) | _words(b)), 1)
            assert ratio < 0.75 and jaccard < 0.5, (example.question, question)
        assert json.dumps(example.query, sort_keys=True) not in golds, example.question


def test_ranking_reuses_the_candidates_vectors_and_matches_a_fresh_index() -> None:
    from workbench.core import text

    candidates = ["p99 latency for ios users", "errors per service", "total revenue by region"]
    mask = frozenset({"ios"})
    first = text.rank_by_similarity("latency of android users", candidates, mask)
    before = text._index.cache_info()
    second = text.rank_by_similarity("errors by service last hour", candidates, mask)
    after = text._index.cache_info()
    assert after.hits == before.hits + 1 and after.misses == before.misses  # built once per candidate set
    text._index.cache_clear()
    assert text.rank_by_similarity("errors by service last hour", candidates, mask) == second
    assert first[0][0] == 0 and second[0][0] == 1  # the most similar first
