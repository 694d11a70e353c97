"""Cost and token accounting over trial rows: an unknown price stays unknown, estimated tokens are counted.

A trial's ``cost_usd`` is ``None`` when the model's price is unknown (not in the price table, no
price declared by the variant). Summing such trials as $0 would show a paid model as free, so the
total is ``None`` as soon as one answered trial has no price. A trial whose model call failed
before any token was counted cost nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

__all__ = ["estimated_share", "retry_total_ms", "total_cost"]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def total_cost(rows: Sequence[dict[str, Any]]) -> float | None:
    """USD over ``rows``; ``None`` when a trial that used tokens has no price (a table without a
    ``cost_usd`` column costs 0)."""
    total = 0.0
    for row in rows:
        if "cost_usd" not in row:
            continue
        cost = row["cost_usd"]
        if _missing(cost):
            if row.get("error") and not row.get("tokens_in"):
                continue  # no answer, no tokens: nothing to pay
            return None
        total += float(cost)
    return total


def _extra(row: dict[str, Any]) -> dict[str, Any]:
    extra = row.get("extra")
    if isinstance(extra, str):
        try:
            extra = json.loads(extra)
        except ValueError:
            return {}
    return extra if isinstance(extra, dict) else {}


def estimated_share(rows: Sequence[dict[str, Any]]) -> float:
    """The share of trials whose token counts are a tiktoken estimate (the server reported no usage)."""
    if not rows:
        return 0.0
    return sum(bool(_extra(r).get("tokens_estimated")) for r in rows) / len(rows)


def retry_total_ms(rows: Sequence[dict[str, Any]]) -> float:
    """Time lost to failed HTTP attempts and backoff over ``rows`` (not part of any trial's latency)."""
    total = 0.0
    for row in rows:
        value = _extra(row).get("retry_ms")
        total += float(value) if isinstance(value, int | float) else 0.0
    return total
