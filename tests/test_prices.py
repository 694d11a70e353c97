"""Cost per call from genai-prices' bundled data, offline."""

from __future__ import annotations

import re

import pytest

from workbench.core.prices import ModelPrice, cost_usd, price_data_date, price_data_version, price_for


@pytest.fixture(autouse=True)
def _no_price_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing here may start genai-prices' updater (it downloads)."""
    import genai_prices.update_prices as update_prices

    def _refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("price update attempted")

    monkeypatch.setattr(update_prices.UpdatePrices, "start", _refuse)
    monkeypatch.setattr(update_prices.UpdatePrices, "fetch", _refuse)


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-4.1", "gpt-4o", "openai/gpt-4.1-mini"])
def test_known_model_prices(model: str) -> None:
    price = price_for(model)
    assert isinstance(price, ModelPrice)
    assert price.provider_id == "openai"
    assert price.input > 0 and price.output > 0
    assert 0 < price.cached_input <= price.input
    assert price.model_id in model
    assert price.data_version.startswith("genai-prices ")
    assert price.data_date == price_data_date()


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-4.1"])
def test_cost_is_consistent_with_per_token_prices(model: str) -> None:
    price = price_for(model)
    assert price is not None
    cost = cost_usd(model, prompt_tokens=12_000, completion_tokens=300)
    assert cost is not None and cost > 0
    expected = (12_000 * price.input + 300 * price.output) / 1e6
    assert cost == pytest.approx(expected, rel=1e-9)
    assert price.cost(12_000, 300) == pytest.approx(cost, rel=1e-9)


def test_cached_tokens_are_cheaper() -> None:
    full = cost_usd("gpt-4o-mini", 10_000, 100)
    cached = cost_usd("gpt-4o-mini", 10_000, 100, cached_tokens=8_000)
    assert full is not None and cached is not None
    assert cached < full
    price = price_for("gpt-4o-mini")
    assert price is not None
    expected = (2_000 * price.input + 8_000 * price.cached_input + 100 * price.output) / 1e6
    assert cached == pytest.approx(expected, rel=1e-9)


def test_unknown_model_is_none() -> None:
    assert price_for("no-such-model-xyz") is None
    assert cost_usd("no-such-model-xyz", 100, 10) is None


def test_offline_model_is_free() -> None:
    assert cost_usd("offline", 5_000, 500, cached_tokens=1_000) == 0.0
    price = price_for("offline")
    assert price is not None
    assert (price.input, price.cached_input, price.output) == (0.0, 0.0, 0.0)


def test_explicit_provider() -> None:
    price = price_for("gpt-4o", provider="azure")
    assert price is not None and price.provider_id == "azure"


def test_price_data_date_and_version_are_visible() -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", price_data_date())
    assert re.match(r"genai-prices \d+\.\d+", price_data_version())


def test_bad_token_counts_are_rejected() -> None:
    with pytest.raises(ValueError, match="cached_tokens"):
        cost_usd("gpt-4o-mini", 10, 1, cached_tokens=11)
    with pytest.raises(ValueError):
        cost_usd("gpt-4o-mini", -1, 1)


@pytest.mark.parametrize(
    "model", ["gpt-4o-mini", "gpt-4.1", "gemini-1.5-pro", "claude-3-5-sonnet", "deepseek-chat"]
)
def test_a_remembered_cost_is_genai_prices_own(model: str) -> None:
    """cost_usd remembers costs per day for models priced by date only; each equals genai-prices' own."""
    from datetime import UTC, datetime

    from genai_prices import Usage

    from workbench.core import prices

    found = prices._lookup(model, None)
    if found is None:
        pytest.skip(f"{model} is not in this genai-prices data")
    provider, info, _ = found
    for prompt, completion, cached in [
        (3000, 24, 0),
        (3000, 24, 0),
        (150_000, 500, 20_000),
        (1, 0, 1),
        (0, 0, 0),
    ]:
        usage = Usage(input_tokens=prompt, cache_read_tokens=cached, output_tokens=completion)
        own = float(info.calc_price(usage, provider, genai_request_timestamp=datetime.now(UTC)).total_price)
        assert cost_usd(model, prompt, completion, cached) == own


def test_off_peak_priced_models_are_not_remembered_per_day() -> None:
    from workbench.core import prices

    found = prices._lookup("deepseek-chat", None)
    if found is None:
        pytest.skip("deepseek-chat is not in this genai-prices data")
    assert prices._priced_by_time_of_day(found[1])
    assert not prices._priced_by_time_of_day(prices._lookup("gpt-4o-mini", None)[1])
