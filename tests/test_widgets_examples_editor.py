"""ExamplesEditor: rows edit the example set; live findings and tokens; selection; preview; Save writes YAML."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workbench.prompt.examples import load_example_set
from workbench.prompt.render import Prompt
from workbench.widgets import ExamplesEditor

REPO = Path(__file__).resolve().parents[1]
NEW = {
    "calculations": [{"op": "COUNT"}],
    "filters": [{"column": "error", "op": "=", "value": True}],
    "breakdowns": ["cloud.region"],
    "time_range": 86400,
}


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture
def copy_path(tmp_path: Path) -> Path:
    target = tmp_path / "core.yaml"
    shutil.copy(REPO / "prompts" / "examples" / "core.yaml", target)
    return target


@pytest.fixture
def editor(small_dataset, copy_path: Path) -> ExamplesEditor:
    base = Prompt.load("compact", small_dataset)
    return ExamplesEditor(Prompt(base.variant, base.schema, load_example_set(copy_path)))


def test_rows_show_every_example_with_its_checks(editor: ExamplesEditor, copy_path: Path) -> None:
    assert "wb-examples-editor" in editor._dom_classes
    n = len(load_example_set(copy_path))
    assert len(editor.rows_box.children) == n == len(editor.states)
    assert all(s.example is not None and s.tokens > 0 for s in editor.states)
    assert editor.path.value == str(copy_path)
    assert f"<b>{n}</b> examples" in editor.status.value


def test_add_example_and_save_writes_the_yaml(editor: ExamplesEditor, copy_path: Path) -> None:
    seen = []
    editor.on_change(seen.append)
    n = len(editor.example_set)
    i = editor.add_example("errors by region in the last day", NEW)
    assert i == n and len(editor.prompt.example_set) == n + 1
    assert editor.states[i].usable and seen[-1] is editor.prompt
    editor.save_button.click()
    saved = load_example_set(copy_path)
    assert len(saved) == n + 1
    assert saved.examples[-1].question == "errors by region in the last day"
    assert saved.examples[-1].query == NEW
    assert "saved" in editor.status.value and editor.error.layout.display == "none"


def test_unreadable_row_is_left_out_and_blocks_save(editor: ExamplesEditor, copy_path: Path) -> None:
    n = len(editor.example_set)
    before = copy_path.read_text()
    editor.set_example(0, query='{"calculations": [')
    state = editor.states[0]
    assert state.example is None and "not valid JSON" in state.problem
    assert len(editor.prompt.example_set) == n - 1  # left out of the prompt until fixed
    assert len(editor.rows_box.children) == n  # but the row stays for editing
    editor.save_button.click()
    assert editor.error.layout.display is None and "example 1" in editor.error.value
    assert copy_path.read_text() == before
    with pytest.raises(ValueError, match="example 1"):
        editor.save()


def test_invalid_query_shows_findings_and_is_never_selected(editor: ExamplesEditor) -> None:
    editor.set_example(1, query={"calculations": [{"op": "P99", "column": "no.such.column"}]})
    state = editor.states[1]
    assert state.example is not None and not state.usable
    assert any(f.code == "unknown_column" for f in state.findings)
    row = editor.rows[1]
    assert "unknown_column" in row.info.value and "invalid" in row.summary.value
    assert 1 in editor.prompt.invalid_examples


def test_move_and_delete_reorder_the_set(editor: ExamplesEditor) -> None:
    first, second = editor.example_set.examples[:2]
    editor.move(0, 1)
    assert editor.example_set.examples[:2] == (second, first)
    editor.rows[0].down.click()  # the "down" button of row 1
    assert editor.example_set.examples[:2] == (first, second)
    n = len(editor.example_set)
    editor.delete(0)
    assert len(editor.example_set) == n - 1 and editor.example_set.examples[0] == second


def test_selection_settings_and_preview(editor: ExamplesEditor) -> None:
    editor.selection.value = "nearest"
    editor.k.value = 3
    assert editor.prompt.variant.examples.selection == "nearest" and editor.prompt.variant.examples.k == 3
    editor.preview_question.value = "p99 latency of checkout by region"
    chosen = [s for s in editor.preview_selection if s.included]
    assert len(chosen) <= 3 and chosen
    assert all(s.reason.startswith("nearest") for s in chosen)
    assert chosen[0].example.question in editor.preview.value
    editor.budget_on.value = False
    assert editor.prompt.variant.examples.token_budget is None


def test_variant_without_examples_can_pick_a_set(small_dataset) -> None:
    ed = ExamplesEditor(Prompt.load("naive", small_dataset))
    assert ed.example_set is None and "no examples" in ed.status.value
    assert ed.add_button.disabled and ed.add_example("x") == -1
    ed.set_name.value = "core"
    assert ed.example_set is not None and len(ed.rows_box.children) == len(ed.example_set)
    assert ed.prompt.variant.examples.set == "core"


def test_row_edits_update_tokens(editor: ExamplesEditor) -> None:
    before = editor.states[0].tokens
    editor.set_example(0, question=editor.states[0].example.question + " for android users on the web today")
    assert editor.states[0].tokens > before
    assert json.loads(editor.rows[0].query.value) == editor.example_set.examples[0].query


def test_a_compact_list_with_one_editor_open_a_search_and_the_preview_first(editor: ExamplesEditor) -> None:
    rows = editor.rows
    assert rows and not any(r.expanded for r in rows)  # a line per example until one is opened
    for r in rows:
        assert (
            r.question.value.strip()[:20] in r.summary.value.replace("&#x27;", "'")
            and "tokens" in r.summary.value
        )
    rows[2].toggle.value = True  # the pencil
    assert [r.expanded for r in rows].count(True) == 1 and rows[2].expanded
    editor.expand(0)
    assert rows[0].expanded and not rows[2].expanded and not rows[2].toggle.value
    word = rows[3].question.value.split()[-1]
    editor.search.value = word.upper()
    shown = [r for r in rows if r.box.layout.display != "none"]
    assert rows[3] in shown and rows[0] in shown  # the match, and the open row
    assert all(r.expanded or word.lower() in (r.question.value + r.query.value).lower() for r in shown)
    editor.search.value = ""
    assert all(r.box.layout.display != "none" for r in rows)
    assert editor.children.index(editor.preview) < editor.children.index(editor.rows_box)
    assert editor.add_example("new one") == len(rows) and editor.rows[-1].expanded  # a new row opens


def test_each_example_is_checked_against_its_own_question_by_the_critic(editor: ExamplesEditor) -> None:
    from workbench.critic import is_critic_finding

    i = editor.add_example(
        "how many errors in the last hour", {"calculations": [{"op": "COUNT"}], "time_range": 3600}
    )
    state = editor.states[i]
    critic = [f for f in state.findings if is_critic_finding(f.code)]
    assert critic and state.usable  # a warning, not an error: the example stays selectable
    assert (
        "the critic: " in editor.rows[i].summary.value
        and critic[0].message.split()[0] in editor.rows[i].info.value
    )
    editor.set_example(i, query={**NEW, "breakdowns": [], "time_range": 3600})
    assert not any(is_critic_finding(f.code) for f in editor.states[i].findings)
    assert "the critic" not in editor.rows[i].summary.value


def test_the_query_is_shown_and_edited_a_clause_a_line_and_bad_json_keeps_the_text(
    editor: ExamplesEditor, copy_path: Path
) -> None:
    row = editor.rows[0]
    query = editor.example_set.examples[0].query
    lines = row.query.value.splitlines()
    assert json.loads(row.query.value) == query and lines[0] == "{" and lines[-1] == "}"
    for key in query:  # a clause a line
        assert sum(line.startswith(f'  "{key}": ') for line in lines) == 1
    assert row.query.rows == max(4, min(24, len(lines) + 1))  # sized to its content, a line of room
    editor.set_example(0, query=json.dumps(NEW))  # typed on one line: shown a clause a line once it reads
    lines = row.query.value.splitlines()
    assert lines[1:-1] == [
        '  "calculations": [{"op": "COUNT"}],',
        '  "filters": [{"column": "error", "op": "=", "value": true}],',
        '  "breakdowns": ["cloud.region"],',
        '  "time_range": 86400',
    ]
    assert row.query.rows == len(lines) + 1 == 7
    assert editor.example_set.examples[0].query == NEW
    typed = '{\n  "calculations": [{"op": "COUNT"}]\n  "time_range": 60\n}'  # a missing comma
    editor.set_example(0, query=typed)
    assert row.query.value == typed  # nothing lost: the box keeps exactly what was typed
    problem = editor.states[0].problem
    assert "not valid JSON" in problem and "line 3" in problem and "\n" not in problem
    before = copy_path.read_text()
    editor.save_button.click()
    assert "example 1: query is not valid JSON" in editor.error.value and copy_path.read_text() == before
    assert editor.error.value.count("<div") == 1
