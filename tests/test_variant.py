"""Prompt variants: loading with clear errors, YAML round trip, with_() copies, hashing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from workbench.core.errors import ConfigError
from workbench.prompt.example_selection import ExampleSettings
from workbench.prompt.variant import PromptVariant, available_variants, load_variant, variant_from_yaml
from workbench.schema.compress import SchemaSettings

REPO = Path(__file__).resolve().parents[1]
PROMPTS = REPO / "prompts"
SHIPPED = ("naive", "honeycomb", "compact")


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def write(tmp_path: Path, text: str, name: str = "v.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- shipped variants


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_variants_load_by_name_and_path(name: str) -> None:
    v = load_variant(name)
    assert v.name == name and v.model == "offline" and v.temperature == 0.0
    assert v == load_variant(PROMPTS / f"{name}.yaml")
    assert v.instructions == (PROMPTS / "instructions" / "default.md").read_text()
    assert v.source == (PROMPTS / f"{name}.yaml").resolve()


def test_shipped_variants_are_the_three_recipes() -> None:
    assert set(SHIPPED) <= set(available_variants())
    naive, honeycomb, compact = (load_variant(n) for n in SHIPPED)
    assert (
        naive.schema.window_days is None and naive.schema.relevance == "none" and naive.examples.set is None
    )
    assert honeycomb.schema.window_days == 7 and honeycomb.examples.selection == "first"
    assert not honeycomb.depends_on_question
    assert compact.schema.relevance != "none" and compact.schema.token_budget is not None
    assert compact.examples.selection == "nearest" and compact.depends_on_question


def test_default_instructions_teach_the_conventions_and_refusals() -> None:
    from workbench.prompt.conventions import render_conventions

    variant = load_variant("naive")  # the conventions are a structured block, rendered after the instructions
    text = variant.instructions + "\n" + render_conventions(variant.conventions)
    for phrase in ("1209600", "start_time", "end_time", "7200", "duration_ms", "P99", "error = true",
                   ">= 500", ">= 400", "< 500", "user.id", "COUNT_DISTINCT", "app.order.total_usd",
                   "trace.parent_id does-not-exist", "limit", "breakdown", "granularity",
                   "delete", "secrets", "plain text", "do not invent"):  # fmt: skip
        assert phrase in text, phrase


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\noutput_mode: tools\ninstructions: hi\n",
         "v.yaml line 2: output_mode: 'tools' is not one of tool_call, json_schema, plain_json (fix the value)"),
        ("name: x\ntemprature: 0.2\ninstructions: hi\n",
         "v.yaml line 2: temprature: unknown key (did you mean 'temperature'?)"),
        ("name: x\ninstructions: hi\nschema:\n  windw_days: 7\n",
         "v.yaml line 4: schema.windw_days: unknown key (did you mean 'window_days'?)"),
        ("name: x\ninstructions: hi\nexamples:\n  selection: closest\n",
         "examples.selection: 'closest' is not one of all, first, random, nearest (fix the value)"),
        ("name: x\ninstructions: hi\nschema:\n  format: xml\n",
         "schema.format: 'xml' is not one of lines, json, ddl (fix the value)"),
        ("name: x\ninstructions: hi\ntemperature: hot\n", "temperature: input should be a valid number"),
        ("name: x\ninstructions: hi\nexamples: {k: 0}\n", "examples.k: input should be greater than or equal to 1"),
        ("name: x\n", "instructions: missing (add it)"),
        ("name: x\ninstructions_file: nowhere.md\n", "instructions_file: 'nowhere.md' not found"),
        ("name: x\ninstructions: hi\n  oops: [\n", "v.yaml: YAML syntax error at line 3"),
        ("- just\n- a list\n", "a prompt variant must be a YAML mapping"),
    ],
)  # fmt: skip
def test_load_errors_are_one_line_with_file_key_and_fix(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_variant(write(tmp_path, text))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_missing_variant_lists_the_available_ones() -> None:
    with pytest.raises(ConfigError, match=r"available variants: .*compact"):
        load_variant("no-such-variant")


def test_name_defaults_to_the_file_stem(tmp_path: Path) -> None:
    assert load_variant(write(tmp_path, "instructions: hi\n", "my-variant.yaml")).name == "my-variant"


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("name", SHIPPED)
def test_dump_load_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    v = load_variant(name)
    again = variant_from_yaml(v.dump(), base_dir=PROMPTS)
    assert again == v and again.variant_hash == v.variant_hash
    monkeypatch.chdir(tmp_path)  # outside the project: prompts/instructions/ is out of reach
    saved = v.with_(temperature=0.3).save(tmp_path / "copy.yaml")
    copy = load_variant(saved)
    assert copy == v.with_(temperature=0.3)
    # the shared instructions file is not reachable from the copy: the text was written inline
    assert "instructions: |" in saved.read_text()


def test_dump_is_stable_and_human_editable() -> None:
    v = load_variant("compact")
    text = v.dump()
    assert text == v.dump()
    keys = list(yaml.safe_load(text))
    assert keys[:3] == ["name", "description", "model"] and keys[-1] == "instructions_file"
    inline = v.with_(instructions="Line one.\nLine two.\n").dump()
    assert "instructions: |\n  Line one.\n  Line two.\n" in inline
    assert list(yaml.safe_load(inline))[-1] == "instructions"


def test_save_next_to_prompts_keeps_the_instructions_reference(tmp_path: Path) -> None:
    (tmp_path / "instructions").mkdir()
    (tmp_path / "instructions" / "default.md").write_text(load_variant("naive").instructions)
    saved = load_variant("naive").save(tmp_path / "naive.yaml")
    assert "instructions_file: instructions/default.md" in saved.read_text()
    assert load_variant(saved) == load_variant("naive")


# --------------------------------------------------------------------------- copies and hashes


def test_with_returns_a_copy_and_merges_nested_settings() -> None:
    v = load_variant("honeycomb")
    w = v.with_(temperature=0.7, schema={"token_budget": 800}, examples={"k": 3})
    assert v.temperature == 0.0 and v.schema.token_budget is None and v.examples.k == 8
    assert w.temperature == 0.7 and w.schema.token_budget == 800 and w.schema.window_days == 7
    assert w.examples.k == 3 and w.examples.selection == "first"
    assert w.source == v.source
    assert v.with_(schema=SchemaSettings(relevance="lexical")).schema.relevance == "lexical"
    assert v.with_(examples=ExampleSettings(set=None)).examples.set is None


def test_with_validates_and_rejects_unknown_keys() -> None:
    v = load_variant("naive")
    with pytest.raises(ConfigError, match=r"temprature: unknown key \(did you mean 'temperature'\?\)"):
        v.with_(temprature=1.0)
    with pytest.raises(ConfigError, match="output_mode: 'xml' is not one of"):
        v.with_(output_mode="xml")


def test_with_instructions_drops_the_file_reference() -> None:
    v = load_variant("naive").with_(instructions="Be brief.")
    assert v.instructions == "Be brief." and v.instructions_file is None
    assert "instructions: Be brief." in v.dump()


def test_variant_is_frozen() -> None:
    v = load_variant("naive")
    with pytest.raises(ValidationError):
        v.temperature = 1.0  # type: ignore[misc]


def test_variant_hash_tracks_every_setting_that_reaches_the_request() -> None:
    v = load_variant("compact")
    assert re.fullmatch(r"[0-9a-f]{64}", v.variant_hash)
    assert v.variant_hash == load_variant("compact").variant_hash
    changed = {
        v.with_(temperature=0.1).variant_hash,
        v.with_(schema={"token_budget": 500}).variant_hash,
        v.with_(examples={"seed": 1}).variant_hash,
        v.with_(instructions=v.instructions + " ").variant_hash,
    }
    assert v.variant_hash not in changed and len(changed) == 4
    # where the instructions came from does not matter, only their text
    assert v.with_(instructions=v.instructions).variant_hash == v.variant_hash
    assert hash(v) == hash(load_variant("compact"))


def test_construct_in_code() -> None:
    v = PromptVariant(name="mine", instructions="Answer with a query.", schema={"window_days": 7})
    assert v.schema.window_days == 7 and v.examples.set == "core" and v.output_mode == "tool_call"
    assert variant_from_yaml(v.dump()) == v
