"""Money cost per model call from genai-prices' maintained price table (bundled, offline).

No price is typed into this module: every number comes from the genai-prices data shipped
inside the installed package. Its background updater (``UpdatePrices``) fetches from the
network and is never started here. The built-in ``offline`` model costs nothing.

genai-prices does not stamp its bundled snapshot with a date, so :func:`price_data_date`
reports the newest price change recorded in the bundled data (not after today), and
:func:`price_data_version` the package version the data came with.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

__all__ = ["ModelPrice", "cost_usd", "price_data_date", "price_data_version", "price_for"]

OFFLINE_MODELS = frozenset({"offline"})


@dataclass(frozen=True)
class ModelPrice:
    """Prices of one model, in USD per million tokens.

    Args:
        model: the model name asked for.
        provider_id: the provider matched in the price data (``openai``; ``workbench`` for offline).
        model_id: the model id matched in the price data.
        input: price of uncached prompt tokens.
        cached_input: price of prompt tokens read from the provider's cache (``input`` when the
            provider gives no discount).
        output: price of completion tokens.
        tiered: the price steps up for long prompts; ``input``/``output`` are the base tier.
        data_version: which price data the numbers come from, e.g. ``genai-prices 0.2.3``.
        data_date: :func:`price_data_date` of that data.
    """

    model: str
    provider_id: str
    model_id: str
    input: float
    cached_input: float
    output: float
    tiered: bool
    data_version: str
    data_date: str

    def cost(self, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0) -> float:
        """Cost in USD at the base tier (``cost_usd`` also applies long-prompt tiers)."""
        uncached = prompt_tokens - cached_tokens
        return (
            uncached * self.input + cached_tokens * self.cached_input + completion_tokens * self.output
        ) / 1e6


def _snapshot() -> Any:
    from genai_prices import data_snapshot

    return data_snapshot.get_snapshot()


def price_data_version() -> str:
    """``genai-prices <version>`` plus ``(bundled)`` or ``(updated <time>)``."""
    import genai_prices

    snap = _snapshot()
    origin = f"updated {snap.timestamp:%Y-%m-%d %H:%M}" if snap.from_auto_update else "bundled"
    return f"genai-prices {genai_prices.__version__} ({origin})"


@functools.cache
def _newest_price_change(today: date) -> str:
    from genai_prices import types

    newest: date | None = None
    for provider in _snapshot().providers:
        for model in provider.models:
            dated = [p.constraint for p in model.prices] if isinstance(model.prices, list) else []
            dated += [v.constraint for v in model.price_variants or ()]
            for constraint in dated:
                if isinstance(constraint, types.StartDateConstraint) and constraint.start_date <= today:
                    newest = max(newest, constraint.start_date) if newest else constraint.start_date
    return newest.isoformat() if newest else "unknown"


def price_data_date() -> str:
    """Date of the price data in use (ISO ``YYYY-MM-DD``).

    For genai-prices' bundled data: the newest price change it records that is not after
    today (the bundle carries no snapshot date of its own). For data fetched by genai-prices'
    updater (if the host application started one): the fetch date.
    """
    snap = _snapshot()
    if snap.from_auto_update:
        return snap.timestamp.date().isoformat()
    return _newest_price_change(datetime.now(UTC).date())


def _split_ref(model: str, provider: str | None) -> list[tuple[str, str | None]]:
    """Candidate (model_ref, provider_id) lookups: ``openai/gpt-4o`` also tries provider ``openai``."""
    ref = model.strip()
    candidates: list[tuple[str, str | None]] = []
    if provider is None and "/" in ref:
        prefix, rest = ref.split("/", 1)
        candidates.append((rest, prefix))
        candidates.append((rest, None))
    candidates.append((ref, provider))
    return candidates


def _lookup(model: str, provider: str | None) -> tuple[Any, Any, str] | None:
    snap = _snapshot()
    for ref, provider_id in _split_ref(model, provider):
        try:
            found_provider, found_model = snap.find_provider_model(ref, None, provider_id, None)
        except LookupError:
            continue
        return found_provider, found_model, ref
    return None


def _usd(value: Any) -> tuple[float | None, bool]:
    from genai_prices.types import TieredPrices

    if value is None:
        return None, False
    if isinstance(value, TieredPrices):
        return float(value.base), True
    return float(value), False


def price_for(model: str, provider: str | None = None) -> ModelPrice | None:
    """Current prices of ``model`` (USD per million tokens), or ``None`` when the price data lacks it.

    Args:
        model: e.g. ``gpt-4o-mini``, ``openai/gpt-4.1``; ``offline`` is free.
        provider: a genai-prices provider id (``openai``, ``azure``, …); default: found from the name.

    Example:
        >>> price_for("gpt-4o-mini").provider_id
        'openai'
    """
    if model.strip().lower() in OFFLINE_MODELS:
        return ModelPrice(model, "workbench", "offline", 0.0, 0.0, 0.0, False, "built-in", price_data_date())
    found = _lookup(model, provider)
    if found is None:
        return None
    found_provider, found_model, _ref = found
    prices = found_model.get_prices(datetime.now(UTC))
    input_usd, tier_in = _usd(prices.input_mtok)
    output_usd, tier_out = _usd(prices.output_mtok)
    cached_usd, tier_cached = _usd(prices.cache_read_mtok)
    if input_usd is None and output_usd is None:
        return None  # not priced per token (e.g. per-request or per-second models)
    input_usd = input_usd or 0.0
    return ModelPrice(
        model=model,
        provider_id=found_provider.id,
        model_id=found_model.id,
        input=input_usd,
        cached_input=input_usd if cached_usd is None else cached_usd,
        output=output_usd or 0.0,
        tiered=tier_in or tier_out or tier_cached,
        data_version=price_data_version(),
        data_date=price_data_date(),
    )


def cost_usd(
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    cached_tokens: int = 0,
    *,
    provider: str | None = None,
) -> float | None:
    """Cost of one call in USD: ``None`` for models the price data lacks, 0.0 for ``offline``.

    ``prompt_tokens`` includes ``cached_tokens`` (as the OpenAI API reports usage); the
    cached part is charged at the cached-input price. Long-prompt price tiers apply.

    Example:
        >>> cost_usd("offline", 1000, 50)
        0.0
    """
    if cached_tokens < 0 or prompt_tokens < 0 or completion_tokens < 0:
        raise ValueError("token counts must be >= 0")
    if cached_tokens > prompt_tokens:
        raise ValueError(f"cached_tokens ({cached_tokens}) cannot exceed prompt_tokens ({prompt_tokens})")
    if model.strip().lower() in OFFLINE_MODELS:
        return 0.0
    found = _lookup(model, provider)
    if found is None:
        return None
    now = datetime.now(UTC)
    if _priced_by_time_of_day(found[1]):
        return _calc(found, prompt_tokens, completion_tokens, cached_tokens, now)
    key = (id(_snapshot()), model, provider)  # the price data genai-prices has now (its updater may swap it)
    return _cost_on(key, prompt_tokens, completion_tokens, cached_tokens, now.date())


def _calc(found: tuple[Any, Any, str], prompt: int, completion: int, cached: int, at: datetime) -> float:
    from genai_prices import Usage

    found_provider, found_model, _ref = found
    usage = Usage(input_tokens=prompt, cache_read_tokens=cached, output_tokens=completion)
    total: Decimal = found_model.calc_price(usage, found_provider, genai_request_timestamp=at).total_price
    return float(total)


@functools.lru_cache(maxsize=8192)
def _cost_on(
    key: tuple[int, str, str | None], prompt: int, completion: int, cached: int, day: date
) -> float | None:
    """The cost of a call to a model priced by date only, remembered per day (a plan prices every
    request it renders, many with the same token count; genai-prices takes about 0.1 ms a call)."""
    found = _lookup(key[1], key[2])  # found a moment ago by cost_usd, in the same price data
    if found is None:
        return None
    return _calc(found, prompt, completion, cached, datetime.combine(day, time(12, tzinfo=UTC)))


def _priced_by_time_of_day(found_model: Any) -> bool:
    """Whether any price of the model applies at a time of day only (off-peak prices): not remembered per day."""
    from genai_prices import types

    conditional = found_model.prices if isinstance(found_model.prices, list) else []
    constraints = [c.constraint for c in conditional] + [
        v.constraint for v in found_model.price_variants or ()
    ]
    return any(isinstance(c, types.TimeOfDateConstraint) for c in constraints)
