"""SchemaEditor: controls write the variant's schema settings; tokens, kept/dropped and recall follow."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from workbench.evaluation.questions import load_question_set
from workbench.prompt.render import Prompt
from workbench.widgets import PromptInspector, SchemaEditor

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture(scope="module")
def compact(small_dataset) -> Prompt:
    return Prompt.load("compact", small_dataset)


@pytest.fixture(scope="module")
def questions():
    return load_question_set(REPO / "questions" / "core.yaml").select(ids=["q001", "q002", "q003", "q004"])


def test_controls_start_from_the_variant(compact: Prompt) -> None:
    ed = SchemaEditor(compact)
    s = compact.variant.schema_
    assert "wb-schema-editor" in ed._dom_classes
    assert ed.prompt is compact
    assert ed.window.value == s.window_days
    assert ed.budget.value == s.token_budget
    assert ed.max_columns.value == s.max_columns
    assert ed.relevance.value == s.relevance
    assert list(ed.pinned.value) == list(s.pinned)
    assert ed.compressed.tokens <= s.token_budget
    assert f"{ed.compressed.tokens:,}" in ed.summary.value


def test_budget_slider_changes_kept_columns_and_the_inspector(compact: Prompt) -> None:
    ed = SchemaEditor(compact)
    inspector = PromptInspector(compact)
    seen = []
    ed.on_change(seen.append)
    ed.observe(lambda ch: setattr(inspector, "prompt", ch["new"]), names="prompt")
    kept, total = len(ed.compressed.kept), inspector.total_tokens

    ed.budget.slider.value = 500

    assert ed.prompt.variant.schema_.token_budget == 500
    assert compact.variant.schema_.token_budget == 1500  # the original is untouched (with_ copies)
    assert ed.compressed.tokens <= 500 and len(ed.compressed.kept) < kept
    assert "budget" in ed.compressed.dropped.values()
    assert seen and seen[-1] is ed.prompt
    assert inspector.prompt is ed.prompt and inspector.total_tokens < total


def test_switching_the_budget_off_and_limits(compact: Prompt) -> None:
    ed = SchemaEditor(compact)
    ed.budget.on.value = False
    ed.max_columns.on.value = False
    assert ed.prompt.variant.schema_.token_budget is None
    assert ed.prompt.variant.schema_.max_columns is None
    ed.window.on.value = False
    assert ed.prompt.variant.schema_.window_days is None
    assert len(ed.compressed.kept) == len(compact.schema)


def test_pinned_excluded_and_format(compact: Prompt) -> None:
    ed = SchemaEditor(compact)
    ed.excluded.value = ["http.route"]
    assert ed.compressed.dropped["http.route"] == "excluded"
    assert ("http.route", "string", "dropped", "excluded by you") in ed.rows()
    ed.format.value = "json"
    assert ed.prompt.variant.schema_.format == "json"
    assert ed.compressed.text.lstrip().startswith("[")
    ed.flags["descriptions"].value = False
    assert ed.prompt.variant.schema_.descriptions is False


def test_search_and_kept_dropped_filter(compact: Prompt) -> None:
    ed = SchemaEditor(compact)
    ed.search.value = "http."
    rows = ed.rows()
    assert rows and all("http." in name for name, *_ in rows)
    ed.search.value = ""
    ed.show.value = "dropped"
    dropped = ed.rows()
    assert dropped and all(status == "dropped" and reason for _, _, status, reason in dropped)
    assert len(dropped) == len(ed.compressed.dropped)
    assert str(len(dropped)) in ed.columns_html.value


def test_relevance_ranks_for_the_preview_question(compact: Prompt) -> None:
    ed = SchemaEditor(compact)
    ed.question.value = "revenue per payment provider"
    assert ed.compressed.scores  # ranked for the question
    assert "app.payment.provider" in ed.compressed.kept
    assert any(reason.startswith("relevance") for *_, reason in ed.rows())


def test_column_recall_on_the_question_set(compact: Prompt, questions) -> None:
    ed = SchemaEditor(compact, questions)
    assert ed.recall is not None and ed.recall.n_questions == len(questions)
    full = ed.recall.recall
    ed.excluded.value = ["duration_ms"]
    assert ed.recall.recall < full
    assert "duration_ms" in ed.recall.misses
    assert "duration_ms" in ed.recall_html.value


def test_setting_the_prompt_from_outside_updates_the_controls(compact: Prompt, small_dataset) -> None:
    ed = SchemaEditor(compact)
    naive = Prompt.load("naive", small_dataset)
    seen = []
    ed.on_change(seen.append)
    ed.prompt = naive
    assert ed.window.value is None and ed.budget.value is None and ed.relevance.value == "none"
    assert ed.prompt is naive  # syncing the controls did not make another prompt
    assert seen == [naive]


def test_bad_question_set_shows_an_error(compact: Prompt) -> None:
    ed = SchemaEditor(compact, questions="no/such/questions.yaml")
    assert ed.error.layout.display is None
    assert "not found" in ed.error.value or "no/such" in ed.error.value
    assert ed.recall is None


def test_the_budget_slider_is_logarithmic_so_the_useful_range_gets_most_of_it(compact: Prompt) -> None:
    ed = SchemaEditor(compact)
    s = ed.budget.slider
    assert type(s).__name__ == "FloatLogSlider" and s.base == 10
    useful = (math.log10(3000) - math.log10(300)) / (s.max - s.min)
    assert useful >= 0.4, f"300-3,000 tokens is only {useful:.0%} of the slider"
    s.value = 487.3  # where a drag lands
    assert ed.budget.value == 490 and ed.prompt.variant.schema_.token_budget == 490
