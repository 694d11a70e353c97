"""Workbench: every view in tabs, and edits reach the inspector, the side-by-side column and the dashboard."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.evaluation.questions import load_question_set
from workbench.widgets import Workbench
from workbench.widgets._common import with_class

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture(scope="module")
def questions():
    return load_question_set(REPO / "questions" / "core.yaml").select(ids=["q004", "q005"])


@pytest.fixture
def app(questions, small_dataset, tmp_path) -> Workbench:
    return Workbench(("honeycomb", "compact"), questions, small_dataset, store=tmp_path / "runs.duckdb")


def test_tabs_hold_every_view(app: Workbench) -> None:
    assert "wb-workbench" in app._dom_classes
    for css in ("wb-side-by-side", "wb-schema-editor", "wb-examples-editor", "wb-inspector", "wb-dashboard"):
        assert len(with_class(app, css)) == 1, css
    assert len(app.tabs.children) == 6 and app.tabs.titles[0] == "Side by side"
    assert app.schema_editor.prompt is app.prompt is app.prompts[0]


def test_schema_edit_reaches_every_view(app: Workbench) -> None:
    app.variant.value = 1  # edit compact
    assert app.schema_editor.prompt is app.prompts[1] and app.inspector.prompt is app.prompts[1]
    total = app.inspector.total_tokens
    app.schema_editor.budget.slider.value = 400
    edited = app.prompt
    assert edited.variant.schema_.token_budget == 400
    assert app.inspector.prompt is edited and app.inspector.total_tokens < total
    assert app.examples_editor.prompt is edited
    assert app.side_by_side.columns[1].prompt is edited
    assert app.side_by_side.columns[0].prompt.variant.name == "honeycomb"
    assert app.dashboard.prompts[1] is edited


def test_examples_edit_keeps_the_schema_edit(app: Workbench) -> None:
    app.schema_editor.max_columns.slider.value = 10
    app.examples_editor.k.value = 2
    p = app.prompt
    assert p.variant.examples.k == 2 and p.variant.schema_.max_columns == 10
    assert app.schema_editor.prompt is p and app.inspector.prompt is p
    assert app.schema_editor.max_columns.value == 10


def test_switching_variant_shows_it_everywhere(app: Workbench) -> None:
    app.schema_editor.budget.slider.value = 700  # an edit of honeycomb
    app.variant.value = 1
    assert app.schema_editor.budget.value == 1500  # compact's own
    app.variant.value = 0
    assert app.schema_editor.budget.value == 700  # honeycomb kept its edit


def test_side_by_side_asks_the_edited_variants(app: Workbench, questions) -> None:
    app.schema_editor.budget.slider.value = 500
    answers = app.side_by_side.ask(questions["q004"].question)
    assert len(answers) == 2
    assert answers[0] is not None and answers[0].rendered.sections["schema"] <= 500


def test_bad_variant_is_reported_not_raised(questions, small_dataset) -> None:
    app = Workbench(("compact", "does-not-exist"), questions, small_dataset)
    assert "does-not-exist" in app.error.value and app.error.layout.display is None
    assert len(app.prompts) == 1 and len(app.side_by_side.columns) == 1
