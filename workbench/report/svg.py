"""Inline SVG charts for the static HTML report: a scatter with error bars and grouped horizontal bars.

Plain SVG text, no library and nothing fetched: the report must open offline. Every
label is escaped (variant names come from files a colleague wrote).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["PALETTE", "Bar", "Point", "bars", "nice_ticks", "scatter"]

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
) -> str:
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

    out = [_open(width, height, title)]
    for t in y_ticks:
        label = f"{100 * t:.0f}%" if y_percent else _fmt(t)
        out.append(f'<line class="grid" x1="{left}" x2="{left + pw}" y1="{sy(t):.1f}" y2="{sy(t):.1f}"/>')
        out.append(f'<text class="tick" x="{left - 6}" y="{sy(t) + 4:.1f}" text-anchor="end">{label}</text>')
    for t in x_ticks:
        out.append(f'<line class="grid" x1="{sx(t):.1f}" x2="{sx(t):.1f}" y1="{top}" y2="{top + ph}"/>')
        out.append(
            f'<text class="tick" x="{sx(t):.1f}" y="{top + ph + 16}" text-anchor="middle">{_fmt(t)}</text>'
        )
    out.append(f'<rect class="frame" x="{left}" y="{top}" width="{pw}" height="{ph}"/>')
    out.append(
        f'<text class="axis" x="{left + pw / 2:.0f}" y="{height - 8}" text-anchor="middle">{escape(x_label)}</text>'
    )
    out.append(
        f'<text class="axis" transform="translate(14 {top + ph / 2:.0f}) rotate(-90)" text-anchor="middle">{escape(y_label)}</text>'
    )
    for i, p in enumerate(points):
        color = PALETTE[i % len(PALETTE)]
        cx, cy = sx(p.x), sy(p.y)
        tip = f"{p.label}: {100 * p.y:.1f}%" if y_percent else f"{p.label}: {_fmt(p.y)}"
        if p.y_lo is not None and p.y_hi is not None:
            lo, hi = sy(p.y_lo), sy(p.y_hi)
            out.append(
                f'<line stroke="{color}" stroke-width="2" x1="{cx:.1f}" x2="{cx:.1f}" y1="{lo:.1f}" y2="{hi:.1f}"/>'
            )
            for yy in (lo, hi):
                out.append(
                    f'<line stroke="{color}" stroke-width="2" x1="{cx - 5:.1f}" x2="{cx + 5:.1f}" y1="{yy:.1f}" y2="{yy:.1f}"/>'
                )
        out.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{color}"><title>{escape(tip)}</title></circle>'
        )
        # legend on the right: labels next to points would collide when variants tie
        ly = top + 14 + i * 18
        out.append(f'<circle cx="{left + pw + 16}" cy="{ly - 4}" r="5" fill="{color}"/>')
        out.append(f'<text class="legend" x="{left + pw + 26}" y="{ly}">{escape(_short(p.label))}</text>')
    out.append("</svg>")
    return "\n".join(out)


def bars(
    items: Sequence[Bar],
    *,
    series: Sequence[str],
    unit: str = "",
    width: int = 600,
    title: str = "",
) -> str:
    """Horizontal grouped bars: one group per item, one bar per series (e.g. latency p50 and p95)."""
    left, right, top = 170, 70, 28
    bar_h, gap = 14, 10
    group_h = bar_h * len(series) + gap
    height = top + group_h * max(len(items), 1) + 30
    pw = width - left - right
    vmax = max([v for b in items for v in b.values if v is not None] or [1.0]) or 1.0
    ticks = nice_ticks(0.0, vmax)
    scale = pw / (ticks[-1] or 1)
    out = [_open(width, height, title)]
    for t in ticks:
        x = left + t * scale
        out.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{top - 6}" y2="{height - 24}"/>')
        out.append(f'<text class="tick" x="{x:.1f}" y="{height - 10}" text-anchor="middle">{_fmt(t)}</text>')
    for gi, b in enumerate(items):
        gy = top + gi * group_h
        out.append(
            f'<text class="label" x="{left - 8}" y="{gy + bar_h * len(series) / 2 + 4:.1f}" text-anchor="end">{escape(_short(b.label, 26))}</text>'
        )
        for si, value in enumerate(b.values):
            y = gy + si * bar_h
            color = PALETTE[si % len(PALETTE)]
            if value is None:
                out.append(f'<text class="tick" x="{left + 4}" y="{y + bar_h - 3}">n/a</text>')
                continue
            w = max(value * scale, 1.0)
            tip = f"{b.label} {series[si]}: {_fmt(value)}{unit}"
            out.append(
                f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" fill="{color}"><title>{escape(tip)}</title></rect>'
            )
            out.append(
                f'<text class="value" x="{left + w + 4:.1f}" y="{y + bar_h - 4}">{_fmt(value)}{escape(unit)}</text>'
            )
    for si, name in enumerate(series):
        x = left + si * 90
        out.append(f'<rect x="{x}" y="6" width="10" height="10" fill="{PALETTE[si % len(PALETTE)]}"/>')
        out.append(f'<text class="legend" x="{x + 14}" y="15">{escape(name)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _open(width: int, height: int, title: str) -> str:
    label = f' aria-label="{escape(title)}"' if title else ""
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img"{label}>'
    )


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
