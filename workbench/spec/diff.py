"""What a follow-up changed: a small structural diff between two query specs.

``spec_diff(before, after)`` compares part by part (filters, time, calculations,
breakdowns, orders, limit, granularity, havings) and says what was added, removed or
changed, for a conversation turn ("+ filter app.platform = android", "time: last 1 day
-> yesterday (Nov 19, UTC)"). Pure: it reads only the two specs (and ``now`` for the
time words). The one place the workbench describes a spec change; the critic's
dropped-context rule and the conversation views read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.spec.query import QuerySpec, parse_spec
from workbench.spec.readback import filter_text as _filter
from workbench.spec.readback import granularity_text as _granularity
from workbench.spec.readback import order_text as _order
from workbench.spec.readback import time_text as _time

__all__ = ["SpecDiff", "spec_diff"]


@dataclass(frozen=True)
class SpecDiff:
    """The change from one spec to the next; every list holds readable items (``filter_text`` form).

    ``time`` / ``limit`` / ``granularity`` / ``orders`` are ``(before, after)`` pairs of readable
    text, ``None`` when unchanged.
    """

    filters_added: tuple[str, ...] = ()
    filters_removed: tuple[str, ...] = ()
    calculations_added: tuple[str, ...] = ()
    calculations_removed: tuple[str, ...] = ()
    breakdowns_added: tuple[str, ...] = ()
    breakdowns_removed: tuple[str, ...] = ()
    havings_changed: bool = False
    time: tuple[str, str] | None = None
    orders: tuple[str, str] | None = None
    limit: tuple[str, str] | None = None
    granularity: tuple[str, str] | None = None

    @property
    def empty(self) -> bool:
        """True when nothing changed."""
        return not self.lines()

    def lines(self) -> list[str]:
        """One short line per change: ``+ filter ...``, ``- by ...``, ``time: a -> b``."""
        out = [f"+ filter {f}" for f in self.filters_added]
        out += [f"- filter {f}" for f in self.filters_removed]
        out += [f"+ {c}" for c in self.calculations_added]
        out += [f"- {c}" for c in self.calculations_removed]
        out += [f"+ by {b}" for b in self.breakdowns_added]
        out += [f"- by {b}" for b in self.breakdowns_removed]
        for name in ("time", "orders", "limit", "granularity"):
            pair = getattr(self, name)
            if pair is not None:
                out.append(f"{name}: {pair[0]} -> {pair[1]}")
        if self.havings_changed:
            out.append("havings changed")
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the non-empty parts only, plus ``lines``."""
        keys = (
            "filters_added", "filters_removed", "calculations_added", "calculations_removed",
            "breakdowns_added", "breakdowns_removed", "time", "orders", "limit", "granularity",
        )  # fmt: skip
        out: dict[str, Any] = {k: list(getattr(self, k)) for k in keys if getattr(self, k)}
        if self.havings_changed:
            out["havings_changed"] = True
        out["lines"] = self.lines()
        return out

    def __str__(self) -> str:
        return "; ".join(self.lines()) or "no change"


def _calc(c: Any) -> str:
    return c.label if not c.filters else f"{c.label} (filtered)"


def _added_removed(before: list[str], after: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(x for x in after if x not in before), tuple(x for x in before if x not in after)


def _pair(a: str, b: str) -> tuple[str, str] | None:
    return None if a == b else (a, b)


def _orders_text(s: QuerySpec) -> str:
    return "; ".join(
        f"{(o.op + '(' + o.column + ')' if o.column else o.op) if o.op else o.column} {o.order}"
        for o in s.orders
    ) or (_order(s) or "none")


def spec_diff(before: Any, after: Any, now: int | None = None) -> SpecDiff:
    """What changed from ``before`` to ``after`` (specs, dicts or JSON text); ``before=None`` = all added."""
    b = parse_spec(before) if before is not None else QuerySpec()
    a = parse_spec(after)
    fa, fr = _added_removed([_filter(f) for f in b.filters], [_filter(f) for f in a.filters])
    ca, cr = _added_removed(
        [_calc(c) for c in (b.calculations if before is not None else ())],
        [_calc(c) for c in a.calculations],
    )
    ba, br = _added_removed(list(b.breakdowns), list(a.breakdowns))
    time_before = _time(b, now) if before is not None else "none"
    return SpecDiff(
        filters_added=fa,
        filters_removed=fr,
        calculations_added=ca,
        calculations_removed=cr,
        breakdowns_added=ba,
        breakdowns_removed=br,
        havings_changed=b.havings != a.havings,
        time=_pair(time_before, _time(a, now)),
        orders=_pair(_orders_text(b), _orders_text(a)),
        limit=_pair(
            str(b.limit) if b.limit is not None else "none", str(a.limit) if a.limit is not None else "none"
        ),
        granularity=_pair(
            _granularity(b.granularity) if b.granularity else "none",
            _granularity(a.granularity) if a.granularity else "none",
        ),
    )
