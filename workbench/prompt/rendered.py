"""``RenderedPrompt``: one rendered request with its token accounting, cost and JSON/HTML views.

Built by ``render.Prompt.render``; see ``render.py`` for the layout and the sections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.core.findings import Finding
from workbench.prompt.example_selection import SelectedExample
from workbench.schema.compress import CompressedSchema

__all__ = ["CACHE_MIN_TOKENS", "CACHE_STEP_TOKENS", "FOLLOWUP_SECTIONS", "SECTIONS", "RenderedPrompt"]

#: token sections, in the order they appear in the request
SECTIONS: tuple[str, ...] = (
    "instructions",
    "conventions",
    "schema",
    "examples",
    "question",
    "tools",
    "format",
)

#: a follow-up's sections: the current query it changes comes right before the question
FOLLOWUP_SECTIONS: tuple[str, ...] = (*SECTIONS[:4], "current_query", *SECTIONS[4:])

#: OpenAI prompt caching: prefixes of at least 1,024 tokens are cached, in steps of 128 tokens
CACHE_MIN_TOKENS = 1024
CACHE_STEP_TOKENS = 128


@dataclass(frozen=True)
class RenderedPrompt:
    """What is sent to the model for one question, with its token accounting.

    Args:
        question: the question as rendered.
        variant: the variant's name.
        model: the model name the request is for.
        messages: the chat messages (system, then user).
        tools: tool definitions (tool_call mode) or ``None``.
        tool_choice: ``"auto"`` in tool_call mode, else ``None``.
        response_format: the JSON schema response format (json_schema mode) or ``None``.
        body: the exact keyword arguments of ``chat.completions.create``.
        sections: tokens per section (``SECTIONS``, or ``FOLLOWUP_SECTIONS`` with a current query);
            they add up to ``total_tokens``.
        total_tokens: prompt tokens of the request (``tokens.count_request(body).total``).
        stable_prefix_tokens: tokens identical for every question (tools + system message).
        encoding: the tiktoken encoding used.
        selected_examples: examples considered, in prompt order, with reasons (dropped ones included).
        compressed: the schema block and what compression kept and dropped.
        invalid_examples: examples excluded because their query is invalid (index -> findings).
        price: the variant's declared price, USD per million tokens (input, cached input, output).
    """

    question: str
    variant: str
    model: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None
    tool_choice: str | dict[str, Any] | None
    response_format: dict[str, Any] | None
    body: dict[str, Any]
    sections: dict[str, int]
    total_tokens: int
    stable_prefix_tokens: int
    encoding: str
    selected_examples: tuple[SelectedExample, ...] = ()
    compressed: CompressedSchema | None = None
    invalid_examples: dict[int, list[Finding]] = field(default_factory=dict)
    price: tuple[float, float, float] | None = None

    @property
    def system(self) -> str:
        return self.messages[0]["content"]

    @property
    def user(self) -> str:
        return self.messages[-1]["content"]

    @property
    def cacheable_tokens(self) -> int:
        """Tokens a provider cache can serve on a repeat call (the stable prefix, in cache steps)."""
        if self.stable_prefix_tokens < CACHE_MIN_TOKENS:
            return 0
        return self.stable_prefix_tokens // CACHE_STEP_TOKENS * CACHE_STEP_TOKENS

    @property
    def chosen_examples(self) -> list[SelectedExample]:
        return [s for s in self.selected_examples if s.included]

    def cost_usd_per_call(
        self, completion_tokens: int = 150, *, cached: bool = False, model: str | None = None
    ) -> float | None:
        """Money cost of one call (``None`` when the price data lacks the model).

        Args:
            completion_tokens: assumed output tokens.
            cached: bill the stable prefix at the cached-input price (a warm provider cache), as
                OpenAI caches it: nothing under 1,024 tokens, then whole 128-token steps.
            model: price as if sent to this model instead (same token counts).
        """
        from workbench.core.prices import cost_usd

        cached_tokens = self.cacheable_tokens if cached else 0
        if model is None and self.price is not None:  # the variant declared it
            per_input, per_cached, per_output = self.price
            uncached = self.total_tokens - cached_tokens
            return (uncached * per_input + cached_tokens * per_cached + completion_tokens * per_output) / 1e6
        return cost_usd(
            model or self.model, self.total_tokens, completion_tokens, cached_tokens=cached_tokens
        )

    def cost_usd_per_1000_calls(
        self, completion_tokens: int = 150, *, cached: bool = False, model: str | None = None
    ) -> float | None:
        one = self.cost_usd_per_call(completion_tokens, cached=cached, model=model)
        return None if one is None else one * 1000

    def to_dict(self, completion_tokens: int = 150) -> dict[str, Any]:
        """JSON for ``prompt show --json``: messages, tools, tokens, encoding, plus examples, schema and cost."""
        from workbench.core.prices import price_data_date
        from workbench.core.tokens import model_encoding

        per_call = self.cost_usd_per_call(completion_tokens)
        compressed = self.compressed
        return {
            "question": self.question,
            "variant": self.variant,
            "model": self.model,
            "messages": self.messages,
            "tools": self.tools,
            "tool_choice": self.tool_choice,
            "response_format": self.response_format,
            "params": {
                k: v
                for k, v in self.body.items()
                if k not in ("messages", "tools", "tool_choice", "response_format")
            },
            "tokens": {
                "total": self.total_tokens,
                "sections": dict(self.sections),
                "stable_prefix": self.stable_prefix_tokens,
                "estimated": model_encoding(self.model) is None,
            },
            "encoding": self.encoding,
            "stable_prefix_tokens": self.stable_prefix_tokens,
            "examples": [s.to_dict() for s in self.selected_examples],
            "invalid_examples": {
                str(i): [f.to_dict() for f in fs] for i, fs in self.invalid_examples.items()
            },
            "schema": None if compressed is None else _compressed_summary(compressed),
            "cost_usd": {
                "completion_tokens": completion_tokens,
                "per_call": per_call,
                "per_1000_calls": None if per_call is None else per_call * 1000,
                "price_data_date": price_data_date(),
            },
        }

    def _repr_html_(self) -> str:
        from workbench.prompt.html import rendered_html

        return rendered_html(self)


def _compressed_summary(c: CompressedSchema) -> dict[str, Any]:
    return {
        "kept": len(c.kept),
        "dropped": len(c.dropped),
        "tokens": c.tokens,
        "over_budget": bool(getattr(c, "over_budget", False)),
        "depends_on_question": bool(c.depends_on_question),
    }
