"""One set of number formatters: percentages, milliseconds, money, intervals and counts.

Used by the plain-text tables (``evaluation.text``), the HTML report (as Jinja filters)
and the widgets, so a number reads the same everywhere. A missing value is ``missing``
(a dash by default; the widgets pass ``"n/a"``); an unknown cost is always ``"n/a"``,
never ``$0``: a free model and a model without price data are different facts.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["DASH", "UNKNOWN_COST", "ci", "count", "money", "ms", "pct", "signed_ci"]

DASH = "–"
#: what ``money(None)`` shows: the price of the model is not known
UNKNOWN_COST = "n/a"


def pct(x: float | None, *, digits: int = 1, missing: str = DASH) -> str:
    """``0.5556`` -> ``55.6%``."""
    return missing if x is None else f"{100 * x:.{digits}f}%"


def ms(x: float | None, *, unit: bool = True, missing: str = DASH) -> str:
    """``1234.5`` -> ``1,234 ms``; below 10 ms one decimal (cache hits take a fraction of a millisecond)."""
    if x is None:
        return missing
    text = f"{x:,.0f}" if abs(x) >= 10 else f"{x:.1f}"
    return f"{text} ms" if unit else text


def money(usd: float | None) -> str:
    """US dollars with the precision the amount needs: ``$0``, ``$0.000450``, ``$0.0180``, ``$12.50``.

    ``None`` (no price data for the model) is ``n/a``, never ``$0``.
    """
    if usd is None:
        return UNKNOWN_COST
    if usd == 0:
        return "$0"
    size = abs(usd)
    return f"${usd:.6f}" if size < 0.01 else f"${usd:.4f}" if size < 1 else f"${usd:,.2f}"


def ci(pair: Sequence[float] | None, *, digits: int = 1, missing: str = DASH) -> str:
    """An interval of proportions in percent: ``(0.25, 0.8)`` -> ``[25.0, 80.0]``."""
    if pair is None:
        return missing
    lo, hi = pair
    return f"[{100 * lo:.{digits}f}, {100 * hi:.{digits}f}]"


def signed_ci(pair: Sequence[float], *, digits: int = 1) -> str:
    """An interval of differences in points, with signs: ``(-0.017, 0.15)`` -> ``[-1.7, +15.0]``."""
    lo, hi = pair
    return f"[{100 * lo:+.{digits}f}, {100 * hi:+.{digits}f}]"


def count(x: float | None, *, missing: str = DASH) -> str:
    """A count or a mean of counts (tokens) with thousands separators: ``12345.6`` -> ``12,346``."""
    return missing if x is None else f"{x:,.0f}"


def estimate_note(share: float | None) -> str:
    """What to append to a token count or cost when some of it is estimated: ``" (estimate)"`` when all
    of it is, ``" (40% estimated)"`` when part is, else nothing."""
    if not share:
        return ""
    return " (estimate)" if share >= 1 else f" ({share:.0%} estimated)"
