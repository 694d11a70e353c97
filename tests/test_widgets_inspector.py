"""PromptInspector: the rendered request, token sections that add up, the cacheable prefix and the cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.core.prices import price_data_date, price_for
from workbench.prompt.render import SECTIONS, Prompt
from workbench.widgets import PromptInspector

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


@pytest.fixture(scope="module")
def compact(small_dataset) -> Prompt:
    return Prompt.load("compact", small_dataset)


def test_renders_messages_and_sections(compact: Prompt) -> None:
    ins = PromptInspector(compact)
    r = ins.rendered
    assert "wb-inspector" in ins._dom_classes
    assert list(r.sections) == list(SECTIONS) and sum(r.sections.values()) == r.total_tokens
    for name in SECTIONS:
        assert name in ins.tokens_html.value
    assert f"{r.stable_prefix_tokens:,}" in ins.cost_html.value
    assert price_data_date() in ins.cost_html.value
    assert "## Question" in ins.messages_html.value and "tools" in ins.messages_html.value


def test_question_and_prompt_changes_re_render(compact: Prompt) -> None:
    ins = PromptInspector(compact, question="errors")
    short = ins.rendered.sections["question"]
    ins.question.value = "slow endpoints for android users on the checkout route yesterday afternoon"
    assert ins.rendered.sections["question"] > short
    total = ins.total_tokens
    ins.prompt = compact.with_(schema={"token_budget": 400})
    assert ins.total_tokens < total


def test_cost_for_a_priced_model(compact: Prompt) -> None:
    ins = PromptInspector(compact)
    model = next(m for m in ins.model.options if m != "offline")
    assert price_for(model) is not None
    ins.model.value = model
    per_call = ins.rendered.cost_usd_per_call(150, model=model)
    assert per_call and per_call > 0
    assert model in ins.cost_html.value
    ins.completion_tokens.value = 1000
    assert "assuming 1000 output tokens" in ins.cost_html.value


def test_empty_question_shows_an_error_not_a_traceback(compact: Prompt) -> None:
    ins = PromptInspector(compact)
    ins.question.value = "   "
    assert ins.error.layout.display is None and "type a question" in ins.error.value
    ins.question.value = "errors by service"
    assert ins.error.layout.display == "none"


def test_price_as_defaults_to_a_priced_model_and_says_so(compact: Prompt) -> None:
    from workbench.widgets.inspector import DEFAULT_PRICE_MODEL

    assert compact.variant.model == "offline"
    ins = PromptInspector(compact)
    assert ins.model.value == DEFAULT_PRICE_MODEL and price_for(DEFAULT_PRICE_MODEL) is not None
    html = ins.cost_html.value
    assert "offline is free: costs shown as if the request went to" in html and DEFAULT_PRICE_MODEL in html
    assert "$0.0000" not in html.split("wb-cost-table", 1)[1].split("</tbody>")[0]  # a real price per call
    r = ins.rendered
    assert f"({r.cacheable_tokens:,} of {r.stable_prefix_tokens:,})" in html and "prompt show" in html
    priced = PromptInspector(compact.with_(model="gpt-4.1-mini"))
    assert priced.model.value == "gpt-4.1-mini" and "wb-price-note" not in priced.cost_html.value
