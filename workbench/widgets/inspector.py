"""``PromptInspector``: the exact request for a question, its tokens per section, the cacheable prefix and the cost."""

from __future__ import annotations

import json
from typing import Any

import ipywidgets as widgets
import traitlets

from workbench.core.prices import price_data_date, price_data_version, price_for
from workbench.core.templates import render
from workbench.prompt.html import sections_bar
from workbench.prompt.rendered import CACHE_MIN_TOKENS, CACHE_STEP_TOKENS
from workbench.widgets._common import (
    PRE_STYLE,
    clear_error,
    ensure_prompt,
    error_widget,
    fmt_cost,
    show_error,
)

__all__ = ["PromptInspector"]

DEFAULT_QUESTION = "slow endpoints for android users yesterday"
#: models offered for pricing (those genai-prices knows are kept), besides the variant's own
PRICE_MODELS = (
    "gpt-4o-mini",
    "gpt-4o",
    "gpt-4.1-nano",
    "gpt-4.1-mini",
    "gpt-4.1",
    "gpt-5-nano",
    "gpt-5-mini",
    "gpt-5",
)


#: what "price as" shows when the variant's own model is free (the offline model): a common priced model
DEFAULT_PRICE_MODEL = "gpt-4o-mini"


def default_price_model(model: str, offered: list[str]) -> str | None:
    """The variant's own model when it has a price above zero, else ``DEFAULT_PRICE_MODEL`` (if offered)."""
    from workbench.core.prices import cost_usd

    if model in offered and cost_usd(model, 1_000, 1_000):
        return model
    if DEFAULT_PRICE_MODEL in offered:
        return DEFAULT_PRICE_MODEL
    return offered[0] if offered else model


class PromptInspector(widgets.VBox):
    """Show what a prompt sends for a question and what that costs.

    Args:
        prompt: a bound ``Prompt``, or a variant name/path (bound to ``dataset``).
        question: the question to render.
        dataset: the dataset a variant name is bound to.

    ``prompt`` is a trait: set it (e.g. from an editor's change) and the view re-renders.
    ``rendered`` holds the last ``RenderedPrompt``.
    """

    prompt = traitlets.Any()

    def __init__(self, prompt: Any, question: str = DEFAULT_QUESTION, *, dataset: Any = None) -> None:
        super().__init__()
        self.add_class("wb-inspector")
        self.rendered: Any = None
        self.error = error_widget()
        p = ensure_prompt(prompt, dataset)
        self.question = widgets.Text(
            value=question,
            placeholder="Ask a question…",
            description="question",
            continuous_update=False,
            layout=widgets.Layout(width="600px"),
        )
        self.question.add_class("wb-inspector-question")
        models = [m for m in dict.fromkeys([p.variant.model, *PRICE_MODELS]) if price_for(m) is not None]
        self.model = widgets.Dropdown(
            options=models or [p.variant.model], value=default_price_model(p.variant.model, models),
            description="price as",
        )  # fmt: skip
        self.model.add_class("wb-price-as")
        self.completion_tokens = widgets.BoundedIntText(
            value=150,
            min=0,
            max=100_000,
            step=50,
            description="output tok",
            layout=widgets.Layout(width="200px"),
        )
        self.header = widgets.HTML()
        self.tokens_html = widgets.HTML()
        self.tokens_html.add_class("wb-token-bar")
        self.cost_html = widgets.HTML()
        self.cost_html.add_class("wb-cost")
        self.messages_html = widgets.HTML()
        self.messages_html.add_class("wb-messages")
        for w in (self.question, self.model, self.completion_tokens):
            w.observe(lambda _: self.refresh(), names="value")
        self.children = [
            self.error,
            self.question,
            widgets.HBox([self.model, self.completion_tokens]),
            self.header,
            self.tokens_html,
            self.cost_html,
            self.messages_html,
        ]
        self.prompt = p

    @traitlets.observe("prompt")
    def _prompt_changed(self, change: dict[str, Any]) -> None:
        model = change["new"].variant.model
        if model not in self.model.options and price_for(model) is not None:
            self.model.options = [model, *self.model.options]
        self.refresh()

    @property
    def total_tokens(self) -> int | None:
        return None if self.rendered is None else self.rendered.total_tokens

    def refresh(self) -> None:
        """Render the prompt for the question and update every part of the view."""
        question = self.question.value.strip()
        if not question:
            show_error(self.error, "type a question to render the prompt for")
            return
        try:
            r = self.prompt.render(question)
        except Exception as exc:
            show_error(self.error, exc)
            return
        clear_error(self.error)
        self.rendered = r
        v = self.prompt.variant
        self.header.value = render(
            "workbench.widgets", "inspector_header.html.j2", v=v, encoding=r.encoding, tokens=r.total_tokens
        ).rstrip("\n")
        self.tokens_html.value = sections_bar(r.sections, r.total_tokens)
        self._show_cost(r)
        self._show_messages(r)

    def _show_cost(self, r: Any) -> None:
        model, out = self.model.value, self.completion_tokens.value
        cold = r.cost_usd_per_call(out, model=model)
        warm = r.cost_usd_per_call(out, cached=True, model=model)
        price = price_for(model)
        cacheable = (
            f"{r.cacheable_tokens:,} tokens cacheable by the provider"
            if r.cacheable_tokens
            else "under the provider's 1,024-token minimum, so not cached"
        )
        rates = (
            ""
            if price is None
            else (
                f"${price.input:g} in / ${price.cached_input:g} cached / ${price.output:g} out per million tokens"
            )
        )
        per_1k = lambda c: fmt_cost(None if c is None else c * 1000)  # noqa: E731
        own = self.prompt.variant.model
        from workbench.core.prices import cost_usd

        self.cost_html.value = render(
            "workbench.widgets", "inspector_cost.html.j2", r=r, model=model, own=own,
            own_free=not cost_usd(own, 1_000, 1_000), cacheable=cacheable, step=CACHE_STEP_TOKENS,
            min_tokens=CACHE_MIN_TOKENS, out=out, rates=rates, version=price_data_version(), date=price_data_date(),
            rows=[("cold", fmt_cost(cold), per_1k(cold)), ("prefix cached", fmt_cost(warm), per_1k(warm))],
        ).rstrip("\n")  # fmt: skip

    def _show_messages(self, r: Any) -> None:
        extra = r.tools if r.tools is not None else r.response_format
        tools = None
        if extra is not None:
            tools = {
                "label": "tools" if r.tools is not None else "response_format",
                "tokens": r.sections["tools"],
                "text": json.dumps(extra, indent=2, ensure_ascii=False),
            }
        self.messages_html.value = render(
            "workbench.widgets", "inspector_messages.html.j2", messages=r.messages, extra=tools, pre=PRE_STYLE
        ).rstrip("\n")
