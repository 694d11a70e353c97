"""Tokens and cost of one model call: the server's usage (else a flagged tiktoken estimate) and its price.

The price is the backend's: nothing for a free (in-process) backend, the price a variant
declared (``Backend.price``), else the price table's (``workbench.core.prices``); ``None``
when none is known, never $0.
"""

from __future__ import annotations

from typing import Any

from workbench.core.errors import WorkbenchError

__all__ = ["call_cost", "usage_of"]


def call_cost(backend: Any, model: str, prompt: int, cached: int, completion: int) -> float | None:
    """USD for one call on ``backend``: 0 when free, the declared price, the table's, or ``None`` (unknown)."""
    if backend.free:
        return 0.0
    cached = min(cached, prompt)
    declared = getattr(backend, "price", None)
    if declared is not None:
        per_input, per_cached, per_output = declared
        return ((prompt - cached) * per_input + cached * per_cached + completion * per_output) / 1e6
    return _cost(model, prompt, cached, completion)


def usage_of(body: dict[str, Any], response: dict[str, Any]) -> tuple[int, int, int, bool]:
    """(prompt, cached, completion, estimated): the server's usage, or a tiktoken estimate when it gave none."""
    usage = response.get("usage") if isinstance(response, dict) else None
    if isinstance(usage, dict) and isinstance(usage.get("prompt_tokens"), int):
        details = usage.get("prompt_tokens_details") or {}
        cached = details.get("cached_tokens") or 0
        return usage["prompt_tokens"], int(cached), int(usage.get("completion_tokens") or 0), False
    return (*_estimate(body, response), True)


def _answer_text(response: dict[str, Any]) -> str:
    parts: list[str] = []
    for choice in response.get("choices") or ():
        message = choice.get("message") or {}
        parts += [message.get("content") or "", message.get("refusal") or ""]
        for call in message.get("tool_calls") or ():
            function = call.get("function") or {}
            parts += [function.get("name") or "", function.get("arguments") or ""]
    return "".join(p for p in parts if isinstance(p, str))


def _estimate(body: dict[str, Any], response: dict[str, Any]) -> tuple[int, int, int]:
    from workbench.core import tokens

    text = _answer_text(response)
    encoding = tokens.encoding_name_for_model(str(body.get("model") or "offline"))
    return tokens.count_request(body).total, 0, tokens.count_tokens(text, encoding)


def _cost(model: str, prompt: int, cached: int, completion: int) -> float | None:
    """USD from the price table (``workbench.core.prices``); ``None`` when the model or the table is unknown."""
    from workbench.core.prices import cost_usd

    try:
        value = cost_usd(
            model, prompt_tokens=prompt, completion_tokens=completion, cached_tokens=min(cached, prompt)
        )
    except (LookupError, ValueError, WorkbenchError):
        return None
    return None if value is None else float(value)
