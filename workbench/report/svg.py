"""Inline SVG charts for the static HTML report: a scatter with error bars and grouped horizontal bars.

The geometry is computed here as a ``Chart`` of ``Shape`` records; the report's template
(``templates/_chart.html.j2``) writes them as SVG, escaping every label and tooltip
(variant names come from files a colleague wrote). No library and nothing fetched: the
report must open offline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["PALETTE", "Bar", "Chart", "Point", "Shape", "bars", "nice_ticks", "scatter"]

PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d")


@dataclass(frozen=True)
class Point:
    label: str
    x: float
    y: float
    y_lo: float | None = None
    y_hi: float | None = None


@dataclass(frozen=True)
class Bar:
    label: str
    values: tuple[float | None, ...]  # one per series


@dataclass(frozen=True)
class Shape:
    """One SVG element: tag, attributes (in order), text content and tooltip; the template escapes all."""

    tag: str
    attrs: dict[str, str | int] = field(default_factory=dict)
    text: str = ""
    tip: str = ""


@dataclass(frozen=True)
class Chart:
    """An SVG chart of ``width`` x ``height`` pixels, labelled ``title`` for screen readers."""

    width: int
    height: int
    title: str
    shapes: list[Shape]


def _line(x1: float, x2: float, y1: float, y2: float, **attrs: str | int) -> Shape:
    return Shape("line", {**attrs, "x1": _n(x1), "x2": _n(x2), "y1": _n(y1), "y2": _n(y2)})


def _text(x: float, y: float, text: str, css: str, anchor: str | None = None) -> Shape:
    attrs: dict[str, str | int] = {"class": css, "x": _n(x), "y": _n(y)}
    if anchor:
        attrs["text-anchor"] = anchor
    return Shape("text", attrs, text)


def _n(v: float) -> str:
    """A coordinate: integers as such, else one decimal."""
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering ``[lo, hi]``."""
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    t = start
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 12))
        t += step
    if ticks[-1] < hi:
        ticks.append(round(t, 12))
    return ticks


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:.4g}"
    return f"{v:.3g}"


def scatter(
    points: Sequence[Point],
    *,
    x_label: str,
    y_label: str,
    y_percent: bool = True,
    width: int = 600,
    height: int = 340,
    title: str = "",
) -> Chart:
    """A scatter of labelled points with optional vertical intervals (e.g. accuracy with its CI)."""
    left, right, top, bottom = 64, 150, 28, 48
    pw, ph = width - left - right, height - top - bottom
    xs = [p.x for p in points] or [0.0]
    ys = [v for p in points for v in (p.y, p.y_lo, p.y_hi) if v is not None] or [0.0]
    x_ticks = nice_ticks(min(0.0, min(xs)), max(xs) * 1.05 if max(xs) > 0 else 1.0)
    y_ticks = [0.0, 0.25, 0.5, 0.75, 1.0] if y_percent else nice_ticks(min(0.0, min(ys)), max(ys))
    x0, x1, y0, y1 = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]

    def sx(v: float) -> float:
        return left + (v - x0) / ((x1 - x0) or 1) * pw

    def sy(v: float) -> float:
        return top + ph - (v - y0) / ((y1 - y0) or 1) * ph

    shapes = []
    for t in y_ticks:
        shapes.append(_line(left, left + pw, sy(t), sy(t), **{"class": "grid"}))
        label = f"{100 * t:.0f}%" if y_percent else _fmt(t)
        shapes.append(_text(left - 6, sy(t) + 4, label, "tick", "end"))
    for t in x_ticks:
        shapes.append(_line(sx(t), sx(t), top, top + ph, **{"class": "grid"}))
        shapes.append(_text(sx(t), top + ph + 16, _fmt(t), "tick", "middle"))
    shapes.append(Shape("rect", {"class": "frame", "x": left, "y": top, "width": pw, "height": ph}))
    shapes.append(_text(left + pw / 2, height - 8, x_label, "axis", "middle"))
    y_axis = {
        "class": "axis",
        "transform": f"translate(14 {top + ph / 2:.0f}) rotate(-90)",
        "text-anchor": "middle",
    }
    shapes.append(Shape("text", y_axis, y_label))
    for i, p in enumerate(points):
        color = PALETTE[i % len(PALETTE)]
        cx, cy = sx(p.x), sy(p.y)
        if p.y_lo is not None and p.y_hi is not None:
            lo, hi = sy(p.y_lo), sy(p.y_hi)
            shapes.append(_line(cx, cx, lo, hi, stroke=color, **{"stroke-width": 2}))
            shapes += [_line(cx - 5, cx + 5, yy, yy, stroke=color, **{"stroke-width": 2}) for yy in (lo, hi)]
        tip = f"{p.label}: {100 * p.y:.1f}%" if y_percent else f"{p.label}: {_fmt(p.y)}"
        shapes.append(Shape("circle", {"cx": _n(cx), "cy": _n(cy), "r": 6, "fill": color}, tip=tip))
        # legend on the right: labels next to points would collide when variants tie
        ly = top + 14 + i * 18
        shapes.append(Shape("circle", {"cx": left + pw + 16, "cy": ly - 4, "r": 5, "fill": color}))
        shapes.append(_text(left + pw + 26, ly, _short(p.label), "legend"))
    return Chart(width, height, title, shapes)


def bars(
    items: Sequence[Bar],
    *,
    series: Sequence[str],
    unit: str = "",
    width: int = 600,
    title: str = "",
) -> Chart:
    """Horizontal grouped bars: one group per item, one bar per series (e.g. latency p50 and p95)."""
    left, right, top = 170, 70, 28
    bar_h, gap = 14, 10
    group_h = bar_h * len(series) + gap
    height = top + group_h * max(len(items), 1) + 30
    pw = width - left - right
    vmax = max([v for b in items for v in b.values if v is not None] or [1.0]) or 1.0
    ticks = nice_ticks(0.0, vmax)
    scale = pw / (ticks[-1] or 1)
    shapes = []
    for t in ticks:
        x = left + t * scale
        shapes.append(_line(x, x, top - 6, height - 24, **{"class": "grid"}))
        shapes.append(_text(x, height - 10, _fmt(t), "tick", "middle"))
    for gi, b in enumerate(items):
        gy = top + gi * group_h
        shapes.append(_text(left - 8, gy + bar_h * len(series) / 2 + 4, _short(b.label, 26), "label", "end"))
        for si, value in enumerate(b.values):
            y = gy + si * bar_h
            if value is None:
                shapes.append(_text(left + 4, y + bar_h - 3, "n/a", "tick"))
                continue
            w = max(value * scale, 1.0)
            bar = {"x": left, "y": y, "width": _n(w), "height": bar_h - 2, "fill": PALETTE[si % len(PALETTE)]}
            shapes.append(Shape("rect", bar, tip=f"{b.label} {series[si]}: {_fmt(value)}{unit}"))
            shapes.append(_text(left + w + 4, y + bar_h - 4, f"{_fmt(value)}{unit}", "value"))
    for si, name in enumerate(series):
        x = left + si * 90
        shapes.append(
            Shape("rect", {"x": x, "y": 6, "width": 10, "height": 10, "fill": PALETTE[si % len(PALETTE)]})
        )
        shapes.append(_text(x + 14, 15, name, "legend"))
    return Chart(width, height, title, shapes)


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
