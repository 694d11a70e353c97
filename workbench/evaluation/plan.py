"""Before an eval runs: how many model calls it makes, the prompt tokens it sends, and what it may cost.

Every request is rendered exactly as the eval will send it (no model is called), so the
prompt tokens are exact. The money is a bound, not a guess: input at full price (and, for
comparison, with the stable prefix served from a warm provider cache), plus output at the
variant's ``max_tokens`` for every call. The response cache and early stops only lower it;
a variant with ``repair: true`` may add up to one call per trial, counted in ``max_calls``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from workbench.core.format import money
from workbench.core.prices import cost_usd, price_data_date
from workbench.core.tokens import model_encoding

__all__ = ["EvalPlan", "VariantPlan", "plan_eval"]


@dataclass(frozen=True)
class VariantPlan:
    """One variant's share of an eval, before it runs."""

    name: str
    model: str
    calls: int  # questions x trials
    max_calls: int  # with a repair call for every trial, when the variant repairs
    prompt_tokens: int  # sent over all calls (exact)
    cacheable_tokens: int  # of those, what a warm provider cache could serve
    max_output_tokens: int | None  # max_tokens x max_calls (None: the variant sets no max_tokens)
    input_usd: float | None  # input at full price; None when the price data lacks the model
    input_cached_usd: float | None  # input with the stable prefix cached
    max_output_usd: float | None  # output at max_tokens for every call
    #: the model has no tiktoken encoding: the prompt tokens are an o200k estimate (and a strict
    #: json_schema counted as prompt text, which a server like llama.cpp turns into a grammar instead)
    tokens_estimated: bool = False

    @property
    def max_usd(self) -> float | None:
        """What the variant can cost at most (input at full price + every call at max_tokens)."""
        if self.input_usd is None or self.max_output_usd is None:
            return None
        return self.input_usd + self.max_output_usd


@dataclass(frozen=True)
class EvalPlan:
    """The calls, tokens and money bound of an eval over ``questions`` x ``trials`` per variant."""

    questions: int
    trials: int
    variants: tuple[VariantPlan, ...]

    @property
    def calls(self) -> int:
        return sum(v.calls for v in self.variants)

    @property
    def max_usd(self) -> float | None:
        bounds = [v.max_usd for v in self.variants]
        return None if any(b is None for b in bounds) else sum(b for b in bounds if b is not None)

    @property
    def free(self) -> bool:
        """True when every variant's model costs nothing (the offline model)."""
        return all(v.input_usd == 0 and v.max_output_usd in (0, None) for v in self.variants)

    def with_trials(self, trials: int) -> EvalPlan:
        """The same plan for another number of trials (calls, tokens and money are linear in it)."""
        f = trials / self.trials

        def scale(x: Any) -> Any:
            return None if x is None else round(x * f) if isinstance(x, int) else x * f

        variants = tuple(
            replace(v, **{k: scale(getattr(v, k)) for k in (
                "calls", "max_calls", "prompt_tokens", "cacheable_tokens", "max_output_tokens",
                "input_usd", "input_cached_usd", "max_output_usd")})
            for v in self.variants
        )  # fmt: skip
        return EvalPlan(self.questions, trials, variants)

    def lines(self) -> list[str]:
        """The plan as text: one line per variant, then the total."""
        out = []
        for v in self.variants:
            calls = f"{v.calls:,} calls" + (
                f" (up to {v.max_calls:,} with repairs)" if v.max_calls > v.calls else ""
            )
            cost_text = _money_text(v)
            estimate = " (estimate)" if v.tokens_estimated else ""
            out.append(
                f"{v.name} ({v.model}): {calls}, {v.prompt_tokens:,} prompt tokens{estimate}; {cost_text}"
            )
        total = self.max_usd
        bound = (
            "not bounded (a model the price data lacks, or a variant without max_tokens)"
            if total is None
            else f"at most ${total:,.2f}"
        )
        out.append(
            f"total: {self.calls:,} calls over {self.questions} questions x {self.trials} trial(s); cost {bound} "
            f"(prices of {price_data_date()})"
        )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions": self.questions,
            "trials": self.trials,
            "calls": self.calls,
            "max_usd": self.max_usd,
            "price_data_date": price_data_date(),
            "variants": [{**v.__dict__, "max_usd": v.max_usd} for v in self.variants],
        }


def plan_eval(questions: Any, prompts: Sequence[Any], trials: int = 1) -> EvalPlan:
    """Render every question for every prompt (no model call) and add up calls, tokens and the money bound."""
    if trials < 1:
        raise ValueError("trials must be at least 1")
    qs = list(questions)
    plans = []
    for prompt in prompts:
        variant = prompt.variant
        model = variant.model
        calls = len(qs) * trials
        max_calls = calls * (2 if variant.repair else 1)
        prompt_tokens = cacheable = 0
        input_usd: float | None = 0.0
        cached_usd: float | None = 0.0
        for q in qs:
            rendered = prompt.render(q.question)
            prompt_tokens += rendered.total_tokens * trials
            cacheable += rendered.cacheable_tokens * trials
            input_usd = _add(input_usd, rendered.cost_usd_per_call(0), trials)
            cached_usd = _add(cached_usd, rendered.cost_usd_per_call(0, cached=True), trials)
        max_out = None if variant.max_tokens is None else variant.max_tokens * max_calls
        out_usd = None if max_out is None else cost_usd(model, 0, max_out)
        if variant.price is not None and max_out is not None:  # declared: the renders priced the input
            out_usd = max_out * variant.price.output / 1e6
        plans.append(
            VariantPlan(
                name=variant.name,
                model=model,
                calls=calls,
                max_calls=max_calls,
                prompt_tokens=prompt_tokens,
                cacheable_tokens=cacheable,
                max_output_tokens=max_out,
                input_usd=input_usd,
                input_cached_usd=cached_usd,
                max_output_usd=out_usd,
                tokens_estimated=model_encoding(model) is None,
            )
        )
    return EvalPlan(len(qs), trials, tuple(plans))


def _add(total: float | None, one: float | None, times: int) -> float | None:
    return None if total is None or one is None else total + one * times


def _money_text(v: VariantPlan) -> str:
    if v.input_usd is None:
        return f"cost unknown: {v.model!r} is not in the price data"
    if v.input_usd == 0 and not v.max_output_usd:
        return "free"
    cached = (
        f", {money(v.input_cached_usd)} with the stable prefix cached"
        if v.input_cached_usd != v.input_usd
        else ""
    )
    output = (
        "output unbounded (no max_tokens)"
        if v.max_output_usd is None
        else f"output at most {money(v.max_output_usd)} ({v.max_output_tokens:,} tokens at max_tokens)"
    )
    return f"input {money(v.input_usd)}{cached}; {output}"
