"""InstructionsEditor: edits reach the prompt, token costs follow, bad conventions are one-line errors, the effect."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from workbench.core.errors import ConfigError
from workbench.prompt.render import Prompt
from workbench.prompt.variant import load_variant
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


@pytest.fixture
def variant_copy(tmp_path: Path) -> Path:
    """``prompts/compact.yaml`` and its instructions file, copied where a save may write."""
    folder = tmp_path / "prompts"
    (folder / "instructions").mkdir(parents=True)
    shutil.copy(REPO / "prompts" / "compact.yaml", folder / "compact.yaml")
    shutil.copy(REPO / "prompts" / "instructions" / "default.md", folder / "instructions" / "default.md")
    return folder / "compact.yaml"


def test_save_writes_the_instructions_and_conventions_to_the_variant_file(
    variant_copy: Path, small_dataset
) -> None:
    ed = InstructionsEditor(Prompt.load(str(variant_copy), small_dataset))
    assert ed.path.value == str(variant_copy.resolve())
    header = variant_copy.read_text().split("\nname:")[0]
    ed.instructions.value += "\nPrefer P95 when no percentile is named."
    ed.conventions.value = conventions_yaml(ed.prompt.variant.conventions) + "slow_op: P95\n"
    ed.save_button.click()
    assert ed.error.layout.display == "none" and "saved to" in ed.status.value, ed.error.value
    saved = load_variant(variant_copy)
    assert saved.instructions.endswith("Prefer P95 when no percentile is named.")
    assert saved.conventions.slow_op == "P95"
    assert (
        saved.schema == ed.original.variant.schema and saved.model == ed.original.variant.model
    )  # the rest kept
    assert variant_copy.read_text().startswith(header)  # the file's own explanation stays
    assert (
        variant_copy.parent / "instructions" / "default.md"
    ).read_text() == ed.original.variant.instructions
    assert not [p for p in variant_copy.parent.iterdir() if p.name.endswith(".tmp")]
    ed.instructions.value += "\nSecond edit."
    ed.save()  # our own earlier save is not "changed on disk"
    assert load_variant(variant_copy).instructions.endswith("Second edit.")


def test_save_refuses_a_file_changed_on_disk_and_loses_nothing(variant_copy: Path, small_dataset) -> None:
    ed = InstructionsEditor(Prompt.load(str(variant_copy), small_dataset))
    variant_copy.write_text(variant_copy.read_text().replace("temperature: 0.0", "temperature: 0.5"))
    changed = variant_copy.read_text()
    ed.instructions.value += "\nMy edit."
    ed.save_button.click()
    assert ed.error.layout.display is None and "changed on disk since it was loaded" in ed.error.value
    assert "\n" not in ed.error.value and "Traceback" not in ed.error.value and "Error" not in ed.error.value
    assert variant_copy.read_text() == changed and ed.instructions.value.endswith("My edit.")  # nothing lost
    other = variant_copy.parent / "compact-p95.yaml"
    ed.path.value = str(other)  # Save as
    ed.save_button.click()
    assert ed.error.layout.display == "none" and str(other.resolve()) in ed.status.value
    saved = load_variant(other)
    assert saved.name == "compact-p95" and saved.instructions.endswith("My edit.")
    assert saved.temperature == 0.0  # the variant as loaded, not the other program's edit
    with pytest.raises(ConfigError, match="exists and was not loaded here"):
        ed.save(REPO / "prompts" / "naive.yaml")  # never over a file the editor did not read
    ed.conventions.value = "slow_op: [P95"
    with pytest.raises(ValueError, match="not valid YAML"):
        ed.save(other)
    assert load_variant(other).instructions.endswith("My edit.")
