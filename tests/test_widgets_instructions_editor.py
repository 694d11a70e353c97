"""InstructionsEditor: edits reach the prompt, token costs follow, bad conventions are one-line errors, the effect."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workbench.prompt.render import Prompt
from workbench.widgets.instructions_editor import InstructionsEditor, conventions_yaml, parse_conventions

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture(scope="module")
def compact(small_dataset) -> Prompt:
    return Prompt.load("compact", small_dataset)


def tokens_of(html: str, name: str) -> int:
    return int(re.search(rf"{name}: <b>([\d,]+)</b> tokens", html).group(1).replace(",", ""))


def test_the_editor_shows_the_instructions_conventions_and_their_token_cost(compact: Prompt) -> None:
    ed = InstructionsEditor(compact)
    assert ed.instructions.value == compact.variant.instructions
    assert parse_conventions(ed.conventions.value) == compact.variant.conventions
    r = compact.render(ed.question.value)
    assert tokens_of(ed.cost.value, "instructions") == r.sections["instructions"]
    assert tokens_of(ed.cost.value, "conventions") == r.sections["conventions"] > 0


def test_an_edit_makes_a_new_prompt_and_its_cost_follows(compact: Prompt) -> None:
    ed = InstructionsEditor(compact)
    seen = []
    ed.on_change(seen.append)
    before = tokens_of(ed.cost.value, "instructions")
    ed.instructions.value += "\nAlways prefer P95 when a percentile is not named, and say so in a note."
    assert seen and seen[-1] is ed.prompt and ed.prompt.variant.instructions.endswith("say so in a note.")
    assert compact.variant.instructions != ed.prompt.variant.instructions  # the original is untouched
    after = tokens_of(ed.cost.value, "instructions")
    assert after > before and f"({after - before:+,} vs the original)" in ed.cost.value
    ed.conventions.value = conventions_yaml(compact.variant.conventions) + "slow_op: P95\n"
    assert ed.prompt.variant.conventions.slow_op == "P95"


@pytest.mark.parametrize(
    ("text", "problem"),
    [("slow_op: [P95", "not valid YAML"), ("- a\n- b", "a mapping"), ("no_such_field: 1", "known fields")],
)
def test_bad_conventions_are_a_one_line_error_and_keep_the_last_good_prompt(compact, text, problem) -> None:
    ed = InstructionsEditor(compact)
    good = ed.prompt
    ed.conventions.value = text
    assert ed.prompt is good and ed.error.layout.display is None
    assert problem in ed.error.value and "\n" not in ed.error.value and "Traceback" not in ed.error.value
    ed.instructions.value = "   "
    assert "instructions are empty" in ed.error.value and ed.prompt is good


def test_try_it_shows_the_effect_of_an_edit_on_the_query(compact: Prompt, small_dataset) -> None:
    ed = InstructionsEditor(compact, dataset=small_dataset)
    before, after = ed.try_it("how many errors in the last hour")
    assert before.spec == after.spec and "does not change the query" in ed.effect.value
    slow = compact.variant.conventions.slow_op
    other = "P50" if slow != "P50" else "P90"
    ed.conventions.value = ed.conventions.value.replace(f"slow_op: {slow}", f"slow_op: {other}")
    before, after = ed.try_it("slowest endpoints yesterday")  # the offline model reads what "slow" means
    assert before.spec != after.spec and "the edit changes the query" in ed.effect.value
    marked = set(re.findall(r"class='wb-clause wb-diff' data-clause='([^']+)'", ed.effect.value))
    assert marked == {"VISUALIZE", "ORDER BY"} and f"original: {slow}(duration_ms)" in ed.effect.value
