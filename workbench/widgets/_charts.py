"""Charts of query results: a line per group for a time series, a heatmap for HEATMAP; shown offline.

Results are ``execute.QueryResult`` objects or their logged JSON form (where a HEATMAP
cell is a list of ``[bucket, count]`` pairs). ``plotly_output`` puts a figure in an
``Output`` as plotly's mime bundle, which JupyterLab's bundled plotly renderer draws
without a network and without a kernel round trip.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from html import escape
from itertools import pairwise
from typing import Any

import ipywidgets as widgets

from workbench.widgets._common import is_pairs, table_parts

__all__ = ["PLOTLY_MIME", "accuracy_figure", "bucket_times", "plotly_output", "result_figure"]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
#: a colour and a marker per variant in the accuracy chart (plotly's default palette)
COLORS = ("#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880")
SYMBOLS = ("circle", "diamond", "square", "triangle-up", "star", "x", "cross", "pentagon")


def _heat_cells(value: Any) -> list[tuple[float, float]]:
    if isinstance(value, Mapping):
        items: Iterable[Any] = value.items()
    elif is_pairs(value):
        items = value
    else:
        return []
    out = []
    for k, v in items:
        try:
            out.append((float(k), float(v or 0)))
        except (TypeError, ValueError):
            continue
    return out


def _is_heat(value: Any) -> bool:
    return isinstance(value, Mapping) or is_pairs(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _calc_start(
    columns: list[str], rows: list[Sequence[Any]], spec: Mapping[str, Any] | None, offset: int
) -> int:
    """Index of the first calculation column (breakdowns come first)."""
    if spec and isinstance(spec.get("breakdowns"), list):
        return offset + len(spec["breakdowns"])
    start = len(columns)
    while start > offset and all(
        v is None or _is_number(v) or _is_heat(v) for v in (r[start - 1] for r in rows)
    ):
        start -= 1
    return start


def result_figure(result: Any, spec: Mapping[str, Any] | None = None, *, title: str = "") -> Any | None:
    """A plotly figure for a result: a heatmap for a HEATMAP, a line chart for a time series, else None."""
    if result is None:
        return None
    import plotly.graph_objects as go

    columns, rows, series, _count, _trunc = table_parts(result)
    series_parts = table_parts(series) if series is not None else None
    fig = None
    if series_parts is not None and series_parts[1]:
        scols, srows = series_parts[0], series_parts[1]
        start = _calc_start(scols, srows, spec, 1)
        heat = [i for i in range(start, len(scols)) if any(_is_heat(r[i]) for r in srows)]
        if heat:
            fig = _series_heatmap(go, scols, srows, heat[0])
        else:
            fig = _series_lines(go, scols, srows, start, spec)
    elif rows:
        start = _calc_start(columns, rows, spec, 0)
        heat = [i for i in range(start, len(columns)) if any(_is_heat(r[i]) for r in rows)]
        if heat:
            i = heat[0]
            labels = [" / ".join(str(v) for v in r[:start]) or columns[i] for r in rows]
            buckets = sorted({b for r in rows for b, _ in _heat_cells(r[i])})
            z = [[dict(_heat_cells(r[i])).get(b, 0) for r in rows] for b in buckets]
            fig = _heatmap(go, labels, buckets, z)
            fig.update_layout(yaxis_title=columns[i], xaxis_title=" / ".join(columns[:start]) or None)
    if fig is not None and not fig.data:
        fig = None  # nothing to plot (e.g. every value null)
    if fig is not None:
        # no width: the chart takes its column's width (plotly's autosize); legend below, not beside
        fig.update_layout(
            title=title or None,
            height=300,
            autosize=True,
            margin={"l": 50, "r": 10, "t": 30 if title else 10, "b": 40},
            legend={"orientation": "h", "y": -0.25},
            xaxis={"automargin": True, "tickangle": 0},
            yaxis={"automargin": True},
        )
    return fig


#: calculations whose empty bucket is a zero (no events: no errors); any other (P95, AVG, ...) has no value there
ZERO_WHEN_EMPTY = frozenset({"COUNT", "COUNT_DISTINCT", "SUM", "CONCURRENCY", "RATE_SUM"})


def _as_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def bucket_times(times: Sequence[Any], step_s: int | None) -> list[Any]:
    """Every bucket from the first to the last of ``times`` (``step_s`` apart, or the smallest gap seen), so
    an empty bucket is drawn instead of a line straight across it; ``times`` as given when they are not times."""
    parsed = sorted({t for t in (_as_time(v) for v in times) if t is not None})
    if len(parsed) < 2 or len(parsed) != len(set(times)):
        return sorted(set(times), key=str)
    step = timedelta(seconds=step_s) if step_s else min(b - a for a, b in pairwise(parsed))
    if step <= timedelta(0) or (parsed[-1] - parsed[0]) / step > 5_000:
        return parsed
    out, t = [], parsed[0]
    while t <= parsed[-1]:
        out.append(t)
        t += step
    return out


def _series_lines(go: Any, columns: list[str], rows: list[Sequence[Any]], start: int, spec: Any) -> Any:
    """A line per group and calculation over every time bucket: empty buckets are 0 for counts and sums,
    gaps for the others; the y axis names the calculation."""
    granularity = spec.get("granularity") if isinstance(spec, Mapping) else None
    xs = bucket_times([r[0] for r in rows], granularity if isinstance(granularity, int) else None)
    calcs = [i for i in range(start, len(columns)) if any(_is_number(r[i]) for r in rows)]
    fig = go.Figure()
    for i in calcs:
        empty = 0 if columns[i].split("(")[0] in ZERO_WHEN_EMPTY else None
        groups: dict[str, dict[Any, Any]] = {}
        for r in rows:
            key = " / ".join(str(v) for v in r[1:start]) or columns[i]
            name = key if len(calcs) == 1 else f"{key} · {columns[i]}"
            t = _as_time(r[0]) or r[0]
            groups.setdefault(name, {})[t] = r[i]
        for name, values in list(groups.items())[:12]:
            ys = [values.get(x, empty) for x in xs]
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=name, connectgaps=False))
    y_title = columns[calcs[0]] if len(calcs) == 1 else "value"
    fig.update_layout(xaxis_title="time (UTC)", yaxis_title=y_title, showlegend=len(fig.data) > 1)
    return fig


def _heatmap(go: Any, x: Sequence[Any], y: Sequence[Any], z: list[list[Any]]) -> Any:
    """A heatmap whose colour bar is thin, so the cells get most of a narrow column's width."""
    return go.Figure(
        go.Heatmap(
            x=x, y=y, z=z, colorscale="Viridis", colorbar={"thickness": 10, "outlinewidth": 0, "xpad": 4}
        )
    )


def _series_heatmap(go: Any, columns: list[str], rows: list[Sequence[Any]], i: int) -> Any:
    """Time x bucket heatmap, summing groups."""
    cells: dict[Any, dict[float, float]] = {}
    for r in rows:
        slot = cells.setdefault(_as_time(r[0]) or r[0], {})
        for b, n in _heat_cells(r[i]):
            slot[b] = slot.get(b, 0) + n
    times = bucket_times(list(cells), None)
    for t in times:
        cells.setdefault(t, {})
    buckets = sorted({b for slot in cells.values() for b in slot})
    z = [[cells[t].get(b, 0) for t in times] for b in buckets]
    fig = _heatmap(go, times, buckets, z)
    fig.update_layout(xaxis_title="time (UTC)", yaxis_title=columns[i])
    return fig


def plotly_output(output: widgets.Output, fig: Any | None) -> None:
    """Show ``fig`` in ``output`` as plotly's mime bundle (JupyterLab renders it offline; no kernel needed)."""
    if fig is None:
        output.outputs = ()
        return
    import plotly.io as pio

    # what plotly's "plotly_mimetype" renderer sends, built directly: loading the renderer
    # registry probes the environment and costs seconds
    figure = json.loads(pio.to_json(fig, validate=False, remove_uids=False))
    bundle = {PLOTLY_MIME: figure, "text/plain": "plotly chart"}
    output.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)


def accuracy_figure(metrics: Mapping[str, Any]) -> Any:
    """Accuracy (with its interval over questions) against cost per 1,000 questions, or prompt tokens when
    every variant is free: a trace per variant with its own colour, marker and legend entry; ``None``
    without variants."""
    import plotly.graph_objects as go

    points = list(metrics.items())
    if not points:
        return None
    by_cost = all(m.cost_usd is not None for _, m in points) and any(m.cost_usd > 0 for _, m in points)
    xs = [m.cost_per_1k_questions if by_cost else (m.tokens_in_mean or 0) for _, m in points]
    fig = go.Figure()
    # a trace per variant: its own colour and symbol and a legend entry; sizes shrink so points that
    # coincide (same tokens, same accuracy) stay visible one inside the other; no text labels to collide
    for i, ((name, m), x) in enumerate(zip(points, xs, strict=True)):
        lo, hi = m.accuracy_ci_questions
        fig.add_trace(
            go.Scatter(
                x=[x],
                y=[100 * m.accuracy],
                name=name,
                mode="markers",
                marker={"size": max(8, 18 - 4 * i), "symbol": SYMBOLS[i % len(SYMBOLS)],
                        "color": COLORS[i % len(COLORS)], "line": {"width": 1, "color": "white"}},
                error_y={"type": "data", "symmetric": False, "array": [100 * (hi - m.accuracy)],
                         "arrayminus": [100 * (m.accuracy - lo)], "color": COLORS[i % len(COLORS)]},
                # plotly renders a hover template as HTML, and it is no Jinja template: the variant's name is text
                hovertemplate=f"{escape(name)}<br>%{{y:.1f}}% at %{{x:,.0f}}<extra></extra>",
            )
        )  # fmt: skip
    fig.update_layout(
        title="accuracy vs cost" if by_cost else "accuracy vs prompt tokens (every variant is free)",
        xaxis_title="USD per 1,000 questions" if by_cost else "mean prompt tokens per question",
        yaxis_title="accuracy (%)",
        yaxis_range=[-5, 105],
        xaxis_range=_padded(xs),
        showlegend=True,
        legend={"title": {"text": "variant"}},
        height=320,
        margin={"l": 50, "r": 20, "t": 40, "b": 40},
    )
    return fig


def _padded(xs: list[float]) -> list[float]:
    """An x range with room around the points (plotly puts two points on the plot's edges)."""
    lo, hi = min(xs), max(xs)
    pad = (hi - lo) * 0.15 or max(abs(hi) * 0.15, 1.0)
    return [lo - pad, hi + pad]


class AccuracyChart(widgets.Output):
    """The dashboard's cost-vs-accuracy chart (``wb-chart``): ``accuracy_figure`` of a run's metrics."""

    def __init__(self) -> None:
        super().__init__()
        self.add_class("wb-chart")
        self.figure: Any = None

    def show(self, metrics: Mapping[str, Any]) -> None:
        self.figure = accuracy_figure(metrics)
        plotly_output(self, self.figure)
